"""Ctrl-C, SIGTERM and SIGHUP while a secret is in flight: raised where it is safe, held where
it is not.

Python turns SIGINT into KeyboardInterrupt wherever the program happens to be, and lets SIGTERM
and SIGHUP (`timeout`, a CI runner cancelling a job, a closed terminal) end the process at once.
Either can strike between "the server minted a token" and "the token is stored or printed",
and that token is then lost. Inside `guard()` all three are handled alike:

    with interrupts.guard() as signals:          # a signal is recorded, nothing is raised
        minted = client.create_token(...)        # bounded by the request timeout
        try:
            with signals.interruptible():        # the first signal (or one recorded earlier)
                store.set(..., minted.token)     # raises Interrupt: a hung keyring is abandoned
        except Interrupt:
            print(minted.token)                  # recorded again, so this line completes

After an Interrupt is raised, later signals are recorded until `interruptible()` is entered
again. When the block ends normally with a signal still recorded, Interrupt is raised then;
when it ends with an exception, that exception wins (it already says what happened).

Signal handlers can only be set from the main thread; elsewhere `guard()` changes nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupt(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP, raised as Ctrl-C is, naming the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def words(self) -> str:
        return "Ctrl-C" if self.signum == signal.SIGINT else signal.Signals(self.signum).name


class Signals:
    """What `guard()` yields: the signals received, and where they may be raised."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self._pending: list[int] = []
        self._raising = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self._raising:
            self._raising = False  # one raise; the code handling it is not interrupted
            raise Interrupt(signum)
        self._pending.append(signum)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Inside, the first signal raises Interrupt; one recorded before raises on entry."""
        if self._pending:
            signum = self._pending[-1]
            self._pending.clear()
            raise Interrupt(signum)
        self._raising = True
        try:
            yield
        finally:
            self._raising = False

    def raise_pending(self) -> None:
        if self._pending:
            signum = self._pending[-1]
            self._pending.clear()
            raise Interrupt(signum)


@contextmanager
def guard() -> Iterator[Signals]:
    """Handle SIGINT, SIGTERM and SIGHUP as described in the module's docstring."""
    signals = Signals()
    if threading.current_thread() is not threading.main_thread():
        yield signals
        return
    previous = {signum: signal.signal(signum, signals.handle) for signum in HANDLED}
    try:
        yield signals
    finally:
        for signum, handler in previous.items():
            # None: a handler set outside Python, which cannot be put back; the default is
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    signals.raise_pending()

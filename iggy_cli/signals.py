"""Ctrl-C, SIGTERM and SIGHUP: one home for how the tool meets them.

By default SIGTERM and SIGHUP (`timeout`, a CI runner cancelling a job, a closed terminal) end
the process on the spot, so a token the server had just minted, waiting for a slow keyring,
died with it (`timeout 4 iggy pat create deploy`: exit 143, empty stdout, token lost). Two
layers keep that from happening:

- `install()`, for the whole run (app.run): all three raise KeyboardInterrupt in the main
  thread, so they reach the code that already keeps a minted token safe when Ctrl-C arrives:
  it is printed, or a session token is deleted again. A signal the parent chose to ignore
  (`nohup` ignores SIGHUP) stays ignored.
- `guard()`, around a sequence of steps that must not be cut at an arbitrary line (`pat
  rotate`): a signal is recorded, and raised only where the code says it is safe:

    with signals.guard() as held:                # a signal is recorded, nothing is raised
        minted = client.create_token(...)        # bounded by the request timeout
        try:
            with held.interruptible():           # the first signal (or one recorded earlier)
                store.set(..., minted.token)     # raises Interrupt: a hung keyring is abandoned
        except Interrupt:
            print(minted.token)                  # recorded again, so this line completes

  After an Interrupt is raised, later signals are recorded until `interruptible()` is entered
  again. When the block ends normally with a signal still recorded, Interrupt is raised then;
  when it ends with an exception, that exception wins (it already says what happened).

Either way the run ends with 128 + the signal's number (130 Ctrl-C, 129 SIGHUP, 143 SIGTERM), as
a shell reports a process the signal ended, unless keeping a token decided otherwise (exit 7).
Signal handlers can only be set from the main thread; elsewhere neither layer changes anything.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_received: list[int] = []


class Interrupt(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP, raised as Ctrl-C is, naming the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def words(self) -> str:
        return _words(self.signum)


def install() -> Callable[[], None]:
    """Handle SIGINT, SIGTERM and SIGHUP as KeyboardInterrupt until the returned function is
    called; it also forgets the signals received, which belong to this run."""
    _received.clear()
    if threading.current_thread() is not threading.main_thread():
        return _received.clear
    previous: dict[signal.Signals, Any] = {}
    for number in HANDLED:
        current = signal.getsignal(number)
        usual = signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL
        if current is usual:
            previous[number] = signal.signal(number, _interrupt)

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _received.clear()

    return restore


def received() -> int | None:
    """The signal that interrupted this run last, if one did."""
    return _received[-1] if _received else None


def describe() -> str:
    """What interrupted the run, for a message: "Ctrl-C", "SIGTERM" or "SIGHUP"."""
    return _words(received() or signal.SIGINT)


def exit_code(interrupt: BaseException | None = None) -> int:
    """128 + the number of the signal that ended the run: the one `interrupt` names (an
    Interrupt does), else the last one seen; 130 (Ctrl-C) when no signal was seen."""
    named = getattr(interrupt, "signum", None)
    return 128 + (named if isinstance(named, int) else received() or signal.SIGINT)


class Held:
    """What `guard()` yields: the signals received, and where they may be raised."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self._pending: list[int] = []
        self._raising = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        _received.append(signum)
        if self._raising:
            self._raising = False  # one raise; the code handling it is not interrupted
            raise Interrupt(signum)
        self._pending.append(signum)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Inside, the first signal raises Interrupt; one recorded before raises on entry."""
        self.raise_pending()
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
def guard() -> Iterator[Held]:
    """Record SIGINT, SIGTERM and SIGHUP, raising them only inside `interruptible()`."""
    held = Held()
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = {signum: signal.signal(signum, held.handle) for signum in HANDLED}
    try:
        yield held
    finally:
        for signum, handler in previous.items():
            # None: a handler set outside Python, which cannot be put back; the default is
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    held.raise_pending()


def _words(signum: int) -> str:
    if signum == signal.SIGINT:
        return "Ctrl-C"
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _interrupt(number: int, frame: FrameType | None) -> None:
    _received.append(number)
    raise KeyboardInterrupt

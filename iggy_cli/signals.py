"""SIGTERM and SIGHUP handled as Ctrl-C is: as KeyboardInterrupt in the main thread.

By default either signal ends the process on the spot, so a token the server had just minted,
waiting for a slow keyring, died with it (`timeout 4 iggy pat create deploy`: exit 143, empty
stdout, token lost). Raised as KeyboardInterrupt, they reach the code that already keeps a
minted token safe when Ctrl-C arrives: it is printed, or a session token is deleted again.

The run then ends with 128 + the signal's number (130 Ctrl-C, 129 SIGHUP, 143 SIGTERM), as a
shell reports a process the signal ended, unless keeping a token decided otherwise (exit 7).
A signal the parent chose to ignore (`nohup` ignores SIGHUP) stays ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}
_received: list[int] = []


def install() -> Callable[[], None]:
    """Handle SIGINT, SIGTERM and SIGHUP as KeyboardInterrupt until the returned function is
    called. Only the main thread can set handlers; elsewhere nothing changes."""
    _received.clear()
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[signal.Signals, Any] = {}
    for number in _NAMES:
        current = signal.getsignal(number)
        usual = signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL
        if current is usual:
            previous[number] = signal.signal(number, _interrupt)

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore


def received() -> int | None:
    """The signal that interrupted this run last, if one did."""
    return _received[-1] if _received else None


def describe() -> str:
    """What interrupted the run, for a message: "Ctrl-C", "SIGTERM" or "SIGHUP"."""
    number = received()
    return _NAMES.get(signal.Signals(number), f"signal {number}") if number else "Ctrl-C"


def exit_code(interrupt: BaseException | None = None) -> int:
    """128 + the number of the signal that ended the run: the one `interrupt` names (as
    interrupts.Interrupt does, which `pat rotate` raises), else the last one seen here; 130
    (Ctrl-C) when no signal was seen."""
    named = getattr(interrupt, "signum", None)
    return 128 + (named if isinstance(named, int) else received() or signal.SIGINT)


def _interrupt(number: int, frame: FrameType | None) -> None:
    _received.append(number)
    raise KeyboardInterrupt

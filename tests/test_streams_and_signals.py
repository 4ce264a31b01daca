"""The run's guards, in-process: stdout failures become the errors app.run acts on (closed,
full, broken pipe), stderr failures are dropped, and SIGTERM/SIGHUP arrive as Ctrl-C does.
The console script's side of both is in test_never_lose_a_token.py."""

from __future__ import annotations

import errno
import io
import os
import signal
from collections.abc import Iterator

import pytest

from iggy_cli import signals
from iggy_cli.console.streams import GuardedStdout, QuietStderr
from iggy_cli.errors import BrokenPipe, OutputFailed


class Failing(io.StringIO):
    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def flush(self) -> None:
        raise self.error


def test_a_closed_stdout_refuses_every_write() -> None:
    guard = GuardedStdout(None)
    assert guard.closed and not guard.isatty()
    with pytest.raises(OutputFailed, match=r"^cannot write to stdout: it is closed$"):
        guard.write("token")
    assert guard.failed


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), BrokenPipe, "stdout's reader went away"),
        (OSError(errno.EPIPE, "Broken pipe"), BrokenPipe, "stdout's reader went away"),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            OutputFailed,
            "cannot write to stdout: No space left on device",
        ),
    ],
    ids=["broken-pipe", "epipe", "full"],
)
def test_a_failing_stdout_says_why(error: OSError, kind: type[OutputFailed], message: str) -> None:
    guard = GuardedStdout(Failing(error))
    assert not guard.closed
    guard.write("buffered, not yet failed")
    with pytest.raises(kind) as raised:
        guard.flush()
    assert type(raised.value) is kind and raised.value.message == message
    assert guard.failed


def test_a_working_stdout_passes_everything_through() -> None:
    stream = io.StringIO()
    guard = GuardedStdout(stream)
    assert guard.write("abc") == 3
    guard.flush()
    assert stream.getvalue() == "abc" and not guard.failed


def test_stderr_drops_what_it_cannot_write() -> None:
    broken = Failing(OSError(errno.EPIPE, "Broken pipe"))
    quiet = QuietStderr(broken)
    assert quiet.write("first") == 5
    quiet.flush()  # fails: from now on everything is dropped
    assert quiet.failed
    assert quiet.write("second") == 6
    assert broken.getvalue() == "first"
    assert QuietStderr(None).write("nowhere") == 7


@pytest.fixture
def installed() -> Iterator[None]:
    restore = signals.install()
    try:
        yield
    finally:
        restore()


@pytest.mark.parametrize(
    ("number", "code", "said"),
    [
        (signal.SIGTERM, 143, "SIGTERM"),
        (signal.SIGHUP, 129, "SIGHUP"),
        (signal.SIGINT, 130, "Ctrl-C"),
    ],
    ids=["SIGTERM", "SIGHUP", "SIGINT"],
)
def test_a_signal_arrives_as_keyboard_interrupt(
    installed: None, number: signal.Signals, code: int, said: str
) -> None:
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), number)  # the handler runs before the next line would
        pytest.fail("no KeyboardInterrupt")
    assert signals.received() == number
    assert (signals.exit_code(), signals.describe()) == (code, said)


def test_no_signal_reads_as_ctrl_c(installed: None) -> None:
    assert signals.received() is None
    assert (signals.exit_code(), signals.describe()) == (130, "Ctrl-C")


def test_handlers_are_restored_and_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as `nohup` leaves it
    try:
        restore = signals.install()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        restore()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_an_interrupt_that_names_its_signal_sets_the_exit_code(installed: None) -> None:
    from iggy_cli.signals import Interrupt

    assert signals.exit_code(Interrupt(signal.SIGTERM)) == 143
    assert signals.exit_code(KeyboardInterrupt()) == 130

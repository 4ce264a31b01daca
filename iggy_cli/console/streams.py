"""Standard output and error for one run, guarded, so a failed write is an outcome the tool
acts on rather than an OSError (which typer turns into exit 1, and Python into a complaint and
exit 120 when it flushes at exit).

- stdout closed (`>&-`; Python then has `sys.stdout` None), full (`>/dev/full`) or otherwise
  failing raises `OutputFailed`; a reader that went away (`| head -1`) raises `BrokenPipe`,
  which app.run ends quietly with 141 (128 + SIGPIPE), as the shell's own tools end. A token
  that was neither stored nor written is deleted on the server (usecases/tokens.py).
- stderr that cannot be written drops what it is given: messages are never the only copy of
  anything, and there is nowhere left to complain.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from iggy_cli.errors import BrokenPipe, OutputFailed


class GuardedStdout:
    """A text stream in front of stdout (or of nothing, when stdout is closed)."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self.failed = False

    @property
    def closed(self) -> bool:
        return self._stream is None or bool(getattr(self._stream, "closed", False))

    @property
    def encoding(self) -> str:
        return str(getattr(self._stream, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:
        return getattr(self._stream, "errors", None)

    def write(self, text: str) -> int:
        stream = self._open()
        try:
            return stream.write(text)
        except (OSError, ValueError) as error:
            raise self._failure(error) from None

    def flush(self) -> None:
        stream = self._open()
        try:
            stream.flush()
        except (OSError, ValueError) as error:
            raise self._failure(error) from None

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def fileno(self) -> int:
        return self._open().fileno()

    def _open(self) -> TextIO:
        if self._stream is None:
            self.failed = True
            raise OutputFailed("cannot write to stdout: it is closed")
        return self._stream

    def _failure(self, error: OSError | ValueError) -> OutputFailed:
        self.failed = True
        if isinstance(error, BrokenPipeError) or getattr(error, "errno", None) == errno.EPIPE:
            return BrokenPipe("stdout's reader went away")
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return OutputFailed(f"cannot write to stdout: {reason}")


class QuietStderr:
    """stderr that drops what it cannot write (closed, full, or a reader gone)."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self.failed = stream is None

    @property
    def encoding(self) -> str:
        return str(getattr(self._stream, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:
        return getattr(self._stream, "errors", None)

    @property
    def closed(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if self._stream is not None and not self.failed:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):
                self.failed = True
        return len(text)

    def flush(self) -> None:
        if self._stream is not None and not self.failed:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self.failed = True

    def isatty(self) -> bool:
        return self._stream is not None and not self.failed and self._stream.isatty()

    def fileno(self) -> int:
        if self._stream is None:
            raise OSError(errno.EBADF, "stderr is closed")
        return self._stream.fileno()


@contextmanager
def guarded(
    stdout: TextIO | None, stderr: TextIO | None
) -> Iterator[tuple[GuardedStdout, QuietStderr]]:
    """The run's stdout and stderr guarded, for the length of the block; the process's own
    sys.stdout and sys.stderr are left as they are."""
    guard_out, guard_err = GuardedStdout(stdout), QuietStderr(stderr)
    try:
        yield guard_out, guard_err
    finally:
        # What could not be written is still in the stream's buffer, and Python would fail
        # to flush it at exit (a complaint on stderr, exit 120): send it nowhere instead.
        for guard, stream in ((guard_out, stdout), (guard_err, stderr)):
            if guard.failed and stream is not None:
                _discard(stream)


def _discard(stream: TextIO) -> None:
    """Point a real standard stream at /dev/null (in-process test streams are left alone)."""
    if stream not in (sys.__stdout__, sys.__stderr__):
        return
    try:
        descriptor = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)

"""One home for the files the tool keeps: settings, indexes, the token file, journals.

Every file goes through here, so each one gets the same guarantees:

- A change is a read-modify-write under an exclusive lock (`flock` on `.NAME.lock` beside the
  file), so parallel runs never lose each other's entries.
- A write goes to a new temporary file with a unique name, opened with O_CREAT | O_EXCL |
  O_NOFOLLOW (a planted symlink or a leftover file makes the open fail instead of redirecting
  the write), synced, then renamed over the file: a reader sees the old or the new file whole.
- Files are 0600 and folders the tool creates are 0700, whatever the umask (set with fchmod and
  chmod, which the umask does not filter). A folder the tool did not create is never chmodded:
  it may be a shared one the user pointed us at.
- A reader needs no lock: a rename is atomic.
- A file that TAB completion reads may keep a companion (`.NAME.cache`): what a TAB needs of
  it, in the interpreter's built-in `marshal` format (so a TAB imports no json), stamped with
  the file's inode, size and modification time. A companion whose stamp does not match, or
  that cannot be read, is ignored: the file itself is the truth, and the companion only ever
  saves a parse.

Paths are plain strings and the module imports only the standard library's cheapest parts,
because TAB completion reads through it on every key press.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # the fast path imports no typing; mypy reads this name as true
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_OPEN_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


# What a kept file may be, at most: far beyond any real one (names of 100 tokens per user on
# a few servers take kilobytes), and bounded so a damaged or planted file costs nothing.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NESTING = 64


class StateFileError(OSError):
    """A kept file cannot be used as it is (damaged, wrong kind, unsafe permissions)."""


def read_bytes(path: str) -> bytes | None:
    """The whole file, or None when there is none; StateFileError past MAX_FILE_BYTES."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    if len(data) > MAX_FILE_BYTES:
        raise StateFileError(f"{path} is damaged: larger than {MAX_FILE_BYTES >> 20} MiB")
    return data


def damage(data: bytes, toml: bool = False) -> str | None:
    """Why `data` (as read_bytes read it: no larger than MAX_FILE_BYTES) is no file to parse,
    or None: nested deeper than MAX_NESTING (a parser would recurse once per level). Brackets
    inside strings (and, in TOML, comments) do not count."""
    if data.count(b"[") + data.count(b"{") <= MAX_NESTING:
        return None  # the usual case: too few brackets to nest that deep
    import re

    strings = _TOML_TEXT if toml else _JSON_TEXT
    depth = 0
    for bracket in re.sub(strings, b"", data).translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        if depth > MAX_NESTING:
            return f"it is nested more than {MAX_NESTING} levels deep"
    return None


_JSON_TEXT = rb'"(?:[^"\\]|\\.)*"'
_TOML_TEXT = rb'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*'
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


def ensure_folder(folder: str) -> None:
    """Create `folder` and any missing parents with mode 0700. Folders that exist already are
    left as they are: changing the mode of a folder the tool did not create (a shared temporary
    folder, the user's home) could break other programs."""
    missing: list[str] = []
    current = os.path.abspath(folder)
    while not os.path.isdir(current):
        # isdir again: another run may have made the folder between the two looks
        if os.path.lexists(current) and not os.path.isdir(current):
            raise StateFileError(f"{current} is in the way: it is not a folder")
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for path in reversed(missing):
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:
            continue  # another run made it first: theirs, not ours to chmod
        os.chmod(path, FOLDER_MODE)  # mkdir's mode is filtered by the umask


class locked:  # used as `with locked(path):`, like a function
    """Hold the exclusive lock of `path` (its folder is created if missing). A class, not a
    contextlib.contextmanager: TAB completion imports this module, and the fast path imports
    no contextlib."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._descriptor = -1

    def __enter__(self) -> None:
        import fcntl

        folder, name = os.path.split(os.path.abspath(self._path))
        ensure_folder(folder)
        lock_path = os.path.join(folder, f".{name}.lock")
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        self._descriptor = os.open(lock_path, flags, FILE_MODE)
        try:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        except BaseException:
            os.close(self._descriptor)
            raise

    def __exit__(self, *exc_info: object) -> None:
        os.close(self._descriptor)  # closing releases the lock


def replace(path: str, data: bytes) -> None:
    """Put `data` in `path` all at once, mode 0600. Call it while holding `locked(path)`."""
    folder, name = os.path.split(os.path.abspath(path))
    ensure_folder(folder)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    descriptor = os.open(temporary, _OPEN_NEW, FILE_MODE)
    try:
        try:
            os.fchmod(descriptor, FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        try:  # noqa: SIM105  # TAB imports this module: no contextlib
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def update(
    path: str,
    change: Callable[[bytes | None], bytes | None],
    written: Callable[[bytes], None] | None = None,
) -> None:
    """Read-modify-write under the lock: `change` gets the current bytes (None: no file) and
    returns the new ones, or None to leave the file as it is. `written` is given the new bytes
    once they are in place, still under the lock."""
    with locked(path):
        new = change(read_bytes(path))
        if new is not None:
            replace(path, new)
            if written is not None:
                written(new)


def stamp(path: str) -> list[int] | None:
    """What tells one version of a file from another without reading it."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return [info.st_ino, info.st_size, info.st_mtime_ns]


def companion_path(path: str) -> str:
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.cache")


def load_companion(path: str) -> Any:
    """The companion value of `path` if it was made from the file as it is now, else None."""
    import marshal

    current = stamp(path)
    data = read_bytes(companion_path(path)) if current is not None else None
    if data is None:
        return None
    try:
        kept = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None  # damaged, or written by an interpreter with another marshal format
    if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == current):
        return None
    return kept[1]


def save_companion(path: str, value: Any, read_at: list[int] | None = None) -> None:
    """Keep `value` (plain data: dicts, lists, strings, numbers) beside `path`, stamped with
    the file as it is now. Call it holding `locked(path)` (which also keeps two writers of the
    companion apart), right after writing the file, or with `read_at`, the stamp taken before
    the file was read: when the file has changed since, nothing is kept (the value would be
    the old file's under the new one's stamp)."""
    import marshal

    current = stamp(path)
    if current is None or (read_at is not None and read_at != current):
        return
    replace(companion_path(path), marshal.dumps((current, value)))


def check_private(path: str) -> str | None:
    """Make a secret file that others can read private again; returns a warning to show, or
    None when all was well. Raises StateFileError when it is not ours to fix."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise StateFileError(f"{path} is not a regular file")
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if not loose:
        return None
    if info.st_uid != os.geteuid():
        raise StateFileError(f"{path} belongs to another user and others can read it")
    os.chmod(path, FILE_MODE, follow_symlinks=False)
    return (
        f"{path} was readable by others (mode {stat.S_IMODE(info.st_mode):04o}); "
        "it is 0600 now, but its secrets may have been read: consider rotating them"
    )


class JsonState:
    """A JSON object kept in one file: read without a lock, changed under it.

    A damaged file reads as empty (it holds nothing that cannot be learned again) unless
    `strict`, when reading it raises StateFileError (a file of secrets must never be
    silently replaced)."""

    def __init__(
        self,
        path: str,
        strict: bool = False,
        companion: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        """`companion`: what TAB completion needs of the document, kept beside it (see the
        module's doc) each time the document is written."""
        self.path = path
        self.strict = strict
        self.companion = companion

    def load(self) -> dict[str, Any]:
        return self._decode(read_bytes(self.path))

    def update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Apply `change` to the current object in place, under the lock; written only if it
        changed. Returns what `change` returned."""
        import json

        outcome: list[Any] = []

        def apply(current: bytes | None) -> bytes | None:
            document = self._decode(current)
            before = json.dumps(document, sort_keys=True)
            outcome.append(change(document))
            after = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False)
            if json.dumps(document, sort_keys=True) == before:
                return None
            try:
                return (after + "\n").encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate, which JSON carries and UTF-8 cannot
                raise StateFileError(
                    f"{self.path} was not written: it would hold text that is not Unicode"
                ) from None

        companion = self.companion

        def keep_companion(new: bytes) -> None:
            assert companion is not None
            try:  # noqa: SIM105  # (contextlib: see replace())
                save_companion(self.path, companion(json.loads(new)))
            except (OSError, ValueError):  # ValueError: not marshal's kind of data
                pass  # a missing companion only costs a later reader a parse

        update(self.path, apply, None if companion is None else keep_companion)
        return outcome[0]

    def _decode(self, data: bytes | None) -> dict[str, Any]:
        if data is None:
            return {}
        import json

        why = damage(data)
        document = None
        if why is None:
            try:
                document = json.loads(data)
            except (ValueError, RecursionError):
                why = "not a JSON object"
        # only a \\uD800-\\uDFFF escape can make one: checked only where one may be
        if isinstance(document, dict) and b"\\ud" in data.lower() and not _unicode(document):
            why, document = "it holds text that is not Unicode", None
        if isinstance(document, dict):
            return document
        if self.strict:
            raise StateFileError(f"{self.path} is damaged: {why or 'not a JSON object'}")
        return {}


def _unicode(document: dict[str, Any]) -> bool:
    """Whether every string in a parsed document is Unicode: JSON can carry a lone surrogate
    (`"\\udc80"`), which no UTF-8 file can hold, so writing it back would fail."""
    import json

    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

"""Keyring backends that fail on purpose, loaded by the CLI under test through
PYTHON_KEYRING_BACKEND (tests put this folder on PYTHONPATH). Reads and deletes go to the
plaintext stand-in, so a test can still see what was kept."""

from __future__ import annotations

import errno
import threading

from keyring.errors import PasswordSetError

from iggy_cli.plaintext_keyring import PlaintextFileKeyring


class WriteFailsKeyring(PlaintextFileKeyring):
    """Every write fails, as a refused or locked keyring does."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the keyring refused the write (injected by the test)")


class DiskFullKeyring(PlaintextFileKeyring):
    """Every write fails as a full disk makes it fail."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


class WriteHangsKeyring(PlaintextFileKeyring):
    """Every write blocks forever, as a keyring waiting on an unlock prompt nobody sees."""

    def set_password(self, service: str, username: str, password: str) -> None:
        threading.Event().wait()


class HangsKeyring(WriteHangsKeyring):
    """Reads block forever too."""

    def get_password(self, service: str, username: str) -> str | None:
        threading.Event().wait()
        return None

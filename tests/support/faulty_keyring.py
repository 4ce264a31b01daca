"""Keyring backends that fail on purpose, loaded by the CLI under test through
PYTHON_KEYRING_BACKEND (tests put this folder on PYTHONPATH)."""

from __future__ import annotations

from keyring.errors import PasswordSetError

from iggy_cli.plaintext_keyring import PlaintextFileKeyring


class WriteFailsKeyring(PlaintextFileKeyring):
    """Reads and deletes work; every write fails, as a full or locked keyring does."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the keyring refused the write (injected by the test)")

"""A keyring backend whose writes fail or hang on cue, loaded by the CLI under test through
PYTHON_KEYRING_BACKEND=cue_keyring.CueKeyring (tests put this folder on PYTHONPATH).

CUE_KEYRING_WRITES says which writes of the process go wrong, by number, and how: "2=raise"
makes the second `set_password` fail as a refusing keyring does, "1=hang" makes the first one
block forever (as a keyring waiting on an unlock prompt nobody sees); several are separated by
commas. Before hanging it creates the file named by CUE_KEYRING_MARK, so a test knows the
moment has come to send a signal. Everything else goes to the plaintext stand-in, so a test
can read what was kept. The tool's probe of the keyring (service `iggy-cli-probe`, written,
read back and deleted before anything is minted) is not counted: it always works."""

from __future__ import annotations

import os
import threading

from keyring.errors import PasswordSetError

from iggy_cli.secrets.plaintext_keyring import PlaintextFileKeyring
from iggy_cli.secrets.stores import PROBE_SERVICE

_lock = threading.Lock()
_writes = 0


def _cues() -> dict[int, str]:
    cues = {}
    for item in os.environ.get("CUE_KEYRING_WRITES", "").split(","):
        number, _, action = item.partition("=")
        if number.strip():
            cues[int(number)] = action.strip()
    return cues


class CueKeyring(PlaintextFileKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        global _writes
        if service == PROBE_SERVICE:
            super().set_password(service, username, password)
            return
        with _lock:
            _writes += 1
            action = _cues().get(_writes)
        if action == "raise":
            raise PasswordSetError("the keyring refused the write (injected by the test)")
        if action == "hang":
            mark = os.environ.get("CUE_KEYRING_MARK")
            if mark:
                with open(mark, "w") as file:
                    file.write(username)
            threading.Event().wait()
        super().set_password(service, username, password)

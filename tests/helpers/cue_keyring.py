"""A keyring backend whose writes fail or hang on cue, loaded by the CLI under test through
PYTHON_KEYRING_BACKEND=cue_keyring.CueKeyring, built from the run's environment (tests put this
folder on PYTHONPATH for the console script).

CUE_KEYRING_WRITES says which writes of the run go wrong, by number, and how: "2=raise"
makes the second `set_password` fail as a refusing keyring does, "1=hang" makes the first one
block forever (as a keyring waiting on an unlock prompt nobody sees), "3=truncate" keeps only
the first 40 characters of the third (as a full keyring may, without a word); several are
separated by commas. Before hanging it creates the file named by CUE_KEYRING_MARK, so a test
knows the moment has come to send a signal. Everything else goes to the plaintext stand-in, so
a test can read what was kept. The tool's probe of the keyring (service `iggy-cli-probe`,
written, read back and deleted before anything is minted) is not counted: it always works."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from keyring.errors import PasswordSetError

from iggy_cli.secrets.plaintext_keyring import FILE_VARIABLE, PlaintextFileKeyring
from iggy_cli.secrets.stores import PROBE_SERVICE


def _cues(environ: Mapping[str, str]) -> dict[int, str]:
    cues = {}
    for item in environ.get("CUE_KEYRING_WRITES", "").split(","):
        number, _, action = item.partition("=")
        if number.strip():
            cues[int(number)] = action.strip()
    return cues


class CueKeyring(PlaintextFileKeyring):
    """Counts the writes of one run: the tool builds its backend once per run."""

    def __init__(self, path: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(path)
        self.environ: Mapping[str, str] = environ or {}
        self._lock = threading.Lock()
        self._writes = 0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> CueKeyring:
        return cls(environ.get(FILE_VARIABLE) or "", environ)

    def set_password(self, service: str, username: str, password: str) -> None:
        if service == PROBE_SERVICE:
            super().set_password(service, username, password)
            return
        with self._lock:
            self._writes += 1
            action = _cues(self.environ).get(self._writes)
        if action == "raise":
            raise PasswordSetError("the keyring refused the write (injected by the test)")
        if action == "hang":
            mark = self.environ.get("CUE_KEYRING_MARK")
            if mark:
                with open(mark, "w") as file:
                    file.write(username)
            threading.Event().wait()
        if action == "truncate":
            password = password[:40]
        super().set_password(service, username, password)

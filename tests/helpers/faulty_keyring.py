"""Keyring backends that fail on purpose, loaded by the CLI under test through
PYTHON_KEYRING_BACKEND (tests put this folder on PYTHONPATH). Reads and deletes go to the
plaintext stand-in, so a test can still see what was kept.

The tool writes, reads back and deletes a throw-away entry (service `iggy-cli-probe`) before it
mints anything; the faults below spare that probe unless they say otherwise, so they strike as
a keyring that fails between the check and the real write does (locked meanwhile, disk filled).

Some faults are steered by environment variables of the run under test:
- FAULTY_KEYRING_ENTERED: a file created when a write has begun, so a test knows when to send
  a signal;
- FAULTY_KEYRING_DELAY_S: how long a slow write takes (default 60 s).
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Mapping
from typing import Self

from keyring.errors import PasswordSetError

from iggy_cli.secrets.plaintext_keyring import FILE_VARIABLE, PlaintextFileKeyring
from iggy_cli.secrets.stores import PROBE_SERVICE


class _Steered(PlaintextFileKeyring):
    """Built by the tool from the run's environment, where the variables above are read."""

    environ: Mapping[str, str] = {}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        backend = cls(environ.get(FILE_VARIABLE) or "")
        backend.environ = environ
        return backend

    def entered(self) -> None:
        marker = self.environ.get("FAULTY_KEYRING_ENTERED")
        if marker:
            with open(marker, "w") as file:
                file.write(str(os.getpid()))


class _SparesTheProbe(_Steered):
    """Writes go through `fail` except the tool's probe."""

    def set_password(self, service: str, username: str, password: str) -> None:
        if service == PROBE_SERVICE:
            super().set_password(service, username, password)
            return
        self.entered()
        self.fail(service, username, password)

    def fail(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError


class WriteFailsKeyring(_SparesTheProbe):
    """Every write fails, as a refused or locked keyring does."""

    def fail(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the keyring refused the write (injected by the test)")


class EchoingKeyring(_SparesTheProbe):
    """Every write fails with an error that quotes the secret, as some backends' errors do
    (a D-Bus error carrying the call's arguments, say)."""

    def fail(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"cannot store {password!r} for {username} at {service}")


class DiskFullKeyring(_SparesTheProbe):
    """Every write fails as a full disk makes it fail."""

    def fail(self, service: str, username: str, password: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


class WriteHangsKeyring(_SparesTheProbe):
    """Every write blocks forever, as a keyring waiting on an unlock prompt nobody sees."""

    def fail(self, service: str, username: str, password: str) -> None:
        threading.Event().wait()


class SlowKeyring(_SparesTheProbe):
    """Every write takes FAULTY_KEYRING_DELAY_S seconds (default 60), then succeeds: time for
    a test to send a signal while the tool is storing."""

    def fail(self, service: str, username: str, password: str) -> None:
        time.sleep(float(self.environ.get("FAULTY_KEYRING_DELAY_S", "60")))
        PlaintextFileKeyring.set_password(self, service, username, password)


class HangsKeyring(PlaintextFileKeyring):
    """Every call blocks forever, the probe's too."""

    def set_password(self, service: str, username: str, password: str) -> None:
        threading.Event().wait()

    def get_password(self, service: str, username: str) -> str | None:
        threading.Event().wait()
        return None


class ForgetfulKeyring(PlaintextFileKeyring):
    """Accepts every write and keeps nothing, as a misconfigured backend can; it is not
    keyring's null backend, so only reading back tells."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class RaisesOnDemandKeyring(_Steered):
    """Every call fails while the file named by FAULTY_KEYRING_BROKEN exists, and works
    otherwise: a keyring that breaks and mends while the tool runs."""

    def _check(self) -> None:
        marker = self.environ.get("FAULTY_KEYRING_BROKEN")
        if marker and os.path.exists(marker):
            raise PasswordSetError("the keyring is broken just now (injected by the test)")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        super().set_password(service, username, password)

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return super().get_password(service, username)


class TruncatingKeyring(_SparesTheProbe):
    """Keeps only the first 40 characters of what it is given, and says nothing, as a full
    keyring or a backend with a size limit may: the probe's short secret survives whole."""

    def fail(self, service: str, username: str, password: str) -> None:
        PlaintextFileKeyring.set_password(self, service, username, password[:40])


class AlteringKeyring(_SparesTheProbe):
    """Keeps something else than it is given (the last character changed), as a buggy backend
    or another program rewriting the entry would."""

    def fail(self, service: str, username: str, password: str) -> None:
        last = "B" if password.endswith("A") else "A"
        PlaintextFileKeyring.set_password(self, service, username, password[:-1] + last)

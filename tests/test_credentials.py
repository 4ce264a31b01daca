"""The stores where they live (iggy_cli/secrets/stores.py), in-process: the keyring check that
refuses a backend that keeps nothing, timeouts, errors that are masked, and the stores that
keep nothing on purpose. The console script's side is in test_never_lose_a_token.py."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import PasswordDeleteError, PasswordSetError

from iggy_cli.errors import StorageError, UsageError
from iggy_cli.secrets import redaction, stores
from iggy_cli.secrets.stores import (
    PROBE_SERVICE,
    FileStore,
    KeyringStore,
    MemoryStore,
    NoStore,
    password_service,
    session_service,
    token_service,
)

SECRET = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z3h5enp5eg=="


class Kept(KeyringBackend):
    """A backend in a dict (priority set so keyring's base class accepts it)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.calls: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(f"get {service}")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(f"set {service}")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(f"delete {service}")
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such entry")


class Forgetful(Kept):
    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(f"set {service}")


class Garbling(Kept):
    def get_password(self, service: str, username: str) -> str | None:
        value = super().get_password(service, username)
        return None if value is None else value[::-1]


class Hanging(Kept):
    def set_password(self, service: str, username: str, password: str) -> None:
        threading.Event().wait()


class Echoing(Kept):
    def set_password(self, service: str, username: str, password: str) -> None:
        if service != PROBE_SERVICE:
            raise PasswordSetError(f"could not store {password}\nsecond line {password}")
        super().set_password(service, username, password)


class DeleteRefused(Kept):
    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("deleting is not supported")


def test_service_names_match_iggys_own_cli() -> None:
    assert token_service("localhost:3000") == "iggy:localhost:3000"
    assert session_service("h:1") == "iggy-cli-session:h:1"
    assert password_service("h:1") == "iggy-cli-password:h:1"


def test_the_check_writes_reads_back_and_deletes_a_probe() -> None:
    backend = Kept()
    KeyringStore(timeout_s=5, backend=backend).check()
    assert backend.calls == [f"{call} {PROBE_SERVICE}" for call in ("set", "get", "delete")]
    assert backend.entries == {}  # nothing left behind


@pytest.mark.parametrize("backend", [Forgetful(), Garbling()], ids=["forgets", "garbles"])
def test_a_backend_whose_write_cannot_be_read_back_is_no_keyring(backend: Kept) -> None:
    with pytest.raises(StorageError) as refused:
        KeyringStore(timeout_s=5, backend=backend).check()
    name = f"{__name__}.{type(backend).__name__}"
    assert refused.value.message == (
        f"no OS keyring: the keyring backend {name} keeps nothing "
        "(an entry written to it could not be read back)"
    )
    assert refused.value.hint is not None and "--store file" in refused.value.hint
    assert backend.calls[-1] == f"delete {PROBE_SERVICE}"


def test_a_probe_that_cannot_be_deleted_still_passes() -> None:
    KeyringStore(timeout_s=5, backend=DeleteRefused()).check()


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        (null.Keyring(), "no OS keyring: the null keyring (given) keeps nothing"),
        (fail.Keyring(), "no OS keyring is available on this machine"),
    ],
    ids=["null", "fail"],
)
def test_keyrings_own_keep_nothing_backends_are_refused(
    backend: KeyringBackend, message: str
) -> None:
    with pytest.raises(StorageError) as refused:
        KeyringStore(timeout_s=5, backend=backend)
    assert refused.value.message == message


def test_the_check_is_bounded_by_one_timeout() -> None:
    store = KeyringStore(timeout_s=0.2, backend=Hanging())
    with pytest.raises(StorageError) as hung:
        store.check()
    assert hung.value.message == "the keyring did not answer within 0.2 s (check)"
    assert hung.value.hint is not None and "--no-store" in hung.value.hint


def test_a_write_error_quoting_the_secret_is_masked_and_one_line() -> None:
    store = KeyringStore(timeout_s=5, backend=Echoing())
    with pytest.raises(StorageError) as failed:
        store.set("iggy:h:1", "deploy", SECRET)
    assert failed.value.message == "keyring write failed: PasswordSetError: could not store ***"


def test_a_secret_read_from_the_keyring_is_known_to_the_masking() -> None:
    other = f"read-from-the-keyring-{uuid.uuid4().hex}"
    backend = Kept()
    backend.entries[("iggy:h:1", "deploy")] = other
    assert KeyringStore(timeout_s=5, backend=backend).get("iggy:h:1", "deploy") == other
    assert redaction.redact(f"[{other[3:30]}]") == "[***]"


def test_keyring_round_trip_and_delete_reports_whether_there_was_an_entry() -> None:
    store = KeyringStore(timeout_s=5, backend=Kept())
    assert store.get("s", "u") is None
    assert store.delete("s", "u") is False
    store.set("s", "u", "value-1")
    assert store.get("s", "u") == "value-1"
    assert store.delete("s", "u") is True
    assert store.get("s", "u") is None
    assert "given" in store.description


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("", 5.0), ("2.5", 2.5), ("0.001", 0.001)],
    ids=["default", "decimal", "tiny"],
)
def test_keyring_timeout_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, text: str, seconds: float
) -> None:
    monkeypatch.setenv(stores.TIMEOUT_VARIABLE, text)
    assert KeyringStore()._timeout_s == seconds


@pytest.mark.parametrize(
    ("text", "must"),
    [
        ("0", "be more than 0 and at most 3600 seconds"),
        ("-1", "be more than 0 and at most 3600 seconds"),
        ("nan", "be more than 0 and at most 3600 seconds"),
        ("inf", "be more than 0 and at most 3600 seconds"),
        ("3601", "be more than 0 and at most 3600 seconds"),
        ("abc", "be a number of seconds"),
    ],
)
def test_a_keyring_timeout_out_of_bounds_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, text: str, must: str
) -> None:
    # IGGY_KEYRING_TIMEOUT=0 once passed: every keyring call would have failed at once
    monkeypatch.setenv(stores.TIMEOUT_VARIABLE, text)
    with pytest.raises(UsageError) as refused:
        KeyringStore()
    assert refused.value.message == f"IGGY_KEYRING_TIMEOUT must {must}, not {text!r}"


def test_no_store_keeps_nothing_and_says_so_on_every_write() -> None:
    store = NoStore()
    with pytest.raises(StorageError, match=r"^nothing can be kept with --store none$"):
        store.check()
    with pytest.raises(StorageError, match=r"^nothing can be kept with --store none$"):
        store.set("s", "u", SECRET)  # never a silent drop of a secret
    assert store.get("s", "u") is None
    assert store.delete("s", "u") is False


def test_memory_store_round_trip() -> None:
    store = MemoryStore()
    store.check()
    store.set("s", "u", "v")
    assert store.get("s", "u") == "v"
    assert store.delete("s", "u") is True
    assert store.delete("s", "u") is False


def test_file_store_round_trip_and_errors(tmp_path: Path) -> None:
    warnings: list[str] = []
    path = tmp_path / "private" / "tokens.json"
    path.parent.mkdir(mode=0o700)
    store = FileStore(str(path), warnings.append)
    store.check()
    store.set("s", "u", SECRET)
    assert store.get("s", "u") == SECRET
    assert store.delete("s", "u") is True
    assert store.delete("s", "u") is False
    assert "unencrypted" in store.description
    path.write_text("[1, 2]")  # damaged
    with pytest.raises(StorageError) as damaged:
        store.get("s", "u")
    assert damaged.value.message.startswith(f"token file read failed ({path}): ")
    assert "\n" not in damaged.value.message


def test_file_store_check_fails_where_nothing_can_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    store = FileStore(str(blocker / "tokens.json"))
    with pytest.raises(StorageError) as refused:
        store.check()
    assert refused.value.message.startswith(f"token file open failed ({blocker / 'tokens.json'})")


# --- what the mutation pass asked for (make mutate) -------------------------------------------


def test_file_store_errors_name_the_action(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileStore(str(path))
    path.write_text('{"s": "not an object of objects"}')
    for action, call in (
        ("write", lambda: store.set("s", "u", SECRET)),
        ("delete", lambda: store.delete("s", "u")),
        ("read", lambda: store.get("s", "u")),
    ):
        with pytest.raises(StorageError) as failed:
            call()
        assert failed.value.message == (
            f"token file {action} failed ({path}): StateFileError: {path} is damaged: "
            "not an object of objects"
        )


def test_file_store_warns_through_the_callback_about_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    path.chmod(0o644)
    warnings: list[str] = []
    FileStore(str(path), warnings.append).get("s", "u")
    assert len(warnings) == 1 and str(path) in warnings[0]


def test_file_store_secrets_are_known_to_the_masking(tmp_path: Path) -> None:
    # fresh each run: the process registry outlives a test (and mutmut forks warm processes)
    written, read = f"written-{uuid.uuid4().hex}", f"read-{uuid.uuid4().hex}"
    path = tmp_path / "tokens.json"
    FileStore(str(path)).set("s", "w", written)
    path.write_text(f'{{"s": {{"r": "{read}"}}}}')
    path.chmod(0o600)
    assert FileStore(str(path)).get("s", "r") == read
    assert redaction.redact(f"{written[2:30]} {read[5:40]}") == "*** ***"


def test_a_keyring_write_registers_the_secret_before_the_backend_sees_it() -> None:
    secret = f"written-first-{uuid.uuid4().hex}"
    KeyringStore(timeout_s=5, backend=Kept()).set("s", "u", secret)
    assert redaction.redact(secret[10:40]) == "***"


def test_every_keyring_action_is_named_when_it_times_out() -> None:
    class Slow(Kept):
        def get_password(self, service: str, username: str) -> str | None:
            threading.Event().wait()
            return None

        def delete_password(self, service: str, username: str) -> None:
            threading.Event().wait()

    store = KeyringStore(timeout_s=0.05, backend=Slow())
    for action, call in (("read", lambda: store.get("s", "u")),):
        with pytest.raises(StorageError) as hung:
            call()
        assert hung.value.message == f"the keyring did not answer within 0.05 s ({action})"
        assert hung.value.hint == (
            "it may be locked and waiting for a prompt: unlock it, or use --no-store"
        )
    stuck = [thread for thread in threading.enumerate() if thread.name == "keyring-read"]
    assert stuck and all(thread.daemon for thread in stuck)  # never keeps the process alive


def test_a_delete_that_fails_is_a_storage_error_naming_it() -> None:
    backend = DeleteRefused()
    backend.entries[("s", "u")] = "v"
    with pytest.raises(StorageError) as failed:
        KeyringStore(timeout_s=5, backend=backend).delete("s", "u")
    assert failed.value.message == (
        "keyring delete failed: PasswordDeleteError: deleting is not supported"
    )


def test_an_error_without_text_is_described_by_its_type() -> None:
    class Silent(Kept):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise PasswordSetError()

    with pytest.raises(StorageError) as failed:
        KeyringStore(timeout_s=5, backend=Silent()).set("s", "u", "v")
    assert failed.value.message == "keyring write failed: PasswordSetError"


def test_the_hints_say_the_ways_out() -> None:
    with pytest.raises(StorageError) as none:
        NoStore().check()
    assert none.value.hint == (
        "use --no-store to print a new token, or choose --store keyring or --store file"
    )
    for backend in (null.Keyring(), fail.Keyring()):
        with pytest.raises(StorageError) as refused:
            KeyringStore(timeout_s=5, backend=backend)
        assert refused.value.hint == stores._NO_KEYRING_HINT


def test_the_timeout_defaults_to_5_seconds_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(stores.TIMEOUT_VARIABLE, raising=False)
    assert KeyringStore()._timeout_s == 5.0


@pytest.fixture
def discovered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """keyring's own discovery, run again for a backend named in the environment."""
    import keyring.core

    monkeypatch.setenv("IGGY_PLAINTEXT_KEYRING_FILE", str(tmp_path / "keyring.json"))
    yield
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    keyring.core.init_backend()


@pytest.mark.usefixtures("discovered")
def test_discovery_says_who_chose_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.core

    monkeypatch.setenv(
        "PYTHON_KEYRING_BACKEND", "iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring"
    )
    keyring.core.init_backend()
    store = KeyringStore(timeout_s=5)
    assert store.description == (
        "OS keyring iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring "
        "(chosen by PYTHON_KEYRING_BACKEND)"
    )
    store.check()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    keyring.core.init_backend()
    with pytest.raises(StorageError) as refused:
        KeyringStore(timeout_s=5).check()
    assert refused.value.message == (
        "no OS keyring: the null keyring (chosen by PYTHON_KEYRING_BACKEND) keeps nothing"
    )

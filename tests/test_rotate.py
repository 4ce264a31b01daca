"""pat rotate, with a refusal injected at each step: whatever fails, the store ends up holding a
token that works, and the error says which. The use case runs in-process against a sandbox
over real sockets; faults come from a transport wrapper (a refusal the server never acted on)
and from a store whose writes fail on cue. Answers lost after the server acted, signals, and
following the advice printed are in test_rotation_faults.py, through the console script."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from helpers.servers import mint_token, server_tokens, token_works

from iggy_cli.errors import IggyCliError, StorageError, TokenNotStored
from iggy_cli.runtime import AppContext
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.secrets.stores import MemoryStore
from iggy_cli.server.transport import Transport
from iggy_cli.settings import Settings, normalize_url
from iggy_cli.state.config_file import UserConfig
from iggy_cli.state.indexes import NameIndex, SessionIndex
from iggy_cli.state.rotation_journal import JournalEntry, RotationJournal
from iggy_cli.usecases.rotation import rotate

SERVICE_PREFIX = "iggy:"


class Faults:
    """Fail the n-th request matching (method, path; a trailing * matches any rest), and the
    n-th store write."""

    def __init__(self, request: tuple[str, str, int] | None = None, write: int | None = None):
        self.request = request
        self.write = write
        self.seen: dict[tuple[str, str], int] = {}
        self.writes = 0


class FaultyTransport(httpx.BaseTransport):
    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._inner = Transport(timeout=5)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._faults.request is not None:
            method, path, nth = self._faults.request
            seen = request.url.path
            matches = seen.startswith(path[:-1]) if path.endswith("*") else seen == path
            if request.method == method and matches:
                key = (method, path)
                self._faults.seen[key] = self._faults.seen.get(key, 0) + 1
                if self._faults.seen[key] == nth:
                    return httpx.Response(503, text="injected fault", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class FaultyStore(MemoryStore):
    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self._faults = faults

    def set(self, service: str, username: str, secret: str) -> None:
        self._faults.writes += 1
        if self._faults.writes == self._faults.write:
            raise StorageError("the keyring refused the write (injected)")
        super().set(service, username, secret)


def context(tmp_path: Path, url: str, faults: Faults, store: MemoryStore) -> AppContext:
    return AppContext(
        settings=Settings(normalize_url(url), timeout_s=5.0, username="iggy"),
        environ={"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"},
        store_factory=lambda: store,
        transport_factory=lambda: FaultyTransport(faults),
        sessions=SessionIndex(str(tmp_path / "sessions.json")),
        names=NameIndex(str(tmp_path / "names.json")),
        config=UserConfig(str(tmp_path / "config.toml")),
        rotations=RotationJournal(str(tmp_path / "rotations.json")),
    )


@pytest.fixture
def setup(sandbox: SandboxServer, tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(faults: Faults) -> tuple[AppContext, MemoryStore, str, str]:
        old = mint_token(sandbox.url, "deploy", expiry_us=30 * 86_400 * 1_000_000)
        store = FaultyStore(faults)
        service = SERVICE_PREFIX + sandbox.url.removeprefix("http://")
        MemoryStore.set(store, service, "deploy", old)  # stored before any fault counting
        ctx = context(tmp_path, sandbox.url, faults, store)
        # as `pat create` leaves it: the copy's owner recorded (else rotate asks the server)
        address = service.removeprefix(SERVICE_PREFIX)
        ctx.names.add_stored(address, "keyring", "deploy", sandbox.dialect.root_user_id)
        return ctx, store, service, old

    return make


def test_rotation_replaces_the_secret_and_keeps_the_name(setup, sandbox: SandboxServer) -> None:  # type: ignore[no-untyped-def]
    ctx, store, service, old = setup(Faults())
    before = server_tokens(sandbox.url)["deploy"]
    handed: list[str] = []
    outcome = rotate(ctx, "deploy", None, handed.append)
    new = store.get(service, "deploy")
    assert outcome.warnings == [] and new != old and handed == []
    assert token_works(sandbox.url, new) and not token_works(sandbox.url, old)
    after = server_tokens(sandbox.url)
    assert list(after) == ["deploy"]  # the stand-in is gone
    assert before is not None and after["deploy"] is not None
    assert abs(after["deploy"] - before) < 5_000_000  # ends when the old one would have
    assert outcome.expires_at is not None
    assert abs(outcome.expires_at.timestamp() * 1_000_000 - before) < 5_000_000
    assert RotationJournal(str(ctx.rotations.path)).entries(service.removeprefix("iggy:")) == {}


STEPS = [
    # (fault, what the store holds afterwards, exit code). Logging in with the new token is no
    # longer a step: the stand-in, minted the same way, already proved that such tokens work.
    ({"request": ("POST", "/personal-access-tokens", 1)}, "old", 6),
    ({"request": ("POST", "/personal-access-tokens/login", 1)}, "old", 6),
    ({"write": 1}, "old-or-stand-in", 7),
    ({"request": ("DELETE", "/personal-access-tokens/deploy", 1)}, "old", 6),
    ({"request": ("POST", "/personal-access-tokens", 2)}, "stand-in", 6),
    ({"write": 2}, "stand-in, new printed", 7),
]
STEP_IDS = [
    "mint-stand-in",
    "check-stand-in",
    "store-stand-in",
    "delete-old",
    "mint-new",
    "store-new",
]


@pytest.mark.parametrize(("fault", "holds", "code"), STEPS, ids=STEP_IDS)
def test_a_failed_step_leaves_a_working_token_stored(
    setup,  # type: ignore[no-untyped-def]
    sandbox: SandboxServer,
    fault: dict[str, object],
    holds: str,
    code: int,
) -> None:
    ctx, store, service, old = setup(Faults(**fault))  # type: ignore[arg-type]
    handed: list[str] = []
    with pytest.raises(IggyCliError) as caught:
        rotate(ctx, "deploy", None, handed.append)
    stored = store.get(service, "deploy")
    message = caught.value.message
    assert token_works(sandbox.url, stored), message
    assert caught.value.exit_code == code
    left = sorted(server_tokens(sandbox.url))
    if holds == "old":
        assert message.startswith("rotation of 'deploy' failed at ")
        assert stored == old and handed == []
        assert "the old token again" in message or "nothing changed" in message
        assert left == ["deploy"]  # no stand-in left behind
    elif holds == "old-or-stand-in":
        assert stored == old and handed == []
        assert "the stored copy is the old token or, if the keyring completes the write " in message
        # the stand-in stays, to expire, in case the write lands late
        assert left[0] == "deploy" and left[1].startswith("iggy-cli-standin-")
    elif holds == "stand-in":
        assert message.startswith("rotation of 'deploy' failed at ")
        assert stored != old and handed == []
        assert "the stored copy is the stand-in 'iggy-cli-standin-" in message
        assert "which works until " in message
    else:
        assert isinstance(caught.value, TokenNotStored)
        assert message.startswith("rotation of 'deploy': the new token was created ")
        assert "the stored copy is the stand-in 'iggy-cli-standin-" in message
        assert len(handed) == 1 and token_works(sandbox.url, handed[0])
        assert stored != old and stored != handed[0]


def test_a_stand_in_left_behind_is_a_warning(setup, sandbox: SandboxServer) -> None:  # type: ignore[no-untyped-def]
    stand_in = ("DELETE", "/personal-access-tokens/iggy-cli-standin-*", 1)
    ctx, store, service, _ = setup(Faults(request=stand_in))
    outcome = rotate(ctx, "deploy", None, [].append)
    assert token_works(sandbox.url, store.get(service, "deploy"))
    assert len(outcome.warnings) == 1
    assert "could not make sure the stand-in 'iggy-cli-standin-" in outcome.warnings[0]
    assert outcome.warnings[0].endswith("`iggy pat prune --yes` removes it now")
    assert sorted(server_tokens(sandbox.url))[0] == "deploy"


def test_a_put_back_old_token_takes_the_session_back_too(setup, sandbox: SandboxServer) -> None:  # type: ignore[no-untyped-def]
    from iggy_cli.secrets.stores import SESSION_TOKEN_NAME, session_service

    ctx, store, _, old = setup(Faults(request=("DELETE", "/personal-access-tokens/deploy", 1)))
    session = session_service(sandbox.url.removeprefix("http://"))
    MemoryStore.set(store, session, SESSION_TOKEN_NAME, old)  # as after `pat login deploy`
    with pytest.raises(IggyCliError, match="the stored copy is the old token again"):
        rotate(ctx, "deploy", None, [].append)
    assert store.get(session, SESSION_TOKEN_NAME) == old
    assert token_works(sandbox.url, old)


class FaultyJournal(RotationJournal):
    """A journal whose n-th write fails, as a full disk does."""

    def __init__(self, path: str, failing_put: int) -> None:
        super().__init__(path)
        self.failing_put = failing_put
        self.puts = 0

    def put(self, address: str, name: str, entry: JournalEntry) -> None:
        self.puts += 1
        if self.puts == self.failing_put:
            raise StorageError(f"cannot write {self.path}: No space left on device")
        super().put(address, name, entry)


@pytest.mark.parametrize(
    ("failing_put", "step"),
    [(1, "starting the journal"), (2, "updating the journal")],
    ids=["before-the-stand-in", "before-storing-it"],
)
def test_a_journal_that_cannot_be_written_changes_nothing(
    setup,  # type: ignore[no-untyped-def]
    sandbox: SandboxServer,
    tmp_path: Path,
    failing_put: int,
    step: str,
) -> None:
    ctx, store, service, old = setup(Faults())
    ctx.rotations = FaultyJournal(str(tmp_path / "rotations.json"), failing_put)
    with pytest.raises(IggyCliError) as caught:
        rotate(ctx, "deploy", None, [].append)
    assert caught.value.exit_code == 7
    assert caught.value.message.startswith(f"rotation of 'deploy' failed at {step}: cannot write ")
    assert caught.value.message.endswith("; nothing changed")
    assert store.get(service, "deploy") == old
    assert list(server_tokens(sandbox.url)) == ["deploy"]


def test_an_unusable_journal_folder_stops_before_anything(
    setup,  # type: ignore[no-untyped-def]
    sandbox: SandboxServer,
    tmp_path: Path,
) -> None:
    ctx, store, service, old = setup(Faults())
    (tmp_path / "in-the-way").write_text("")
    ctx.rotations = RotationJournal(str(tmp_path / "in-the-way" / "rotations.json"))
    with pytest.raises(StorageError, match="cannot lock"):
        rotate(ctx, "deploy", None, [].append)
    assert store.get(service, "deploy") == old
    assert list(server_tokens(sandbox.url)) == ["deploy"]

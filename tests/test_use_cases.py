"""The token and session use cases where they live (iggy_cli/usecases/), in-process against a
sandbox over real loopback sockets, with a memory store and a fixed clock: fast enough for the
mutation pass (`make mutate`), which needs tests that can see a mutant."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.servers import mint_token, new_sandbox, server_tokens

from iggy_cli.console.output import Output
from iggy_cli.console.streams import GuardedStdout
from iggy_cli.errors import (
    Declined,
    Interrupted,
    OutputFailed,
    StorageError,
    TokenNotDelivered,
    UsageError,
)
from iggy_cli.models import NEVER_EXPIRES_US, SERVER_DEFAULT_US, Expiry, PersonalAccessToken
from iggy_cli.runtime import AppContext
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.secrets.stores import SESSION_TOKEN_NAME, MemoryStore, NoStore, session_service
from iggy_cli.settings import Settings, normalize_url
from iggy_cli.state.config_file import UserConfig
from iggy_cli.state.indexes import NameIndex, SessionIndex
from iggy_cli.usecases import sessions, tokens
from iggy_cli.usecases.common import (
    ANY_NAME_BYTES,
    SESSION_DEFAULT_EXPIRY,
    check_token_name,
    expires_at,
)
from iggy_cli.usecases.tokens import TokenRow, needing_attention

NOW = datetime(2030, 1, 1, tzinfo=UTC)
DAY_US = 86_400 * 1_000_000


class RefusingStore(MemoryStore):
    def set(self, service: str, username: str, secret: str) -> None:
        raise StorageError("the keyring refused the write (injected)", hint="try --no-store")


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with new_sandbox(cleaner_interval_s=None) as started:
        yield started


Build = Callable[..., AppContext]


@pytest.fixture
def build(server: SandboxServer, tmp_path: Path) -> Build:
    def make(
        store: MemoryStore | NoStore | None = None,
        stdout: object = None,
        now: datetime | None = None,
    ) -> AppContext:
        chosen = store if store is not None else MemoryStore()
        return AppContext(
            settings=Settings(normalize_url(server.url), timeout_s=5.0, username="iggy"),
            output=Output(stdout=stdout or io.StringIO(), stderr=io.StringIO()),  # type: ignore[arg-type]
            environ={"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"},
            now=lambda: now or datetime.now(UTC),
            store_factory=lambda: chosen,
            sessions=SessionIndex(str(tmp_path / "sessions.json")),
            names=NameIndex(str(tmp_path / "names.json")),
            config=UserConfig(str(tmp_path / "config.toml")),
        )

    return make


def address(server: SandboxServer) -> str:
    return server.url.removeprefix("http://")


THIRTY_DAYS = Expiry(30 * DAY_US, "30d")


# --- pat create -------------------------------------------------------------------------------


def test_create_stores_the_token_and_names_it(build: Build, server: SandboxServer) -> None:
    store = MemoryStore()
    ctx = build(store, now=NOW)
    with tokens.create_token(ctx, "deploy", THIRTY_DAYS, keep=True) as outcome:
        pass
    service = f"iggy:{address(server)}"
    assert store.entries == {(service, "deploy"): outcome.minted.token}
    assert outcome.stored_in == tokens.StoredEntry("keyring", service, "deploy")
    assert outcome.store_error is None
    assert outcome.expires_at == NOW + timedelta(days=30)
    assert ctx.names.stored(address(server), "keyring") == {"deploy"}
    assert list(server_tokens(server.url)) == ["deploy"]


def test_create_without_keeping_hands_the_token_back(build: Build, server: SandboxServer) -> None:
    store = MemoryStore()
    with tokens.create_token(build(store), "deploy", THIRTY_DAYS, keep=False) as outcome:
        pass
    assert outcome.stored_in is None and outcome.store_error is None
    assert store.entries == {} and len(outcome.minted.token) == 68


def test_a_refused_store_is_reported_not_raised(build: Build, server: SandboxServer) -> None:
    with tokens.create_token(build(RefusingStore()), "deploy", THIRTY_DAYS, True) as outcome:
        pass
    assert outcome.stored_in is None
    assert outcome.store_error is not None
    assert outcome.store_error.message == "the keyring refused the write (injected)"
    assert list(server_tokens(server.url)) == ["deploy"]  # the caller prints it


def test_a_store_that_cannot_keep_anything_fails_before_minting(
    build: Build, server: SandboxServer
) -> None:
    with (
        pytest.raises(StorageError),
        tokens.create_token(build(NoStore()), "deploy", THIRTY_DAYS, True),
    ):
        pass
    assert server_tokens(server.url) == {}


def test_a_closed_stdout_is_refused_before_minting_when_nothing_is_kept(
    build: Build, server: SandboxServer
) -> None:
    ctx = build(stdout=GuardedStdout(None))
    with (
        pytest.raises(UsageError) as refused,
        tokens.create_token(ctx, "deploy", THIRTY_DAYS, False),
    ):
        pass
    assert refused.value.message.startswith("stdout is closed")
    assert server_tokens(server.url) == {}


def test_a_closed_stdout_does_not_matter_when_the_token_is_stored(
    build: Build, server: SandboxServer
) -> None:
    ctx = build(stdout=GuardedStdout(None))
    with tokens.create_token(ctx, "deploy", THIRTY_DAYS, True) as outcome:
        pass
    assert outcome.stored_in is not None


@pytest.mark.parametrize("store", ["none", "refused"])
def test_a_token_shown_nowhere_and_not_stored_is_deleted_on_the_server(
    build: Build, server: SandboxServer, store: str
) -> None:
    keep = store == "refused"
    ctx = build(RefusingStore() if keep else MemoryStore())
    with (
        pytest.raises(TokenNotDelivered) as lost,
        tokens.create_token(ctx, "deploy", THIRTY_DAYS, keep),
    ):
        raise OutputFailed("cannot write to stdout: No space left on device")
    assert server_tokens(server.url) == {}
    message = lost.value.message
    assert message.endswith("it was deleted on the server")
    assert "shown (cannot write to stdout: No space left on device)" in message
    if keep:
        assert "neither stored (the keyring refused the write (injected))" in message
        assert lost.value.hint == "try --no-store"
    else:
        assert message.startswith("token 'deploy' was created but could not be shown")
        assert lost.value.hint is None
    assert lost.value.exit_code == 7


def test_a_stored_token_survives_a_failed_output(build: Build, server: SandboxServer) -> None:
    store = MemoryStore()
    with (
        pytest.raises(OutputFailed),
        tokens.create_token(build(store), "deploy", THIRTY_DAYS, True),
    ):
        raise OutputFailed("cannot write to stdout: it is closed")
    assert list(server_tokens(server.url)) == ["deploy"]
    assert len(store.entries) == 1


# --- needing attention: the boundaries ------------------------------------------------------


def row(offset: timedelta | None) -> TokenRow:
    ends = None if offset is None else NOW + offset
    micros = None if ends is None else int(ends.timestamp()) * 1_000_000
    token = PersonalAccessToken("t", micros)
    return TokenRow(token, token.is_expired(NOW), False)


@pytest.mark.parametrize(
    ("offset", "window", "expired", "chosen"),
    [
        (timedelta(days=7), timedelta(days=7), False, True),  # the window's last instant
        (timedelta(days=7, seconds=1), timedelta(days=7), False, False),
        (timedelta(seconds=1), timedelta(days=7), False, True),
        (timedelta(0), timedelta(days=7), False, False),  # expired at this instant: not "soon"
        (timedelta(0), None, True, True),  # but expired
        (timedelta(days=-1), timedelta(days=7), False, False),
        (timedelta(days=-1), None, True, True),
        (timedelta(days=1), None, True, False),
        (None, timedelta(days=7), True, False),  # never expires
    ],
)
def test_needing_attention(
    offset: timedelta | None, window: timedelta | None, expired: bool, chosen: bool
) -> None:
    candidate = row(offset)
    assert needing_attention([candidate], NOW, window, expired) == ([candidate] if chosen else [])


def test_the_session_token_needs_attention_only_when_asked() -> None:
    in_a_minute = row(timedelta(minutes=1))
    session = in_a_minute._replace(token=in_a_minute.token._replace(name=SESSION_TOKEN_NAME))
    later = row(timedelta(minutes=2))
    rows = [session, later]
    window = timedelta(days=1)
    # left out by default, and the rows after it are still looked at
    assert needing_attention(rows, NOW, window, False) == [later]
    assert needing_attention(rows, NOW, window, False, include_session=True) == rows


# --- list, delete, prune ----------------------------------------------------------------------


def test_list_says_which_tokens_are_stored_and_expired(build: Build, server: SandboxServer) -> None:
    ctx = build()
    with tokens.create_token(ctx, "kept", THIRTY_DAYS, True):
        pass
    mint_token(server.url, "elsewhere", expiry_us=1)
    rows = {r.token.name: r for r in tokens.list_tokens(ctx)}
    assert (rows["kept"].stored, rows["kept"].expired) == (True, False)
    assert (rows["elsewhere"].stored, rows["elsewhere"].expired) == (False, True)


def test_delete_removes_the_copy_and_the_name(build: Build, server: SandboxServer) -> None:
    store = MemoryStore()
    ctx = build(store)
    with tokens.create_token(ctx, "deploy", THIRTY_DAYS, True):
        pass
    outcomes = list(tokens.delete_tokens(ctx, ["deploy", "missing"], lambda names: True))
    assert [(o.name, o.deleted_on_server, o.removed_locally) for o in outcomes] == [
        ("deploy", True, True),
        ("missing", False, False),
    ]
    assert store.entries == {} and server_tokens(server.url) == {}
    assert ctx.names.known(address(server)) == set()  # no stale name for TAB completion


def test_delete_asks_about_the_tokens_the_server_has_and_a_no_deletes_nothing(
    build: Build, server: SandboxServer
) -> None:
    ctx = build(MemoryStore())
    with tokens.create_token(ctx, "deploy", THIRTY_DAYS, True):
        pass
    asked: list[list[str]] = []

    def decline(names: list[str]) -> bool:
        asked.append(list(names))
        return False

    with pytest.raises(Declined, match="Nothing deleted"):
        list(tokens.delete_tokens(ctx, ["deploy", "missing"], decline))
    assert asked == [["deploy"]]  # only what exists is asked about
    assert list(server_tokens(server.url)) == ["deploy"]


def test_prune_expired_leaves_orphans_and_orphans_leave_expired(
    build: Build, server: SandboxServer
) -> None:
    store = MemoryStore()
    ctx = build(store)
    for name in ("orphan", "live"):
        with tokens.create_token(ctx, name, THIRTY_DAYS, True):
            pass
    mint_token(server.url, "old", expiry_us=1)
    delete_on_server(server.url, "orphan")  # by another client: the stored copy is an orphan
    planned = tokens.prune(ctx, expired=False, orphans=True, dry_run=True)
    assert (planned.expired, planned.orphans, planned.dry_run) == ([], ["orphan"], True)
    assert tokens.prune(ctx, expired=False, orphans=True, dry_run=False).orphans == ["orphan"]
    assert sorted(server_tokens(server.url)) == ["live", "old"]  # --orphans deletes no token
    assert [name for (_, name) in store.entries] == ["live"]
    assert tokens.prune(ctx, expired=True, orphans=False, dry_run=True).expired == ["old"]
    assert sorted(server_tokens(server.url)) == ["live", "old"]  # a dry run changes nothing
    assert tokens.prune(ctx, expired=True, orphans=False, dry_run=False).expired == ["old"]
    assert sorted(server_tokens(server.url)) == ["live"]


def delete_on_server(url: str, name: str) -> None:
    from iggy_cli.server.client import IggyClient

    with IggyClient(url, timeout=5) as client:
        client.login_with_password("iggy", "iggy")
        client.delete_token(name)
        client.logout()


# --- login ------------------------------------------------------------------------------------


def test_login_keeps_a_session_token(build: Build, server: SandboxServer) -> None:
    store = MemoryStore()
    ctx = build(store, now=NOW)
    outcome = sessions.login(ctx, SESSION_DEFAULT_EXPIRY)
    assert outcome.expires_at == NOW + timedelta(minutes=15)
    assert not outcome.replaced
    secret = store.get(session_service(address(server)), SESSION_TOKEN_NAME)
    assert secret is not None
    assert sessions.login(ctx, SESSION_DEFAULT_EXPIRY).replaced
    assert list(server_tokens(server.url)) == [SESSION_TOKEN_NAME]


def test_a_session_that_cannot_be_kept_is_deleted_on_the_server(
    build: Build, server: SandboxServer
) -> None:
    with pytest.raises(StorageError) as failed:
        sessions.login(build(RefusingStore()), SESSION_DEFAULT_EXPIRY)
    assert failed.value.message == (
        "could not keep the session (the keyring refused the write (injected)); "
        "its token was deleted on the server"
    )
    assert server_tokens(server.url) == {}


# --- the pure parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "ends"),
    [
        (Expiry(NEVER_EXPIRES_US, "never"), None),
        (Expiry(SERVER_DEFAULT_US, "server default"), None),
        (Expiry(1, "1us"), NOW + timedelta(microseconds=1)),
        (Expiry(DAY_US, "1d"), NOW + timedelta(days=1)),
    ],
)
def test_expires_at(expiry: Expiry, ends: datetime | None) -> None:
    assert expires_at(expiry, NOW) == ends


@pytest.mark.parametrize(
    ("name", "limits", "ok"),
    [
        ("abc", None, True),
        ("ab", None, False),
        ("x" * 30, None, True),
        ("x" * 31, None, False),
        ("é" * 15, None, True),  # 30 bytes
        ("é" * 16, None, False),  # 32 bytes
        ("x", ANY_NAME_BYTES, True),
        ("", ANY_NAME_BYTES, False),
        ("x" * 255, ANY_NAME_BYTES, True),
        ("x" * 256, ANY_NAME_BYTES, False),
    ],
)
def test_token_names_are_checked_in_bytes(
    name: str, limits: tuple[int, int] | None, ok: bool
) -> None:
    if ok:
        assert check_token_name(name, *([limits] if limits else [])) == name
    else:
        with pytest.raises(UsageError, match="bytes; it must be"):
            check_token_name(name, *([limits] if limits else []))


# --- interrupted, refused, expired: the words (make mutate asked) ------------------------------


class Interrupting(MemoryStore):
    def set(self, service: str, username: str, secret: str) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_while_storing_is_a_store_error_and_the_token_comes_back(
    build: Build, server: SandboxServer
) -> None:
    with tokens.create_token(build(Interrupting(), now=NOW), "deploy", THIRTY_DAYS, True) as out:
        pass
    assert out.store_error is not None
    assert out.store_error.message == "storing it was interrupted (Ctrl-C)"
    assert out.expires_at == NOW + timedelta(days=30)
    assert out.minted.name == "deploy" and len(out.minted.token) == 68


def test_a_refused_store_keeps_the_expiry(build: Build, server: SandboxServer) -> None:
    with tokens.create_token(build(RefusingStore(), now=NOW), "deploy", THIRTY_DAYS, True) as out:
        pass
    assert out.expires_at == NOW + timedelta(days=30)
    with tokens.create_token(build(now=NOW), "other", THIRTY_DAYS, False) as out:
        pass
    assert out.expires_at == NOW + timedelta(days=30)


def test_ctrl_c_while_the_create_is_in_flight_says_the_token_may_exist(
    build: Build, server: SandboxServer
) -> None:
    import httpx

    from iggy_cli.server.transport import Transport

    class Interrupt(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = Transport(timeout=5)

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.url.path == "/personal-access-tokens":
                self.inner.handle_request(request)  # the server acts...
                raise KeyboardInterrupt  # ...and the answer never reaches the caller
            return self.inner.handle_request(request)

        def close(self) -> None:
            self.inner.close()

    ctx = build()
    ctx.transport_factory = Interrupt
    with (
        pytest.raises(Interrupted) as stopped,
        tokens.create_token(ctx, "deploy", THIRTY_DAYS, True),
    ):
        pass
    assert stopped.value.message == (
        "interrupted (Ctrl-C) while the server was creating token 'deploy': "
        "it may now exist on the server"
    )
    assert stopped.value.hint == (
        "check with `iggy pat list`; if it is there, `iggy pat delete deploy` removes it "
        "(its secret never arrived)"
    )
    assert list(server_tokens(server.url)) == ["deploy"]


@pytest.mark.parametrize(
    ("how", "message", "hint"),
    [
        (
            "unknown",
            "the server does not know the token (deleted, or removed after it expired)",
            None,
        ),
        ("expired", "the token has expired", None),
        (
            "session",
            "the server does not know your session for {url} (deleted, or removed after "
            "it expired)",
            "run `iggy login` again",
        ),
        (
            "named",
            "the server does not know token 'deploy' (deleted, or removed after it expired)",
            None,
        ),
    ],
)
def test_a_token_that_does_not_sign_in_says_which_and_why(
    build: Build, server: SandboxServer, how: str, message: str, hint: str | None
) -> None:
    import time

    from iggy_cli.errors import AuthenticationError

    store = MemoryStore()
    ctx = build(store)
    ctx.environ = {}
    service = f"iggy:{address(server)}"
    unknown = "Q" * 66 + "=="
    if how == "unknown":
        ctx.environ = {"IGGY_TOKEN": unknown}
    elif how == "expired":
        ctx.environ = {"IGGY_TOKEN": mint_token(server.url, "short", expiry_us=1)}
        time.sleep(0.01)
    elif how == "session":
        store.set(session_service(address(server)), SESSION_TOKEN_NAME, unknown)
    else:
        store.set(service, "deploy", unknown)
        ctx.auth = ctx.auth._replace(token_name="deploy")
    with pytest.raises(AuthenticationError) as refused:
        tokens.list_tokens(ctx)
    assert refused.value.message == message.format(url=server.url)
    assert refused.value.hint == hint


class Crashing(MemoryStore):
    def set(self, service: str, username: str, secret: str) -> None:
        raise RuntimeError("a backend bug")


def test_any_other_store_failure_is_reported_by_its_type(
    build: Build, server: SandboxServer
) -> None:
    with tokens.create_token(build(Crashing(), now=NOW), "deploy", THIRTY_DAYS, True) as out:
        pass
    assert out.store_error is not None
    assert out.store_error.message == "storing it failed: RuntimeError"
    assert out.expires_at == NOW + timedelta(days=30) and out.minted.name == "deploy"


def test_a_token_that_cannot_be_withdrawn_says_how_to_delete_it(
    build: Build, server: SandboxServer
) -> None:
    import httpx

    from iggy_cli.server.transport import Transport

    class NoDeletes(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = Transport(timeout=5)

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "DELETE" and "deploy" in request.url.path:
                return httpx.Response(503, text="unavailable", request=request)
            return self.inner.handle_request(request)

        def close(self) -> None:
            self.inner.close()

    ctx = build()
    ctx.transport_factory = NoDeletes
    with (
        pytest.raises(TokenNotDelivered) as lost,
        tokens.create_token(ctx, "deploy", THIRTY_DAYS, False),
    ):
        raise OutputFailed("cannot write to stdout: it is closed")
    assert lost.value.message.endswith(
        "; delete it with `iggy pat delete deploy`, nobody has its secret"
    )
    assert list(server_tokens(server.url)) == ["deploy"]

"""Iggy's own Rust CLI (iggy-cli 0.14.0 from crates.io, the one Iggy 0.9.0 shipped with) as a
test peer nobody here wrote: against the sandbox over HTTP, beside iggy-cli on a real Secret
Service, and writing the contexts iggy-cli imports (helpers/rust_cli.py).

Whatever the Rust CLI does here must work as Iggy's source says it works against a real server
(core/cli and core/sdk of the published crates iggy-cli 0.14.0 and iggy 0.11.0); where it does
not, the sandbox is wrong. `make test` runs this tier on its own (marker rust_cli); in CI a
missing binary fails it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import rust_cli
from helpers.cli import Cli, ProcessCli
from helpers.rust_cli import RustCli
from helpers.secret_service import SecretService, missing_tools
from helpers.servers import new_sandbox, server_tokens, token_works

from iggy_cli.sandbox.http_server import SandboxServer

pytestmark = pytest.mark.rust_cli

SESSION = "iggy-cli-session"
NEVER = 2**64 - 1
FIFTEEN_MINUTES_US = 15 * 60 * 1_000_000  # DEFAULT_LOGIN_SESSION_TIMEOUT, cli login.rs


def _unusable(why: str | None) -> None:
    if why is None:
        return
    if rust_cli.required():
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def rust_binary() -> Path:
    _unusable(rust_cli.problem())
    return rust_cli.binary()


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    missing = missing_tools()
    _unusable(f"no Secret Service: {', '.join(missing)} not installed" if missing else None)
    service = SecretService(tmp_path / "keyring-home")
    yield service
    service.stop()


@pytest.fixture(params=["stable", "edge"])
def any_sandbox(request: pytest.FixtureRequest, access_log: list[str]) -> Iterator[SandboxServer]:
    """The stable generation (0.8.0) and edge, the generation Iggy 0.9.0 grew from."""
    with new_sandbox(dialect=request.param, access_log=access_log.append) as server:
        yield server


@pytest.fixture
def rust(
    rust_binary: Path, tmp_path: Path, any_sandbox: SandboxServer, secret_service: SecretService
) -> RustCli:
    return RustCli(
        tmp_path / "rust-home",
        any_sandbox.url,
        secret_service.address,
        secret_service.env["XDG_RUNTIME_DIR"],
    )


@pytest.fixture
def os_cli(tmp_path: Path, any_sandbox: SandboxServer, secret_service: SecretService) -> Cli:
    """iggy-cli with keyring finding the same Secret Service by itself: the console script, in
    a process whose environment leads to the private D-Bus."""
    cli = ProcessCli(tmp_path / "py-home", any_sandbox.url)
    for variable in ("PYTHON_KEYRING_BACKEND", "IGGY_PLAINTEXT_KEYRING_FILE", "PYTHONPATH"):
        cli.env.pop(variable)
    cli.env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    cli.env["XDG_RUNTIME_DIR"] = secret_service.env["XDG_RUNTIME_DIR"]
    return cli


def _sent_expiry(sandbox: SandboxServer, name: str) -> object:
    creates = [
        request.json
        for request in sandbox.requests
        if request.method == "POST" and request.path == "/personal-access-tokens"
    ]
    bodies = [body for body in creates if isinstance(body, dict) and body.get("name") == name]
    assert len(bodies) == 1, bodies
    return bodies[0]["expiry"]


def _local(expiry_at_us: int) -> str:
    """How `pat list` prints an expiry: local time (TZ=UTC here), no zone."""
    return datetime.fromtimestamp(expiry_at_us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _one_item(secret_service: SecretService, service: str, username: str) -> str:
    items = secret_service.items(service, username)
    assert len(items) == 1, [item.attributes for item in items]
    return items[0].secret


def test_password_login_create_list_and_delete(
    rust: RustCli, any_sandbox: SandboxServer, access_log: list[str]
) -> None:
    url = any_sandbox.url

    plain = rust.as_admin("pat", "create", "plain")
    assert plain.code == 0, plain.stderr
    token = plain.lines[-1].removeprefix("Token: ")
    assert len(token) == 68 and token_works(url, token)
    assert _sent_expiry(any_sandbox, "plain") == NEVER  # no expiry given: never

    timed = rust.as_admin("pat", "create", "timed", "1h", "30m")
    assert timed.code == 0, timed.stderr
    assert _sent_expiry(any_sandbox, "timed") == 90 * 60 * 1_000_000  # microseconds

    tokens = server_tokens(url)
    assert tokens["plain"] is None
    timed_at = tokens["timed"]
    assert isinstance(timed_at, int)

    listed = rust.as_admin("pat", "list", "-l", "list")
    assert listed.code == 0, listed.stderr
    assert listed.lines == ["plain|unlimited", f"timed|{_local(timed_at)}"]

    assert rust("-t", token, "pat", "list", "-l", "list").lines == listed.lines
    refused = rust("-t", "not-a-token", "pat", "list")
    assert refused.code == 1 and "Problem with server login with token" in refused.stderr

    deleted = rust.as_admin("pat", "delete", "plain")
    assert deleted.code == 0, deleted.stderr
    assert set(server_tokens(url)) == {"timed"}
    missing = rust.as_admin("pat", "delete", "plain")
    assert missing.code == 1 and "Problem deleting" in missing.stderr
    assert "POST /users/login 200" in access_log and "DELETE /users/logout 204" in access_log


def test_a_stored_token_and_the_session_work_with_both_tools(
    rust: RustCli,
    os_cli: Cli,
    any_sandbox: SandboxServer,
    secret_service: SecretService,
    access_log: list[str],
) -> None:
    url, address = any_sandbox.url, rust.address
    pat_at = (f"iggy:{address}", "stored")
    session_at = (f"{SESSION}:{address}", SESSION)

    # The Rust CLI's stored token: -n, then iggy-cli's `pat token` and -n.
    assert rust.as_admin("pat", "create", "stored", "--store-token").code == 0
    stored = _one_item(secret_service, *pat_at)
    assert secret_service.items(*pat_at)[0].attributes == {
        "service": pat_at[0],
        "username": "stored",
    }
    assert rust("-n", "stored", "pat", "list", "-l", "list").lines == ["stored|unlimited"]
    assert os_cli("pat", "token", "stored", shows_token=True).stdout.strip() == stored
    assert os_cli("-n", "stored", "pat", "list", "-o", "plain").code == 0
    assert _one_item(secret_service, *pat_at) == stored

    # The Rust CLI's session: 15 minutes, used by both tools without credentials.
    access_log.clear()
    assert rust.as_admin("login").code == 0
    assert _sent_expiry(any_sandbox, SESSION) == FIFTEEN_MINUTES_US
    session = _one_item(secret_service, *session_at)
    assert token_works(url, session)
    listed = rust("pat", "list", "-l", "list")
    assert listed.code == 0 and "POST /personal-access-tokens/login 200" in access_log
    status = os_cli("status")
    assert status.code == 0, status.stderr
    assert f"session from the keyring ({session_at[0]})" in status.stdout
    assert rust.as_admin("login").stdout.count("Already logged into") == 1
    assert _one_item(secret_service, *session_at) == session

    # The Rust CLI's logout ends it for both.
    assert rust("logout").code == 0
    assert SESSION not in server_tokens(url)
    assert secret_service.items(*session_at) == []
    assert os_cli("status").code != 0

    # iggy-cli's token and session, used by the Rust CLI.
    created = os_cli("pat", "create", "deploy", env=os_cli.as_admin())
    assert created.code == 0, created.stderr
    deploy = _one_item(secret_service, f"iggy:{address}", "deploy")
    assert rust("-n", "deploy", "pat", "list", "-l", "list").code == 0
    # iggy-cli's login over a session of the Rust CLI: one item again, holding iggy-cli's.
    assert rust.as_admin("login").code == 0
    theirs = _one_item(secret_service, *session_at)
    assert os_cli("login", env=os_cli.as_admin()).code == 0
    ours = _one_item(secret_service, *session_at)
    assert ours != theirs and not token_works(url, theirs)
    access_log.clear()
    assert rust("pat", "list", "-l", "list").code == 0
    assert access_log[0] == "POST /personal-access-tokens/login 200"
    assert rust("logout").code == 0
    assert SESSION not in server_tokens(url)
    assert secret_service.items(*session_at) == []
    assert not token_works(url, ours)

    # The Rust CLI deletes iggy-cli's stored token, item and all.
    assert rust.as_admin("pat", "delete", "deploy").code == 0
    assert secret_service.items(f"iggy:{address}", "deploy") == []
    assert not token_works(url, deploy)


def test_iggy_cli_imports_the_contexts_the_rust_cli_wrote(
    rust: RustCli, os_cli: Cli, any_sandbox: SandboxServer
) -> None:
    url = any_sandbox.url
    made = [
        ("sbx", "--transport", "http", "--http-api-url", url, "-u", "iggy", "-p", "iggy"),
        ("named", "--transport", "http", "--http-api-url", url + "/", "-n", "stored"),
        ("tcp", "--tcp-server-address", "10.0.0.1:8090", "-t", "abc"),
    ]
    for args in made:
        done = rust("context", "create", *args, transport=False)
        assert done.code == 0, done.stderr
    assert rust("context", "use", "sbx", transport=False).code == 0
    assert (rust.iggy_home / ".active_context").read_text() == "sbx"

    os_cli.env["IGGY_HOME"] = str(rust.iggy_home)
    imported = os_cli("context", "import", "--use")
    assert imported.code == 0, imported.stderr
    address = url.removeprefix("http://")
    assert imported.stderr.splitlines() == [
        "Skipped 'default': it has no http_api_url (iggy-cli speaks HTTP).",
        f"Imported context 'named' ({url}; keyring address {address}/). Kept in Iggy's file "
        "and read from there: token_name.",
        f"Imported context 'sbx' ({url}; keyring address {address}). Kept in Iggy's file and "
        "read from there: password.",
        "Skipped 'tcp': it has no http_api_url (iggy-cli speaks HTTP).",
        "Made 'sbx' the current context, as in Iggy's CLI.",
        "Iggy's own files were read, not changed.",
    ]
    listed = os_cli("context", "list", "-o", "json")
    assert listed.code == 0, listed.stderr
    assert [(row["name"], row["current"], row["url"], row["username"]) for row in listed.json] == [
        ("named", False, url, None),
        ("sbx", True, url, "iggy"),
    ]
    # The password stays in the Rust CLI's file and is read from there: no env, no keyring.
    signed_in = os_cli("pat", "list", "-o", "json", env={"IGGY_URL": None})
    assert signed_in.code == 0, signed_in.stderr
    assert signed_in.json == []


def test_the_server_version_the_rust_cli_reads(rust: RustCli, any_sandbox: SandboxServer) -> None:
    stats = rust.as_admin("stats", "-o", "json")
    assert stats.code == 0, stats.stderr
    assert f'"iggy_server_version": "{any_sandbox.dialect.release}"' in stats.stdout

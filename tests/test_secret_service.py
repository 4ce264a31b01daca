"""The real OS keyring: the console script against a gnome-keyring Secret Service on a private
D-Bus, with python-keyring choosing its backend by itself, checked with `secret-tool` and with
lookups done the way each of Iggy's Rust CLIs does them (helpers/secret_service.py).

`.ci/run` sets IGGY_REQUIRE_SECRET_SERVICE=1, which turns a missing Secret Service into a
failure: in CI these tests run, they are never skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.secret_service import Item, RustCli, SecretService, missing_tools
from helpers.servers import mint_token, server_tokens, token_works

from iggy_cli.sandbox.http_server import SandboxServer

OUR_ITEM = {"target": "default", "application": "iggy-cli"}
RUST_CLIS: list[RustCli] = ["stable", "edge"]

pytestmark = pytest.mark.secret_service


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    missing = missing_tools()
    if missing:
        why = f"no Secret Service: {', '.join(missing)} not installed (make test installs them)"
        if os.environ.get("IGGY_REQUIRE_SECRET_SERVICE"):
            pytest.fail(why)
        pytest.skip(why)
    service = SecretService(tmp_path / "keyring-home")
    yield service
    service.stop()


@pytest.fixture
def os_cli(cli_process: Cli, secret_service: SecretService) -> Cli:
    """The console script with no backend named: keyring must find the Secret Service by
    itself, in a process whose environment leads to the private D-Bus."""
    cli = cli_process
    for variable in ("PYTHON_KEYRING_BACKEND", "IGGY_PLAINTEXT_KEYRING_FILE", "PYTHONPATH"):
        cli.env.pop(variable)
    cli.env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    cli.env["XDG_RUNTIME_DIR"] = secret_service.env["XDG_RUNTIME_DIR"]
    return cli


def one_item(secret_service: SecretService, service: str, username: str) -> Item:
    """The entry is exactly one item, and each Rust CLI reads that item's secret."""
    items = secret_service.items(service, username)
    assert len(items) == 1, [item.attributes for item in items]
    for rust in RUST_CLIS:
        assert secret_service.lookup_as(rust, service, username) == items[0].secret, rust
    return items[0]


def test_the_whole_flow_keeps_secrets_in_the_secret_service(
    os_cli: Cli, secret_service: SecretService, sandbox: SandboxServer
) -> None:
    cli = os_cli
    address = sandbox.url.removeprefix("http://")
    session_at = (f"iggy-cli-session:{address}", "iggy-cli-session")

    assert cli("login", env=cli.as_admin()).code == 0
    session = secret_service.lookup(*session_at)
    assert session is not None and len(session) == 68
    assert one_item(secret_service, *session_at) == Item(
        {"service": session_at[0], "username": session_at[1], **OUR_ITEM},
        f"Iggy CLI login session for {address}",
        session,
    )

    created = cli("pat", "create", "deploy", "30d")
    assert created.code == 0, created.stderr
    assert "keyring.backends.SecretService" not in created.stderr  # says where, not how
    deploy = secret_service.lookup(f"iggy:{address}", "deploy")
    assert deploy is not None and len(deploy) == 68
    assert deploy not in created.stdout + created.stderr
    assert one_item(secret_service, f"iggy:{address}", "deploy").label == (
        f"Iggy personal access token 'deploy' for {address}"
    )

    listed = cli("pat", "list", "-o", "json")
    assert listed.code == 0, listed.stderr
    stored = {row["name"]: row["stored"] for row in listed.json}  # type: ignore[attr-defined]
    assert stored == {"deploy": True, "iggy-cli-session": True}

    adopted = cli("pat", "login", "deploy")
    assert adopted.code == 0, adopted.stderr
    # the login session is replaced, and 'deploy' is not copied where Iggy's CLI keeps its own
    # session: its `iggy logout` would delete the server token 'iggy-cli-session'
    assert secret_service.items(*session_at) == []
    assert list(server_tokens(sandbox.url)) == ["deploy"]

    assert cli("logout").code == 0
    assert secret_service.lookup(*session_at) is None
    assert secret_service.lookup(f"iggy:{address}", "deploy") == deploy

    deleted = cli("pat", "delete", "--yes", "deploy", env=cli.as_admin())
    assert deleted.code == 0, deleted.stderr
    assert secret_service.items(f"iggy:{address}", "deploy") == []
    assert server_tokens(sandbox.url) == {}


@pytest.mark.parametrize("rust", RUST_CLIS)
def test_a_token_stored_by_the_rust_cli_is_found(
    os_cli: Cli, secret_service: SecretService, sandbox: SandboxServer, rust: RustCli
) -> None:
    token = mint_token(sandbox.url, "from-rust-cli")
    service = f"iggy:{sandbox.url.removeprefix('http://')}"
    secret_service.store_as_rust_cli(rust, service, "from-rust-cli", token)
    made_by_rust = secret_service.items(service, "from-rust-cli")
    listed = os_cli("-n", "from-rust-cli", "pat", "list", "-o", "json")
    assert listed.code == 0, listed.stderr
    assert listed.json == [  # type: ignore[comparison-overlap]
        {**listed.json[0], "name": "from-rust-cli", "stored": True}  # type: ignore[index]
    ]
    assert secret_service.items(service, "from-rust-cli") == made_by_rust  # read, not touched


@pytest.mark.parametrize("rust", RUST_CLIS)
def test_login_rotate_and_pat_login_over_rust_items_leave_one_item_per_entry(
    os_cli: Cli, secret_service: SecretService, sandbox: SandboxServer, rust: RustCli
) -> None:
    cli = os_cli
    address = sandbox.url.removeprefix("http://")
    session_at = (f"iggy-cli-session:{address}", "iggy-cli-session")
    deploy_at = (f"iggy:{address}", "deploy")
    # Iggy's Rust CLI logged in once (a session since gone) and stored 'deploy'
    secret_service.store_as_rust_cli(rust, *session_at, "a-session-long-gone")
    old_deploy = mint_token(sandbox.url, "deploy")
    secret_service.store_as_rust_cli(rust, *deploy_at, old_deploy)

    assert cli("login", env=cli.as_admin()).code == 0
    session = one_item(secret_service, *session_at)
    assert session.attributes == {"service": session_at[0], "username": session_at[1], **OUR_ITEM}
    assert token_works(sandbox.url, session.secret)

    rotated = cli("pat", "rotate", "deploy")
    assert rotated.code == 0, rotated.stderr
    new_deploy = one_item(secret_service, *deploy_at).secret
    assert new_deploy != old_deploy
    assert token_works(sandbox.url, new_deploy) and not token_works(sandbox.url, old_deploy)

    adopted = cli("pat", "login", "deploy")
    assert adopted.code == 0, adopted.stderr
    assert one_item(secret_service, *deploy_at).secret == new_deploy
    # nothing left where the Rust CLI keeps its session: its `iggy logout` finds nothing to do
    assert secret_service.items(*session_at) == []
    for each in RUST_CLIS:
        assert secret_service.lookup_as(each, *session_at) is None
    assert cli("pat", "list").code == 0  # signed in with the adopted 'deploy'


def test_a_duplicated_entry_is_tidied_or_named_never_picked_silently(
    os_cli: Cli, secret_service: SecretService, sandbox: SandboxServer
) -> None:
    cli = os_cli
    address = sandbox.url.removeprefix("http://")
    same_at, mixed_at = (f"iggy:{address}", "same"), (f"iggy:{address}", "mixed")
    same, mixed = mint_token(sandbox.url, "same"), mint_token(sandbox.url, "mixed")
    # as left by an earlier iggy-cli writing over the Rust CLI's items
    secret_service.store_as_rust_cli("stable", *same_at, same)
    secret_service.store_as_python_keyring(*same_at, same)
    secret_service.store_as_rust_cli("stable", *mixed_at, mixed)
    secret_service.store_as_python_keyring(*mixed_at, "a-stale-token")

    printed = cli("pat", "token", "same", shows_token=True)
    assert (printed.code, printed.stdout) == (0, f"{same}\n")
    assert one_item(secret_service, *same_at).secret == same

    refused = cli("pat", "token", "mixed")
    assert (refused.code, refused.stdout) == (7, "")
    assert refused.stderr.splitlines() == [
        f"error: the keyring holds 2 different secrets for iggy:{address} / mixed",
        "hint: `iggy -n mixed status` keeps the one the server accepts, or delete the wrong "
        "item with seahorse or secret-tool",
    ]
    assert len(secret_service.items(*mixed_at)) == 2

    listed = cli("-n", "mixed", "pat", "list", "-o", "plain")
    assert listed.code == 0, listed.stderr
    assert listed.stderr == (
        f"notice: the keyring held 2 different secrets for iggy:{address} / mixed; "
        "kept the one the server accepts\n"
    )
    assert one_item(secret_service, *mixed_at).secret == mixed


@pytest.mark.parametrize("rust", RUST_CLIS)
def test_a_rust_context_on_its_tcp_transport_works_after_import(
    os_cli: Cli, secret_service: SecretService, sandbox: SandboxServer, rust: RustCli
) -> None:
    cli = os_cli
    token = mint_token(sandbox.url, "ci-job")
    # `iggy pat create ci-job -s` on the default transport stores it under the TCP address
    secret_service.store_as_rust_cli(rust, "iggy:127.0.0.1:8090", "ci-job", token)
    made_by_rust = secret_service.items("iggy:127.0.0.1:8090", "ci-job")
    iggy_home = cli.home / ".iggy"
    iggy_home.mkdir()
    contexts = iggy_home / "contexts.toml"
    contexts.write_text(f'[rust]\nhttp_api_url = "{sandbox.url}"\ntoken_name = "ci-job"\n')
    before = contexts.read_bytes()

    imported = cli("context", "import", env={"IGGY_URL": None})
    assert imported.code == 0, imported.stderr
    assert "keyring address 127.0.0.1:8090" in imported.stderr
    listed = cli("--context", "rust", "pat", "list", "-o", "plain", env={"IGGY_URL": None})
    assert (listed.code, listed.stdout, listed.stderr) == (0, "ci-job\n", "")
    assert contexts.read_bytes() == before
    assert secret_service.items("iggy:127.0.0.1:8090", "ci-job") == made_by_rust

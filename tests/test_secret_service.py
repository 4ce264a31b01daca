"""The real OS keyring: the console script against a gnome-keyring Secret Service on a private
D-Bus, with python-keyring choosing its backend by itself, checked with `secret-tool`.

`.ci/run` sets IGGY_REQUIRE_SECRET_SERVICE=1, which turns a missing Secret Service into a
failure: in CI these tests run, they are never skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli, server_tokens
from secret_service import SecretService, missing_tools

from iggy_cli.sandbox.server import SandboxServer

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
def os_cli(cli: Cli, secret_service: SecretService) -> Cli:
    """The CLI with no backend named: keyring must find the Secret Service by itself."""
    for variable in ("PYTHON_KEYRING_BACKEND", "IGGY_PLAINTEXT_KEYRING_FILE", "PYTHONPATH"):
        cli.env.pop(variable)
    cli.env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    cli.env["XDG_RUNTIME_DIR"] = secret_service.env["XDG_RUNTIME_DIR"]
    return cli


def test_the_whole_flow_keeps_secrets_in_the_secret_service(
    os_cli: Cli, secret_service: SecretService, sandbox: SandboxServer
) -> None:
    cli = os_cli
    address = sandbox.url.removeprefix("http://")
    session_at = (f"iggy-cli-session:{address}", "iggy-cli-session")

    assert cli("login", env=cli.as_admin()).code == 0
    session = secret_service.lookup(*session_at)
    assert session is not None and len(session) == 68

    created = cli("pat", "create", "deploy", "30d")
    assert created.code == 0, created.stderr
    assert "keyring.backends.SecretService" not in created.stderr  # says where, not how
    deploy = secret_service.lookup(f"iggy:{address}", "deploy")
    assert deploy is not None and len(deploy) == 68
    assert deploy not in created.stdout + created.stderr

    listed = cli("pat", "list", "-o", "json")
    assert listed.code == 0, listed.stderr
    stored = {row["name"]: row["stored"] for row in listed.json}  # type: ignore[attr-defined]
    assert stored == {"deploy": True, "iggy-cli-session": False}

    adopted = cli("pat", "login", "deploy")
    assert adopted.code == 0, adopted.stderr
    assert secret_service.lookup(*session_at) == deploy
    assert list(server_tokens(sandbox.url)) == ["deploy"]

    assert cli("logout").code == 0
    assert secret_service.lookup(*session_at) is None

    deleted = cli("pat", "delete", "deploy", env=cli.as_admin())
    assert deleted.code == 0, deleted.stderr
    assert secret_service.lookup(f"iggy:{address}", "deploy") is None
    assert server_tokens(sandbox.url) == {}


def test_a_token_stored_by_another_tool_is_found(
    os_cli: Cli, secret_service: SecretService, sandbox: SandboxServer
) -> None:
    from conftest import mint_token

    token = mint_token(sandbox.url, "from-rust-cli")
    secret_service.store(f"iggy:{sandbox.url.removeprefix('http://')}", "from-rust-cli", token)
    listed = os_cli("-n", "from-rust-cli", "pat", "list", "-o", "json")
    assert listed.code == 0, listed.stderr
    assert listed.json == [  # type: ignore[comparison-overlap]
        {**listed.json[0], "name": "from-rust-cli", "stored": True}  # type: ignore[index]
    ]

"""`iggy status`: the server, the credential and its source, the store and why, the session."""

from __future__ import annotations

import re

from helpers.cli import Cli
from helpers.fake_servers import closed_port_url
from helpers.servers import mint_token

from iggy_cli.sandbox.http_server import SandboxServer


def test_a_session_in_the_token_file_is_said_to_be_there(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("--store", "file", "login", env=cli.as_admin()).code == 0
    address = sandbox.url.removeprefix("http://")
    # status itself runs without --store file: the session is found where it was kept (with
    # a keyring at hand it would move there: test_second_new_user)
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = cli("status", "--field", "credential.source", env=no_keyring)
    assert result.code == 0, result.stderr
    assert result.stdout == f"the token file (iggy-cli-session:{address})\n"
    assert "keyring" not in cli("--store", "file", "status").stdout.split("Store:")[0]


def test_status_after_login(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    result = cli("status")
    assert result.code == 0, result.stderr
    address = sandbox.url.removeprefix("http://")
    lines = result.stdout.splitlines()
    assert lines.pop(0) == "Context:     none"
    assert lines[0] == f"Server:      {sandbox.url} (from IGGY_URL; answers)"
    assert lines[1] == (
        f"Credential:  session from the keyring (iggy-cli-session:{address}); accepted, user 0"
    )
    assert lines[2] == (
        "Store:       keyring (the default): OS keyring "
        "iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring (chosen by PYTHON_KEYRING_BACKEND)"
    )
    assert lines[3] == (
        f"Keyring:     address {address} "
        "(the URL, as Iggy's CLI names a server with --transport http)"
    )
    assert re.fullmatch(
        r"Session:     'iggy-cli-session', expires \S+ \S+ UTC \(in 15 minutes\)", lines[4]
    )
    # Stable, renaming and edge sign in alike; the empty sign-in tells them apart.
    assert re.fullmatch(
        r"Dialect:     stable \(Iggy 0\.4\.150 - 0\.8\.x\), detected: its sign-in answer holds "
        r"`access_token`; it refuses an empty sign-in as a bad identifier \(6\) "
        r"\(learned \S+ \S+ UTC\)",
        lines[5],
    )


def test_status_json_with_a_token_from_the_environment(cli: Cli, sandbox: SandboxServer) -> None:
    token = mint_token(sandbox.url, "robot")
    result = cli("status", "-o", "json", env={"IGGY_TOKEN": token})
    assert (result.code, result.stderr) == (0, "")
    body = result.json
    assert isinstance(body, dict)
    learned_at = body["dialect"].pop("learned_at")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", learned_at)
    assert body == {
        "url": sandbox.url,
        "usable": True,
        "context": None,
        "origins": {
            "context": "the default",
            "url": "IGGY_URL",
            "username": "the default",
            "timeout": "the default",
            "store": "the default",
            "tls": "the default",
        },
        "server": {
            "reachable": True,
            "problem": None,
            "version": "0.8.0",  # GET /stats (test_server_version.py)
            "advisories": [
                {
                    "id": "CVE-2026-110513",
                    "summary": "over HTTP, a JWT of a deleted user authenticates as the next "
                    "user given the same numeric id",
                    "fixed_in": "0.10.0",
                }
            ],
        },
        "dialect": {
            "name": "stable",
            "candidates": ["stable"],
            "chosen_by": "detected",
            "evidence": ["login-access-token", "probe-invalid-identifier"],
        },
        "credential": {"kind": "token", "source": "IGGY_TOKEN", "user_id": 0, "problem": None},
        "store": {
            "kind": "keyring",
            "chosen_by": "the default",
            "backend": "OS keyring iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring "
            "(chosen by PYTHON_KEYRING_BACKEND)",
            "problem": None,
            "address": sandbox.url.removeprefix("http://"),
            "address_chosen_by": "the URL, as Iggy's CLI names a server with --transport http",
        },
        "session": {"stored": False, "token_name": None, "expiry_known": False, "expires_at": None},
    }


def test_status_not_logged_in_exits_4(cli: Cli) -> None:
    result = cli("status", "-o", "json")
    assert result.code == 4
    body = result.json
    assert isinstance(body, dict)
    assert body["usable"] is False and body["server"]["reachable"] is True
    assert body["credential"]["problem"] == "no credential: not logged in"
    assert result.stderr.startswith("error: not logged in to http://127.0.0.1:")


def test_status_with_a_server_down_and_no_keyring_exits_6(cli: Cli) -> None:
    url = closed_port_url()
    env = {
        "IGGY_URL": url,
        "IGGY_TOKEN": "A" * 66 + "==",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    result = cli("status", env=env)
    assert result.code == 6
    lines = result.stdout.splitlines()[1:]
    assert lines[0] == (
        f"Server:      {url} (from IGGY_URL; not usable: cannot reach {url}: connection refused)"
    )
    assert lines[1] == "Credential:  token from IGGY_TOKEN; not checked"
    assert lines[2] == (
        "Store:       keyring (the default): not usable: no OS keyring is available on this machine"
    )
    assert "A" * 66 not in result.stdout + result.stderr


def test_status_names_the_context_and_where_settings_came_from(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert (
        cli("context", "create", "prod", "--url", sandbox.url, "--timeout", "7", "--use").code == 0
    )
    env = {"IGGY_URL": None, "IGGY_STORE": "file", **cli.as_admin()}
    result = cli("status", "-o", "json", env=env)
    assert result.code == 0, result.stderr
    body = result.json
    assert isinstance(body, dict)
    assert body["context"] == "prod"
    assert body["origins"] == {
        "context": "`iggy context use`",
        "url": "context 'prod' (the current context)",
        "username": "IGGY_USERNAME",
        "timeout": "context 'prod' (the current context)",
        "store": "IGGY_STORE",
        "tls": "the default",
    }
    text = cli("status", env=env).stdout.splitlines()
    assert text[0] == "Context:     prod (chosen by `iggy context use`)"
    assert text[1].startswith(f"Server:      {sandbox.url} (from context 'prod' (the current")

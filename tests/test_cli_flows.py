"""End to end: the `iggy` console script against a sandbox server over loopback."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.servers import mint_token, new_sandbox, server_tokens

from iggy_cli.sandbox.http_server import SandboxServer

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9+/]{66}==?$|^[A-Za-z0-9+/]{67}=$")
DAY_US = 86_400 * 1_000_000


def address(sandbox: SandboxServer) -> str:
    return sandbox.url.removeprefix("http://")


def test_login_keeps_a_session_that_later_commands_use(cli: Cli, sandbox: SandboxServer) -> None:
    login = cli("login", env=cli.as_admin())
    assert login.code == 0, login.stderr
    assert login.stdout == ""
    assert "as 'iggy' (user 0);" in login.stderr and "(in 15 minutes)" in login.stderr
    session = cli.keyring()[f"iggy-cli-session:{address(sandbox)}"]
    assert list(session) == ["iggy-cli-session"]
    assert TOKEN_SHAPE.match(session["iggy-cli-session"])
    assert list(server_tokens(sandbox.url)) == ["iggy-cli-session"]

    listed = cli("pat", "list", "-o", "json")  # no credential given: the session is used
    assert listed.code == 0, listed.stderr
    assert [row["name"] for row in listed.json] == ["iggy-cli-session"]  # type: ignore[attr-defined]
    assert listed.stderr == ""


@pytest.mark.parametrize(
    ("credential", "login_line"),
    [
        ({"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"}, "POST /users/login 200"),
        ({}, "POST /personal-access-tokens/login 200"),
    ],
    ids=["password", "session"],
)
def test_each_command_revokes_its_access_token_when_done(
    cli: Cli, access_log: list[str], credential: dict[str, str], login_line: str
) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    access_log.clear()
    assert cli("pat", "list", env=credential).code == 0
    assert access_log == [login_line, "GET /personal-access-tokens 200", "DELETE /users/logout 204"]


def test_login_replaces_an_older_session_token(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    first = cli.keyring()[f"iggy-cli-session:{address(sandbox)}"]["iggy-cli-session"]
    again = cli("login", "2h", env=cli.as_admin())
    assert again.code == 0, again.stderr
    second = cli.keyring()[f"iggy-cli-session:{address(sandbox)}"]["iggy-cli-session"]
    assert second != first
    assert list(server_tokens(sandbox.url)) == ["iggy-cli-session"]
    assert cli("pat", "list", env={"IGGY_TOKEN": first}).code == 4


def test_create_stores_the_token_where_iggys_cli_looks(cli: Cli, sandbox: SandboxServer) -> None:
    created = cli("pat", "create", "deploy", "30d", env=cli.as_admin())
    assert created.code == 0, created.stderr
    assert created.stdout == ""
    service = f"iggy:{address(sandbox)}"
    assert f"stored in the keyring ({service} / deploy)." in created.stderr
    token = cli.keyring()[service]["deploy"]
    assert TOKEN_SHAPE.match(token) and token not in created.stderr
    expiry_at_us = server_tokens(sandbox.url)["deploy"]
    assert expiry_at_us is not None
    assert abs(expiry_at_us - (time.time_ns() // 1000 + 30 * DAY_US)) < 60 * 1_000_000

    used = cli("-n", "deploy", "pat", "list", "-o", "json", env={"IGGY_URL": sandbox.url})
    assert used.code == 0, used.stderr
    assert used.json == [  # type: ignore[comparison-overlap]
        {
            "name": "deploy",
            "expiry_at": used.json[0]["expiry_at"],  # type: ignore[index]
            "expiry_at_us": expiry_at_us,
            "expired": False,
            "stored": True,
            "retiring_until": None,
        }
    ]
    assert used.json[0]["expiry_at"].endswith("Z")  # type: ignore[index]


def test_quiet_no_store_prints_only_the_token(cli: Cli, sandbox: SandboxServer) -> None:
    created = cli(
        "pat", "create", "ci-job", "1h", "-q", "--no-store", env=cli.as_admin(), shows_token=True
    )
    assert created.code == 0, created.stderr
    assert created.stderr == ""
    token = created.stdout.removesuffix("\n")
    assert TOKEN_SHAPE.match(token) and created.stdout == token + "\n"
    assert cli.keyring() == {}
    used = cli("pat", "list", "-o", "json", env={"IGGY_TOKEN": token})
    assert used.code == 0, used.stderr
    assert used.json[0]["stored"] is False  # type: ignore[index]


def test_no_store_prints_the_token_and_says_it_is_shown_once(cli: Cli) -> None:
    created = cli("pat", "create", "ci-job", "--no-store", env=cli.as_admin(), shows_token=True)
    assert created.code == 0, created.stderr
    assert TOKEN_SHAPE.match(created.stdout.strip())
    assert created.stdout.strip() not in created.stderr
    assert "never expires" in created.stderr and "shown only this once" in created.stderr


@pytest.mark.parametrize(
    ("words", "expected_us"),
    [((), None), (("never",), None), (("server_default",), None), (("2h",), 2 * 3_600_000_000)],
    ids=["omitted", "never", "server-default", "2h"],
)
def test_expiry_reaches_the_server_in_microseconds(
    cli: Cli, sandbox: SandboxServer, words: tuple[str, ...], expected_us: int | None
) -> None:
    created = cli(
        "pat", "create", "timed", *words, "--no-store", env=cli.as_admin(), shows_token=True
    )
    assert created.code == 0
    expiry_at_us = server_tokens(sandbox.url)["timed"]
    if expected_us is None:
        assert expiry_at_us is None
    else:
        assert expiry_at_us is not None
        assert abs(expiry_at_us - (time.time_ns() // 1000 + expected_us)) < 60 * 1_000_000


def test_list_table_shows_zone_relative_time_and_stored(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    mint_token(sandbox.url, "forever")
    mint_token(sandbox.url, "gone", expiry_us=1)
    time.sleep(0.01)
    listed = cli("pat", "list", env=cli.as_admin())
    assert listed.code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "EXPIRES", "WHEN", "STORED"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == ["deploy", "forever", "gone"]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+in 30d\s+yes$", rows["deploy"])
    assert re.search(r"never\s+never\s+no$", rows["forever"])
    assert re.search(r"UTC\s+expired \d+s ago\s+no$", rows["gone"])


def test_list_json_marks_expired_tokens(cli: Cli, sandbox: SandboxServer) -> None:
    mint_token(sandbox.url, "gone", expiry_us=1)
    time.sleep(0.01)
    listed = cli("pat", "list", "-o", "json", env=cli.as_admin())
    assert listed.code == 0 and listed.stderr == ""
    (row,) = listed.json  # type: ignore[misc]
    assert set(row) == {"name", "expiry_at", "expiry_at_us", "expired", "stored", "retiring_until"}
    assert row["expired"] is True and isinstance(row["expiry_at_us"], int)


def test_delete_removes_server_token_and_keyring_copy(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "one", env=cli.as_admin()).code == 0
    assert cli("pat", "create", "two", env=cli.as_admin()).code == 0
    refused = cli("pat", "delete", "one", "two", env=cli.as_admin())  # stdin not a terminal
    assert (refused.code, refused.stderr) == (
        2,
        "error: pat delete deletes tokens: add --yes to confirm (no one can answer a prompt "
        "here)\nhint: nothing was deleted\n",
    )
    assert set(server_tokens(sandbox.url)) == {"one", "two"}  # nothing was sent to the server
    deleted = cli("pat", "delete", "one", "two", "--yes", env=cli.as_admin())
    assert deleted.code == 0, deleted.stderr
    assert deleted.stderr.splitlines() == [
        "Deleted token 'one' and its copy in the keyring.",
        "Deleted token 'two' and its copy in the keyring.",
    ]
    assert server_tokens(sandbox.url) == {}
    assert cli.keyring() == {}


def test_delete_goes_on_past_an_unknown_name(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "real", env=cli.as_admin()).code == 0
    deleted = cli("pat", "delete", "ghost", "real", "--yes", "-o", "json", env=cli.as_admin())
    assert deleted.code == 5
    assert deleted.json == [  # type: ignore[comparison-overlap]
        {"name": "ghost", "deleted": False, "removed_local_copy": False},
        {"name": "real", "deleted": True, "removed_local_copy": True},
    ]
    assert deleted.stderr == (
        "error: no token named 'ghost' on the server\nhint: `iggy pat list` shows your tokens\n"
    )
    assert server_tokens(sandbox.url) == {}


def test_pat_login_adopts_a_token_as_session_and_logout_keeps_it(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    assert cli("pat", "create", "deploy").code == 0  # through the session
    adopted = cli("pat", "login", "deploy")
    assert adopted.code == 0, adopted.stderr
    assert "as user 0 with 'deploy'" in adopted.stderr
    assert "'deploy' is now this server's session: later commands sign in" in adopted.stderr
    assert "access token" not in adopted.stderr
    assert "previous login session's token was deleted" in adopted.stderr
    # The adopted session is the stored 'deploy' itself, not a copy where Iggy's own CLI keeps
    # its login session: its `iggy logout` would delete a server token 'iggy-cli-session'.
    deploy_service = f"iggy:{address(sandbox)}"
    assert list(cli.keyring()) == [deploy_service]
    assert list(server_tokens(sandbox.url)) == ["deploy"]
    status = cli("status", "-o", "json")
    assert status.code == 0, status.stderr
    assert status.json["credential"]["source"] == (  # type: ignore[index]
        f"token 'deploy' in the keyring ({deploy_service})"
    )

    out = cli("logout")
    assert out.code == 0, out.stderr
    assert "kept 'deploy': it is your own token" in out.stderr
    assert "Session in the keyring: forgot the adopted token; 'deploy' stays stored." in out.stderr
    assert list(server_tokens(sandbox.url)) == ["deploy"]
    assert list(cli.keyring()) == [deploy_service]
    assert cli("status").code == 4  # no session left


def test_pat_login_json_reports_identity(cli: Cli, sandbox: SandboxServer) -> None:
    token = mint_token(sandbox.url, "robot")
    adopted = cli("pat", "login", "-o", "json", env={"IGGY_TOKEN": token})
    assert adopted.code == 0, adopted.stderr
    assert adopted.stderr == ""
    body = adopted.json
    assert isinstance(body, dict)
    assert body["user_id"] == 0 and body["source"] == "IGGY_TOKEN"
    assert body["access_token_expires_at"].endswith("Z")
    assert token not in adopted.stdout


def test_a_raw_token_adopted_as_session_is_kept_apart_from_the_login_session(
    cli: Cli, sandbox: SandboxServer
) -> None:
    token = mint_token(sandbox.url, "robot")
    assert cli("pat", "login", env={"IGGY_TOKEN": token}).code == 0
    # never where Iggy's own CLI keeps its session: its logout would delete 'iggy-cli-session'
    assert cli.keyring() == {
        f"iggy-cli-adopted-session:{address(sandbox)}": {"iggy-cli-session": token}
    }
    status = cli("status", "--field", "credential.source")
    assert status.stdout == f"the keyring (iggy-cli-adopted-session:{address(sandbox)})\n"
    out = cli("logout")
    assert out.code == 0, out.stderr
    assert out.stderr.splitlines() == [
        f"Server {sandbox.url}: kept the adopted token (given raw, its name not known here): it is "
        "your own token, not one `iggy login` made.",
        "Session in the keyring: forgot the adopted token.",
    ]
    assert cli.keyring() == {} and list(server_tokens(sandbox.url)) == ["robot"]


def test_a_session_adopted_by_an_earlier_version_is_still_used_and_logged_out(
    cli: Cli, sandbox: SandboxServer
) -> None:
    """Earlier versions copied an adopted token into the login session's entry."""
    token = mint_token(sandbox.url, "deploy")
    session_service = f"iggy-cli-session:{address(sandbox)}"
    cli.keyring_file.write_text(json.dumps({session_service: {"iggy-cli-session": token}}))
    sessions = cli.home / "data" / "iggy-cli" / "sessions.json"
    sessions.parent.mkdir(parents=True)
    sessions.write_text(json.dumps({address(sandbox): {"token_name": "deploy", "owned": False}}))
    assert cli("pat", "list", "-o", "plain").stdout == "deploy\n"
    out = cli("logout")
    assert out.code == 0, out.stderr
    assert "kept 'deploy': it is your own token" in out.stderr
    assert cli.keyring() == {} and list(server_tokens(sandbox.url)) == ["deploy"]


def test_logout_deletes_the_session_token_on_the_server(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    out = cli("logout")
    assert out.code == 0, out.stderr
    assert out.stderr.splitlines() == [
        f"Server {sandbox.url}: deleted token 'iggy-cli-session'.",
        "Session in the keyring: removed.",
    ]
    assert server_tokens(sandbox.url) == {}
    assert cli.keyring() == {}
    again = cli("logout")
    assert (again.code, again.stderr) == (0, f"Not logged in to {sandbox.url}; nothing to do.\n")


def test_logout_local_only_leaves_the_server_alone(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    out = cli("logout", "--local")
    assert out.code == 0 and "not contacted (--local)" in out.stderr
    assert list(server_tokens(sandbox.url)) == ["iggy-cli-session"]
    assert cli.keyring() == {}


def test_password_from_stdin(cli: Cli) -> None:
    listed = cli("-u", "iggy", "--password-stdin", "pat", "list", "-o", "json", input="iggy\n")
    assert (listed.code, listed.stdout.strip(), listed.stderr) == (0, "[]", "")


def test_password_flag_works_but_warns(cli: Cli) -> None:
    listed = cli("-u", "iggy", "-p", "iggy", "pat", "list", "-o", "json")
    assert listed.code == 0
    assert listed.stderr.startswith("warning: --password is visible to other users")


def test_http_api_url_is_accepted_as_in_iggys_cli(cli: Cli, sandbox: SandboxServer) -> None:
    env = {**cli.as_admin(), "IGGY_URL": None}
    listed = cli("--http-api-url", sandbox.url, "pat", "list", "-o", "json", env=env)
    assert (listed.code, listed.stdout.strip()) == (0, "[]")


def test_python_dash_m_runs_the_same_program(cli: Cli) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "iggy_cli", "--version"], capture_output=True, text=True
    )
    assert done.stdout.startswith("iggy-cli ")
    assert cli("--version").stdout == done.stdout


def test_token_from_stdin(cli: Cli, sandbox: SandboxServer) -> None:
    token = mint_token(sandbox.url, "piped")
    listed = cli("--token-stdin", "pat", "list", "-o", "json", input=token + "\n")
    assert listed.code == 0, listed.stderr
    assert [row["name"] for row in listed.json] == ["piped"]  # type: ignore[attr-defined]


def test_output_format_from_the_environment(cli: Cli) -> None:
    listed = cli("pat", "list", env={**cli.as_admin(), "IGGY_OUTPUT": "json"})
    assert (listed.code, listed.stdout, listed.stderr) == (0, "[]\n", "")
    table = cli("pat", "list", "-o", "table", env={**cli.as_admin(), "IGGY_OUTPUT": "json"})
    assert (table.code, table.stderr) == (0, "No tokens.\n")


def test_the_whole_flow_against_an_edge_server(tmp_path: Path) -> None:
    with new_sandbox(edge=True) as edge:
        cli = Cli(tmp_path, edge.url)
        assert cli("login", env=cli.as_admin()).code == 0
        assert cli("pat", "create", "deploy", "1d").code == 0
        listed = cli("pat", "list", "-o", "json")
        assert [row["name"] for row in listed.json] == ["deploy", "iggy-cli-session"]  # type: ignore[attr-defined]
        assert cli("pat", "login", "deploy").code == 0
        unknown = cli("pat", "list", env={"IGGY_TOKEN": "B" * 66 + "=="})
        assert unknown.code == 4 and "B" * 66 not in unknown.stderr
        expired = mint_token(edge.url, "brief", expiry_us=1)
        time.sleep(0.01)
        assert cli("pat", "list", env={"IGGY_TOKEN": expired}).code == 4
        assert cli("pat", "delete", "deploy", "brief", "--yes").code == 0
        assert cli("logout").code == 0


def test_iggy_sandbox_serves_in_the_foreground(tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess

    from helpers.cli import BIN

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = subprocess.Popen(
        [str(BIN / "iggy"), "sandbox", "--port", str(port), "--password", "s3cret"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert banner.startswith(f"Iggy sandbox (stable) listening on http://127.0.0.1:{port}")
        cli = Cli(tmp_path, f"http://127.0.0.1:{port}")
        listed = cli("-u", "iggy", "pat", "list", "-o", "json", env={"IGGY_PASSWORD": "s3cret"})
        assert (listed.code, listed.stdout) == (0, "[]\n")
        taken = cli("sandbox", "--port", str(port))
        assert taken.code == 2
        assert taken.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    finally:
        server.send_signal(signal.SIGINT)
        _, log = server.communicate(timeout=10)
    assert server.returncode == 0
    assert "POST /users/login 200" in log and "s3cret" not in log


def test_the_leak_scan_sees_every_minted_token(cli: Cli, sandbox: SandboxServer) -> None:
    from helpers.cli import RUNS
    from helpers.servers import MINTED

    created = cli("pat", "create", "scanned", "--no-store", env=cli.as_admin(), shows_token=True)
    assert created.stdout.strip() in MINTED
    assert RUNS[-1] == (("pat", "create", "scanned", "--no-store"), created, True)

"""Every row of the exit-code table in docs/scripting.md, triggered for real through the
console script."""

from __future__ import annotations

import base64
import os
import time

import pytest
from helpers.cli import Cli
from helpers.fake_servers import closed_port_url, html_server, silent_server
from helpers.servers import mint_token, server_tokens

from iggy_cli.sandbox.http_server import SandboxServer


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pat", "create", "ab"), "token name 'ab' is 2 bytes; it must be 3 to 30 bytes"),
        (("pat", "create", "a" * 31), "is 31 bytes; it must be 3 to 30 bytes"),
        (("pat", "create", "é" * 15 + "a"), "is 31 bytes; it must be 3 to 30 bytes"),
        (("pat", "create", "deploy", "soon"), "cannot read expiry 'soon'"),
        (("pat", "create", "deploy", "3", "fortnights"), "unknown time unit 'fortnights'"),
        (("pat", "delete", "a" * 256), "it must be 1 to 255 bytes"),
        (("--url", "ftp://example", "pat", "list"), "not an HTTP URL"),
        (
            ("--timeout", "0", "pat", "list"),
            "--timeout must be more than 0 and at most 3600 seconds",
        ),
        (("pat", "create"), "Missing argument 'NAME'"),
        (("pat", "frobnicate"), "No such command 'frobnicate'"),
        (("-o", "xml", "pat", "list"), "invalid value for --output"),
    ],
    ids=[
        "name-2-bytes",
        "name-31-bytes",
        "name-31-bytes-multibyte",
        "expiry-word",
        "expiry-unit",
        "delete-name-256-bytes",
        "bad-url",
        "zero-timeout",
        "missing-name",
        "unknown-command",
        "unknown-format",
    ],
)
def test_usage_errors_exit_2_and_send_nothing(
    cli: Cli, access_log: list[str], args: tuple[str, ...], message: str
) -> None:
    result = cli(*args, env=cli.as_admin())
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert access_log == []


def test_a_30_byte_multibyte_name_is_accepted(cli: Cli, sandbox: SandboxServer) -> None:
    name = "é" * 15
    assert len(name.encode()) == 30
    result = cli("pat", "create", name, env=cli.as_admin())
    assert result.code == 0, result.stderr
    assert list(server_tokens(sandbox.url)) == [name]


def test_duplicate_name_is_rejected_by_the_server(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0
    result = cli("pat", "create", "deploy", env=cli.as_admin())
    assert result.code == 3
    assert "already exists" in one_error_line(result.stderr)
    assert "error 51" in result.stderr
    assert result.stderr.splitlines()[1] == "hint: for a new secret: `iggy pat rotate deploy`"


def test_the_101st_token_hits_the_limit(cli: Cli, sandbox: SandboxServer) -> None:
    for number in range(100):
        mint_token(sandbox.url, f"bulk-{number:03}")
    result = cli("pat", "create", "one-too-many", env=cli.as_admin())
    assert result.code == 3
    assert "error 52" in one_error_line(result.stderr)
    assert len(server_tokens(sandbox.url)) == 100
    assert cli.keyring() == {}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "wrong"}, "error 42"),
        ({"IGGY_USERNAME": "nobody", "IGGY_PASSWORD": "iggy"}, "error 42"),
        ({}, "not logged in to http://127.0.0.1:"),
    ],
    ids=["wrong-password", "unknown-user", "no-credential"],
)
def test_authentication_failures_exit_4(cli: Cli, env: dict[str, str], message: str) -> None:
    result = cli("pat", "list", env=env)
    assert result.code == 4
    assert message in one_error_line(result.stderr)


def test_an_unknown_token_is_refused_and_never_echoed(cli: Cli) -> None:
    unknown = base64.b64encode(os.urandom(50)).decode()
    result = cli("pat", "list", env={"IGGY_TOKEN": unknown})
    assert result.code == 4
    assert "does not know the token" in one_error_line(result.stderr)
    assert unknown not in result.stderr + result.stdout


def test_an_expired_token_is_refused(cli: Cli, sandbox: SandboxServer) -> None:
    expired = mint_token(sandbox.url, "short-lived", expiry_us=1)
    time.sleep(0.01)
    result = cli("pat", "list", env={"IGGY_TOKEN": expired})
    assert result.code == 4
    assert "the token has expired" in one_error_line(result.stderr)


def test_an_expired_session_says_to_log_in_again(cli: Cli) -> None:
    assert cli("login", "1ms", env=cli.as_admin()).code == 0
    time.sleep(0.01)
    result = cli("pat", "list")
    assert result.code == 4
    assert "your session for http://127.0.0.1:" in one_error_line(result.stderr)
    assert result.stderr.splitlines()[1] == "hint: run `iggy login` again"


def test_an_unknown_stored_name_is_not_found(cli: Cli) -> None:
    result = cli("-n", "nothing", "pat", "list")
    assert result.code == 5
    assert "no token named 'nothing' is stored" in one_error_line(result.stderr)


def test_deleting_an_unknown_token_is_not_found(cli: Cli) -> None:
    result = cli("pat", "delete", "ghost", "--yes", env=cli.as_admin())
    assert result.code == 5
    assert one_error_line(result.stderr) == "error: no token named 'ghost' on the server"


def test_a_server_that_is_down(cli: Cli) -> None:
    url = closed_port_url()
    result = cli("pat", "list", env={**cli.as_admin(), "IGGY_URL": url})
    assert result.code == 6
    assert one_error_line(result.stderr) == f"error: cannot reach {url}: connection refused"


def test_ctrl_c_while_waiting_exits_130_quietly(cli: Cli) -> None:
    import signal
    import subprocess

    from helpers.cli import BIN

    with silent_server() as url:
        env = {**cli.env, **cli.as_admin(), "IGGY_URL": url}
        child = subprocess.Popen(
            [str(BIN / "iggy"), "--timeout", "30", "pat", "list"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)  # the request is in flight by now
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=20)
    assert (child.returncode, out, err) == (130, "", "")


def test_a_server_that_never_answers_times_out(cli: Cli) -> None:
    with silent_server() as url:
        started = time.monotonic()
        result = cli("--timeout", "0.5", "pat", "list", env={**cli.as_admin(), "IGGY_URL": url})
        assert time.monotonic() - started < 20
    assert result.code == 6
    assert one_error_line(result.stderr) == f"error: {url} did not answer within 0.5 s"


@pytest.mark.parametrize("status", [200, 404, 502], ids=["html-200", "html-404", "html-502"])
def test_a_server_that_answers_html(cli: Cli, status: int) -> None:
    with html_server(status) as url:
        result = cli("pat", "list", env={**cli.as_admin(), "IGGY_URL": url})
    assert result.code == 6
    line = one_error_line(result.stderr)
    assert url in line and ("not answering as an Iggy server" in line or "text/html" in line)


def test_no_keyring_fails_before_anything_is_minted(cli: Cli, sandbox: SandboxServer) -> None:
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = cli("pat", "create", "deploy", env=env)
    assert result.code == 7
    assert one_error_line(result.stderr) == "error: no OS keyring is available on this machine"
    assert "--no-store" in result.stderr
    assert server_tokens(sandbox.url) == {}


def test_a_failed_store_prints_the_minted_token(cli: Cli, sandbox: SandboxServer) -> None:
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": "helpers.faulty_keyring.WriteFailsKeyring"}
    result = cli("pat", "create", "deploy", env=env, shows_token=True)
    assert result.code == 7
    token = result.stdout.strip()
    assert len(token) == 68 and token not in result.stderr
    assert "was created (never expires) but not stored" in one_error_line(result.stderr)
    assert "save it now" in result.stderr
    assert list(server_tokens(sandbox.url)) == ["deploy"]
    assert cli("pat", "list", env={"IGGY_TOKEN": token}).code == 0


def test_a_failed_session_store_leaves_nothing_on_the_server(
    cli: Cli, sandbox: SandboxServer
) -> None:
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": "helpers.faulty_keyring.WriteFailsKeyring"}
    result = cli("login", env=env)
    assert result.code == 7
    assert "its token was deleted on the server" in one_error_line(result.stderr)
    assert server_tokens(sandbox.url) == {}


@pytest.mark.parametrize(
    ("args", "env", "wins"),
    [
        (("-n", "stored"), {"IGGY_TOKEN": "bad" * 20}, "stored"),
        ((), {"IGGY_TOKEN": "<env>", "IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "no"}, "env"),
        (("-u", "iggy", "-p", "iggy"), {"IGGY_PASSWORD": "no"}, "password"),
        (("-u", "iggy"), {"IGGY_PASSWORD": "iggy"}, "password"),
    ],
    ids=["name-over-env-token", "env-token-over-password", "flag-over-env", "env-password"],
)
def test_the_most_explicit_credential_wins(
    cli: Cli, sandbox: SandboxServer, args: tuple[str, ...], env: dict[str, str], wins: str
) -> None:
    assert cli("pat", "create", "stored", env=cli.as_admin()).code == 0
    env_token = mint_token(sandbox.url, "from-env")
    env = {key: env_token if value == "<env>" else value for key, value in env.items()}
    result = cli(*args, "pat", "list", "-o", "json", env=env)
    assert result.code == 0, (wins, result.stderr)


def test_a_bad_explicit_credential_is_not_rescued_by_the_session(cli: Cli) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    result = cli("pat", "list", env={"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "wrong"})
    assert result.code == 4


def test_iggy_cli_is_the_same_program(cli: Cli) -> None:
    import subprocess

    from helpers.cli import BIN

    done = subprocess.run([str(BIN / "iggy-cli"), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == cli("--version").stdout


@pytest.mark.parametrize(
    ("args", "first", "hint"),
    [
        (("pat", "lst"), "error: No such command 'lst'. Did you mean 'list'?", "iggy pat --help"),
        (("pat", "create"), "error: Missing argument 'NAME'.", "iggy pat create --help"),
        (
            ("--quite", "pat", "list"),
            "error: No such option '--quite'. (Did you mean one of: '--quiet', '--utc'?)",
            "iggy --help",
        ),
    ],
    ids=["typo", "missing-argument", "unknown-option"],
)
def test_click_usage_errors_are_one_line_and_a_hint(
    cli: Cli, args: tuple[str, ...], first: str, hint: str
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.stderr.splitlines() == [first, f"hint: see `{hint}`"]


def test_no_command_description_is_cut_short_in_help(cli: Cli) -> None:
    import re

    from iggy_cli.cli.spec import spec

    cut = re.compile(r"[a-z,;]\.\.\.$", re.MULTILINE)  # click's "..." after a cut word
    for path, page in spec()["help"].items():
        assert not cut.search(page), f"`iggy {path} --help` cuts a description short"

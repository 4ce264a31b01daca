"""What a new user tripped over (issue 13): the order of work, destructive commands off a
terminal, exit codes and alerts, `pat show`, sessions across stores. The console script runs
against the sandbox; prompts run in tmux (helpers.terminal.Terminal)."""

from __future__ import annotations

import pytest
from helpers.cli import BIN, Cli
from helpers.fake_servers import closed_port_url
from helpers.servers import mint_token, server_tokens
from helpers.terminal import Terminal

from iggy_cli.sandbox.http_server import SandboxServer

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


# --- alerts -------------------------------------------------------------------------------------


def test_the_login_session_does_not_alert_unless_asked(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    quiet = cli("pat", "list", "--expiring-within", "1d")
    assert (quiet.code, quiet.stderr) == (0, "No tokens.\n")
    loud = cli("pat", "list", "--expiring-within", "1d", "--include-session", "-o", "plain")
    assert (loud.code, loud.stdout) == (8, "iggy-cli-session\n")
    assert loud.stderr == "attention: 1 token needs attention (exit code 8)\n"
    assert "error" not in loud.stderr


def test_the_login_session_shows_as_stored(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("login", env=cli.as_admin()).code == 0
    listed = cli("pat", "list", "-o", "json")
    assert [(row["name"], row["stored"]) for row in listed.json] == [  # type: ignore[attr-defined]
        ("iggy-cli-session", True)
    ]


# --- destructive commands off a terminal --------------------------------------------------------


def test_prune_off_a_terminal_needs_yes(cli: Cli, sandbox: SandboxServer) -> None:
    mint_token(sandbox.url, "old-ci", expiry_us=1)
    refused = cli("pat", "prune", "--expired", env=cli.as_admin())
    assert refused.code == 2
    assert refused.stderr.splitlines()[0] == (
        "error: pat prune deletes tokens: add --yes to confirm (no one can answer a prompt here)"
    )
    assert "old-ci" in server_tokens(sandbox.url)
    dry = cli("pat", "prune", "--expired", "--dry-run", "-o", "plain", env=cli.as_admin())
    assert (dry.code, dry.stdout) == (0, "old-ci\n")  # a dry run changes nothing: no --yes


def test_rotating_a_token_stored_nowhere_here_needs_yes(cli: Cli, sandbox: SandboxServer) -> None:
    held_by_ci = mint_token(sandbox.url, "ci-deploy")
    refused = cli("pat", "rotate", "ci-deploy", env=cli.as_admin())
    assert refused.code == 2
    assert refused.stderr.splitlines() == [
        "error: no copy of 'ci-deploy' is stored here, so its secret is someone else's (a CI "
        "job's?), and rotating it ends that secret: add --yes to rotate it anyway",
        "hint: nothing changed; with --no-store too, the new token is printed, not stored here",
    ]
    assert set(server_tokens(sandbox.url)) == {"ci-deploy"}
    from iggy_cli.server.client import IggyClient

    with IggyClient(sandbox.url, timeout=5) as client:
        assert client.login_with_token(held_by_ci).user_id == 0  # still works
        client.logout()
    rotated = cli("pat", "rotate", "ci-deploy", "--yes", env=cli.as_admin())
    assert rotated.code == 0, rotated.stderr
    assert "ci-deploy" in cli.keyring()[f"iggy:{sandbox.url.removeprefix('http://')}"]


# --- exit codes ---------------------------------------------------------------------------------


def test_deleting_an_unstored_token_with_no_keyring_succeeds(
    cli: Cli, sandbox: SandboxServer
) -> None:
    env = {**cli.as_admin(), **NO_KEYRING}
    created = cli("pat", "create", "ci-job", "--no-store", env=env, shows_token=True)
    assert created.code == 0, created.stderr
    deleted = cli("pat", "delete", "ci-job", "--yes", env=env)
    assert (deleted.code, deleted.stderr) == (0, "Deleted token 'ci-job'.\n")
    assert server_tokens(sandbox.url) == {}


@pytest.mark.parametrize("env", [{}, NO_KEYRING], ids=["keyring", "no-keyring"])
def test_deleting_a_token_the_server_lacks_is_not_found(
    cli: Cli, sandbox: SandboxServer, env: dict[str, str]
) -> None:
    result = cli("pat", "delete", "nosuch", "--yes", env={**cli.as_admin(), **env})
    assert (result.code, result.stderr) == (
        5,
        "error: no token named 'nosuch' on the server\nhint: `iggy pat list` shows your tokens\n",
    )


# --- pat show -----------------------------------------------------------------------------------


def test_pat_show_says_where_the_copy_is(cli: Cli, sandbox: SandboxServer) -> None:
    address = sandbox.url.removeprefix("http://")
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    shown = cli("pat", "show", "deploy", "-o", "json", env=cli.as_admin())
    assert shown.code == 0, shown.stderr
    body = shown.json
    assert isinstance(body, dict)
    assert body["stored"] is True and body["expired"] is False
    assert body["store"] == {"kind": "keyring", "service": f"iggy:{address}", "username": "deploy"}
    assert body["keyring_address"] == address and body["owner_user_id"] == 0
    text = cli("pat", "show", "deploy", env=cli.as_admin()).stdout.splitlines()
    assert text[0] == "Name:             deploy"
    assert text[1].startswith("Expires:          20") and text[1].endswith("UTC (in 30 days)")
    assert text[2] == f"Stored:           yes, in the keyring (iggy:{address} / deploy)"
    missing = cli("pat", "show", "nosuch", env=cli.as_admin())
    assert missing.code == 5


# --- sessions wherever they were kept -----------------------------------------------------------


def test_a_session_is_found_in_the_store_it_was_kept_in(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("--store", "file", "login", env=cli.as_admin()).code == 0
    assert cli.keyring() == {}  # kept in the token file, not the keyring
    listed = cli("pat", "list", "-o", "plain")  # this run's store is the keyring
    assert (listed.code, listed.stdout) == (0, "iggy-cli-session\n"), listed.stderr
    out = cli("logout")
    assert out.code == 0, out.stderr
    assert "deleted token 'iggy-cli-session'" in out.stderr
    assert server_tokens(sandbox.url) == {}


# --- order of work, at a terminal ---------------------------------------------------------------


def test_the_server_is_reached_before_a_password_is_asked(
    cli: Cli, terminal: type[Terminal]
) -> None:
    down = closed_port_url()
    term = terminal(f"{BIN}/iggy --url {down} -u iggy pat list", cli.env)
    screen = term.wait_for("rc=6")
    assert "Password" not in screen
    assert f"error: cannot reach {down}: connection refused" in screen


def test_delete_checks_the_token_exists_before_asking(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    env = {**cli.env, "IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"}
    term = terminal(f"{BIN}/iggy pat delete nosuch", env)
    screen = term.wait_for("rc=5")
    assert "[y/N]" not in screen
    assert "error: no token named 'nosuch' on the server" in screen


def test_the_contexts_username_is_the_one_asked_for(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    made = cli("context", "create", "prod", "--url", sandbox.url, "-u", "iggy", "--use")
    assert made.code == 0
    env = {key: value for key, value in cli.env.items() if key != "IGGY_URL"}
    term = terminal(f"{BIN}/iggy login", env)
    term.wait_for("Password for iggy:")  # the context's user: no "Username:" first
    term.type("iggy", "Enter")
    screen = term.wait_for("rc=0")
    assert "Username" not in screen
    assert "Logged in to" in screen


def test_a_session_given_raw_is_named_as_such(cli: Cli, sandbox: SandboxServer) -> None:
    token = mint_token(sandbox.url, "robot")
    assert cli("pat", "login", env={"IGGY_TOKEN": token}).code == 0
    status = cli("status").stdout.splitlines()
    assert "Session:     a token given raw to `pat login` (its name is not known here)" in status
    out = cli("logout")
    assert out.stderr.splitlines()[0].endswith(
        "kept the adopted token (given raw, its name not known here): it is your own token, "
        "not one `iggy login` made."
    )


def test_login_without_a_keyring_suggests_what_login_can_do(cli: Cli) -> None:
    result = cli("login", env={**cli.as_admin(), **NO_KEYRING})
    assert result.code == 7
    assert "--no-store" not in result.stderr
    assert result.stderr.splitlines()[1].startswith("hint: unlock or install a Secret Service")
    assert "--store file" in result.stderr


def test_a_file_store_is_called_the_token_file(cli: Cli, sandbox: SandboxServer) -> None:
    env = {**cli.as_admin(), "IGGY_STORE": "file"}
    assert cli("login", env=env).code == 0
    out = cli("logout", env={"IGGY_STORE": "file"})
    assert out.stderr.splitlines()[-1] == "Session in the token file: removed."
    assert "keyring" not in out.stderr.replace("tokens are kept unencrypted", "")

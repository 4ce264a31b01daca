"""Prompts on a real terminal: the console script runs inside tmux, keys are typed with
send-keys and the screen is read with capture-pane."""

from __future__ import annotations

import pytest
from helpers.cli import BIN, Cli
from helpers.servers import server_tokens
from helpers.terminal import Terminal

from iggy_cli.sandbox.http_server import SandboxServer


def test_the_password_prompt_echoes_nothing(cli: Cli, terminal: type[Terminal]) -> None:
    term = terminal(f"{BIN}/iggy -u iggy pat list -o json", cli.env)
    term.wait_for("Password for iggy:")
    term.type("iggy", "Enter")
    screen = term.wait_for("rc=0")
    lines = screen.splitlines()
    assert lines[0].rstrip() == "Password for iggy:"
    assert lines[1:3] == ["[]", "rc=0"]
    assert "iggy" not in screen.replace("Password for iggy:", "")


def test_delete_asks_and_defaults_to_no(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0
    env = {**cli.env, "IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"}
    term = terminal(f"{BIN}/iggy pat delete deploy", env)
    term.wait_for(f"Delete 'deploy' on {sandbox.url}? [y/N]:")
    term.type("Enter")
    screen = term.wait_for("rc=11")
    assert "Nothing deleted." in screen and "error" not in screen
    assert list(server_tokens(sandbox.url)) == ["deploy"]

    term = terminal(f"{BIN}/iggy pat delete deploy", env)
    term.wait_for("[y/N]:")
    term.type("y", "Enter")
    assert "Deleted token 'deploy' and its copy in the keyring." in term.wait_for("rc=0")
    assert server_tokens(sandbox.url) == {}


def test_pat_list_on_an_80_column_terminal(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    from helpers.servers import mint_token

    long_name = "deploy-production-eu-west-1-ab"  # 30 bytes, the longest a name can be
    assert len(long_name) == 30
    assert cli("pat", "create", long_name, "30d", env=cli.as_admin()).code == 0
    mint_token(sandbox.url, "gone", expiry_us=1)
    mint_token(sandbox.url, "forever")
    env = {**cli.env, "IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy", "TZ": "Asia/Kolkata"}
    term = terminal(f"{BIN}/iggy pat list", env)
    screen = term.wait_for("rc=0")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()][:-1]  # no rc=
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].split() == ["NAME", "EXPIRES", "WHEN", "STORED"]
    # A row may go on below (its WHEN words wrapped), but only at a space, under WHEN.
    when_column = lines[0].index("WHEN")
    rows: dict[str, list[str]] = {}
    for line in lines[1:]:
        if line.startswith(" "):
            assert line[:when_column].strip() == "", line
            rows[list(rows)[-1]] += line.split()
        else:
            rows[line.split()[0]] = line.split()
    assert list(rows) == [long_name, "forever", "gone"]  # each name whole
    assert rows[long_name][3:] == ["IST", "in", "30d", "yes"]
    assert rows["forever"][1:] == ["never", "never", "no"]
    assert rows["gone"][3:5] == ["IST", "expired"]
    assert "ago" in rows["gone"] and "no" in rows["gone"]


def test_ctrl_c_at_the_password_prompt_is_quiet_and_changes_nothing(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    term = terminal(f"{BIN}/iggy -u iggy login", cli.env)
    term.wait_for("Password for iggy:")
    term.type("C-c")
    screen = term.wait_for("rc=130")
    assert "error" not in screen and "Traceback" not in screen and "Aborted" not in screen
    assert server_tokens(sandbox.url) == {}
    assert cli.keyring() == {}


@pytest.mark.parametrize("width", [40, 200])
def test_colour_on_a_terminal_only_and_never_with_no_color(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal], width: int
) -> None:
    from helpers.servers import mint_token

    mint_token(sandbox.url, "gone", expiry_us=1)
    mint_token(sandbox.url, "later", expiry_us=30 * 86_400_000_000)
    env = {**cli.env, "IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy", "TERM": "xterm-256color"}
    coloured = terminal(f"{BIN}/iggy pat list", env, width)  # type: ignore[call-arg]
    coloured.wait_for("rc=0")
    assert "\x1b[31m" in coloured.screen(escapes=True)  # the expired row is red
    plain = terminal(f"{BIN}/iggy --no-color pat list", env, width)  # type: ignore[call-arg]
    plain.wait_for("rc=0")
    screen = plain.screen(escapes=True)
    assert not any(f"\x1b[{code}m" in screen for code in range(31, 38))  # no colour at all
    lines = plain.screen().splitlines()
    assert any(line.startswith("gone") for line in lines)
    assert any(line.startswith("later") for line in lines)
    assert all(len(line) <= width for line in lines)

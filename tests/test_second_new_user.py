"""What a second new user tripped over (issue 22), each point reproduced from outside: the
console script for messages and exit codes, tmux at 80x24 with real shells for TAB, prompts
and layout (helpers.terminal.Terminal)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.cli import BIN, Cli
from helpers.fake_servers import closed_port_url
from helpers.servers import new_sandbox, server_tokens
from helpers.terminal import Terminal

from iggy_cli import __version__
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.server.client import IggyClient

ROOT = Path(__file__).parent.parent
ADMIN = {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"}


def bash_with_completion(terminal: type[Terminal], env: dict[str, str]) -> Terminal:
    """An interactive bash at 80x24 that loaded the generated completion script."""
    rc = Path(env["HOME"]) / "bashrc"
    rc.write_text(f"PS1='$ '\nsource {ROOT / 'completions' / 'iggy.bash'}\n")
    term = terminal(f"bash --noprofile --rcfile {rc} -i", env)
    term.wait_for("$")
    return term


# --- 1. TAB and names with spaces ----------------------------------------------------------


def test_tab_completes_a_name_with_a_space_to_one_word(cli: Cli, terminal: type[Terminal]) -> None:
    assert cli("pat", "create", "my token", "1d", env=ADMIN).code == 0
    term = bash_with_completion(terminal, {**cli.env, **ADMIN})
    term.type("iggy pat show my", "Tab")
    term.wait_for("iggy pat show my\\ token")
    term.type("Enter")
    screen = term.wait_for("Stored:")
    assert "Name:" in screen and "my token" in screen
    assert "unexpected extra argument" not in screen


def test_tab_inside_an_open_quote_is_left_to_the_quote(cli: Cli, terminal: type[Terminal]) -> None:
    assert cli("pat", "create", "my token", "1d", env=ADMIN).code == 0
    term = bash_with_completion(terminal, {**cli.env, **ADMIN})
    term.type('iggy pat show "my t', "Tab")
    term.wait_for('iggy pat show "my token"')


# --- 2 and 3. Help pages -------------------------------------------------------------------


@pytest.mark.parametrize("group", [[], ["pat"], ["context"], ["config"], ["completion"]], ids=str)
def test_a_group_alone_prints_its_help_page(cli: Cli, group: list[str]) -> None:
    done = cli(*group)
    assert (done.code, done.stderr) == (0, "")
    assert done.stdout.startswith(f"Usage: {' '.join(['iggy', *group])} [OPTIONS] COMMAND")
    assert "\\n" not in done.stdout
    assert "Commands:" in done.stdout or "Tokens:" in done.stdout


@pytest.mark.parametrize("command", ["create", "list", "use", "show", "delete", "set", "import"])
def test_context_help_keeps_its_examples_one_a_line(cli: Cli, command: str) -> None:
    done = cli("context", command, "--help", env={"COLUMNS": "80"})
    assert done.code == 0
    assert "\\b" not in done.stdout
    lines = done.stdout.splitlines()
    examples = lines[lines.index("  Examples:") + 1 :]
    examples = examples[: examples.index("")]
    assert examples and all(line.startswith(f"    iggy context {command}") for line in examples)


def test_no_generated_help_page_holds_a_literal_backslash_b() -> None:
    from iggy_cli.cli.spec_data import HELP

    assert [path for path, page in HELP.items() if "\\b" in page] == []


# --- 4. iggy-cli names itself ---------------------------------------------------------------


def iggy_cli(cli: Cli, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The `iggy-cli` console script, run for real: the name it was started by is the point."""
    done = subprocess.run(
        [str(BIN / "iggy-cli"), *args],
        capture_output=True,
        text=True,
        env={**cli.env, **(env or {})},
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def test_iggy_cli_hints_name_iggy_cli(cli: Cli) -> None:
    assert iggy_cli(cli, "pat", "crete") == (
        2,
        "",
        "error: No such command 'crete'. Did you mean 'create'?\nhint: see `iggy-cli pat --help`\n",
    )
    code, _, stderr = iggy_cli(cli, "pat", "show", "nope", env=ADMIN)
    assert (code, stderr) == (
        5,
        "error: no token named 'nope' on the server\nhint: `iggy-cli pat list` shows yours\n",
    )


@pytest.mark.parametrize("columns", ["80", "200", "50"])
def test_iggy_cli_help_pages_name_iggy_cli(cli: Cli, columns: str) -> None:
    code, top, _ = iggy_cli(cli, "--help", env={"COLUMNS": columns})
    assert code == 0 and top.startswith("Usage: iggy-cli [OPTIONS] COMMAND [ARGS]...\n")
    code, page, _ = iggy_cli(cli, "pat", "list", "--help", env={"COLUMNS": columns})
    assert code == 0 and page.startswith("Usage: iggy-cli pat list [OPTIONS]\n")
    assert "    iggy-cli pat list -o json\n" in page
    assert not [line for line in page.splitlines() if line.lstrip().startswith("iggy ")]
    assert all(len(line) <= max(int(columns), 80) for line in page.splitlines())


def test_iggy_cli_gets_its_own_tab_registration(cli: Cli, terminal: type[Terminal]) -> None:
    code, bash, _ = iggy_cli(cli, "completion", "show", "bash")
    assert code == 0 and bash.endswith("complete -o nosort -F _iggy_completion iggy-cli\n")
    assert iggy_cli(cli, "completion", "show", "zsh")[1].startswith("#compdef iggy-cli\n")
    assert "--command iggy-cli " in iggy_cli(cli, "completion", "show", "fish")[1]
    code, _, stderr = iggy_cli(cli, "completion", "install", "bash")
    installed = cli.home / "data" / "bash-completion" / "completions" / "iggy-cli"
    assert code == 0 and stderr.startswith(f"Wrote {installed}.\n")
    rc = cli.home / "bashrc"
    rc.write_text(f"PS1='$ '\nsource {installed}\n")
    term = terminal(f"bash --noprofile --rcfile {rc} -i", cli.env)
    term.wait_for("$")
    term.type("iggy-cli pat sh", "Tab")
    term.wait_for("$ iggy-cli pat show")


# --- 5. A down server is said as such, with or without a credential ------------------------


@pytest.mark.parametrize(
    "args", [["pat", "list"], ["pat", "show", "deploy"], ["pat", "delete", "deploy", "--yes"]]
)
def test_a_down_server_without_a_credential_is_cannot_reach(cli: Cli, args: list[str]) -> None:
    url = closed_port_url()
    bare = cli("--url", url, *args)
    with_password = cli("--url", url, *args, env=ADMIN)
    assert (bare.code, with_password.code) == (6, 6)
    assert bare.stderr == with_password.stderr
    assert bare.stderr.startswith(f"error: cannot reach {url}: connection refused\n")


# --- 6. context import leaves the current context alone -----------------------------------


@pytest.mark.parametrize("current", [None, "mine"])
def test_context_import_does_not_switch_the_current_context(
    cli: Cli, sandbox: SandboxServer, current: str | None
) -> None:
    from test_contexts import write_iggy_contexts

    if current is not None:
        assert cli("context", "create", current, "--url", sandbox.url, "--use").code == 0
    write_iggy_contexts(cli, f'[prod]\nhttp_api_url = "{sandbox.url}"\n', active="prod")
    imported = cli("context", "import")
    assert imported.code == 0, imported.stderr
    assert imported.stderr.splitlines()[1:] == [
        "Iggy's CLI has 'prod' active; the current context here is unchanged "
        "(`iggy context use prod` or `import --use` to switch).",
        "Iggy's own files were read, not changed.",
    ]
    status = cli("status", "-o", "json", env=ADMIN)
    assert status.json["context"] == current  # type: ignore[index]
    assert cli("context", "import", "--use").stderr.splitlines()[1] == (
        "Made 'prod' the current context, as in Iggy's CLI."
    )
    assert cli("status", "-o", "json", env=ADMIN).json["context"] == "prod"  # type: ignore[index]


# --- 7. Leaving the file store ends its warning ---------------------------------------------


def test_leaving_the_file_store_moves_the_session_and_ends_the_warning(
    cli: Cli, sandbox: SandboxServer
) -> None:
    address = sandbox.url.removeprefix("http://")
    assert cli("config", "set", "store", "file").code == 0
    logged_in = cli("login", env=ADMIN)
    assert logged_in.stderr.startswith("warning: tokens are kept unencrypted in ")
    assert cli("config", "unset", "store").code == 0
    first = cli("pat", "list")
    assert (first.code, first.stderr) == (
        0,
        f"notice: moved the session for {address} from the token file to the keyring "
        "(the store now)\n",
    )
    later = cli("pat", "list")
    assert (later.code, later.stderr) == (0, "")
    status = cli("status", "-o", "json")
    assert status.json["credential"]["source"] == (  # type: ignore[index]
        f"the keyring (iggy-cli-session:{address})"
    )
    assert cli.keyring() == {
        f"iggy-cli-session:{address}": cli.keyring()[f"iggy-cli-session:{address}"]
    }
    token_file = cli.home / "data" / "iggy-cli" / "tokens.json"
    assert "iggy-cli-session" not in token_file.read_text()


# --- 8 and 9. Lines and tables on an 80-column terminal --------------------------------------


def test_long_lines_wrap_at_spaces_on_a_terminal(cli: Cli, terminal: type[Terminal]) -> None:
    piped = cli("login", env=ADMIN).stderr.strip()  # one line, as scripts read it
    assert len(piped) > 160 and "\n" not in piped
    term = terminal(f"{BIN}/iggy login", {**cli.env, **ADMIN})
    screen = term.wait_for("rc=0")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()][:-1]  # no rc=
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    words = " ".join(lines).split()
    # the same words in the same order, none cut: only the session's expiry time differs
    assert len(words) == len(piped.split())
    assert [w for w in words if ":" not in w] == [w for w in piped.split() if ":" not in w]


def test_status_values_wrap_under_their_column(cli: Cli, terminal: type[Terminal]) -> None:
    term = terminal(f"{BIN}/iggy status", {**cli.env, **ADMIN})
    screen = term.wait_for("rc=0")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()][:-1]
    assert all(len(line) <= 80 for line in lines)
    column = lines[0].index("none")  # `Context:     none`
    for line in lines:
        assert line[:column].strip().endswith(":") or not line[:column].strip(), line


def test_pat_list_fits_80_columns_with_a_30_byte_name(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    from helpers.servers import mint_token

    long_name = "deploy-production-eu-west-1-ab"
    assert cli("pat", "create", long_name, "8h", env=ADMIN).code == 0
    mint_token(sandbox.url, "gone", expiry_us=1)
    mint_token(sandbox.url, "day", expiry_us=(23 * 60 + 59) * 60_000_000)
    env = {**cli.env, **ADMIN, "TZ": "Asia/Kolkata"}
    term = terminal(f"{BIN}/iggy pat list", env)
    screen = term.wait_for("rc=0")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()][:-1]
    assert len(lines) == 4, screen  # a header and one line a row: nothing wrapped
    assert all(len(line) <= 80 for line in lines)
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in lines[1:]}
    day = r"\d{4}-\d\d-\d\d \d\d:\d\d IST"  # minutes: the seconds are in `pat show`
    assert re.fullmatch(rf"{day} in (7h 59m|8h) yes", rows[long_name]), rows
    assert re.fullmatch(rf"{day} in 23h 5[89]m no", rows["day"]), rows
    assert re.fullmatch(rf"{day} expired \d+s ago no", rows["gone"]), rows


# --- 10. -q silences the alert line, not the exit code --------------------------------------


def test_quiet_keeps_the_alert_to_the_exit_code(cli: Cli) -> None:
    assert cli("pat", "create", "soon", "2h", env=ADMIN).code == 0
    quiet = cli("pat", "list", "--expiring-within", "7d", "-o", "json", "-q", env=ADMIN)
    assert (quiet.code, quiet.stderr) == (8, "")
    assert [row["name"] for row in quiet.json] == ["soon"]  # type: ignore[attr-defined]
    loud = cli("pat", "list", "--expiring-within", "7d", "-o", "json", env=ADMIN)
    assert (loud.code, loud.stderr) == (8, "attention: 1 token needs attention (exit code 8)\n")


# --- 11. An expired session on a terminal asks for the password and starts a new one -------


def test_an_expired_session_on_a_terminal_asks_and_starts_a_new_one(
    tmp_path: Path, terminal: type[Terminal]
) -> None:
    shift = [0]  # the server's clock runs this far ahead of the real one

    def server_clock() -> int:
        return int(time.time() * 1_000_000) + shift[0]

    with new_sandbox(clock=server_clock, cleaner_interval_s=None) as server:
        cli = Cli(tmp_path / "home", server.url)
        assert cli("login", env=ADMIN).code == 0
        shift[0] = 16 * 60 * 1_000_000  # the 15-minute session is over
        ended = cli("pat", "list")
        assert ended.code == 4 and "has expired" in ended.stderr  # off a terminal: as before
        term = terminal(f"{BIN}/iggy pat list", {**cli.env, "IGGY_USERNAME": "iggy"})
        screen = term.wait_for("Password for iggy:")
        assert "has expired; log in again to start a new one" in " ".join(screen.split())
        term.type("iggy", "Enter")
        screen = term.wait_for("rc=0")
        assert "iggy-cli-session" in screen and "error" not in screen
        again = cli("pat", "list", "-o", "plain")  # the new session, with no password
        assert (again.code, again.stdout) == (0, "iggy-cli-session\n")


def test_the_session_length_can_be_set(cli: Cli) -> None:
    assert cli("config", "set", "session_expiry", "8h").code == 0
    assert "(in 8 hours)" in cli("login", env=ADMIN).stderr
    assert "(in 30 minutes)" in cli("login", "30m", env=ADMIN).stderr  # given: it wins
    env = {**ADMIN, "IGGY_SESSION_EXPIRY": "1h"}
    assert "(in 1 hour)" in cli("login", env=env).stderr
    bad = cli("config", "set", "session_expiry", "8x")
    assert bad.code == 2 and bad.stderr.startswith("error: unknown time unit 'x' in expiry '8x'")


# --- 12. Answering no is not an error, and not Ctrl-C ---------------------------------------


def test_answering_no_to_rotate_is_declined(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    from helpers.servers import mint_token

    mint_token(sandbox.url, "unstored")
    term = terminal(f"{BIN}/iggy pat rotate unstored", {**cli.env, **ADMIN})
    term.wait_for("Rotate? [y/N]:")
    term.type("n", "Enter")
    screen = term.wait_for("rc=11")
    assert "Nothing rotated." in screen and "error" not in screen


# --- 13. pat login asks before it replaces a login session ---------------------------------


def test_pat_login_asks_before_replacing_the_login_session(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    assert cli("login", env=ADMIN).code == 0
    assert cli("pat", "create", "deploy", "1d").code == 0
    term = terminal(f"{BIN}/iggy pat login deploy", cli.env)
    screen = term.wait_for("/N]:").replace("\n", "")
    assert f"Replace the login session of `iggy login` for {sandbox.url}" in screen
    term.type("n", "Enter")
    assert "Nothing changed: the login session stays." in term.wait_for("rc=11")
    assert "iggy-cli-session" in server_tokens(sandbox.url)
    status = cli("status", "-o", "json")
    assert "iggy-cli-session:" in status.json["credential"]["source"]  # type: ignore[index]

    term = terminal(f"{BIN}/iggy pat login deploy", cli.env)
    term.wait_for("/N]:")
    term.type("y", "Enter")
    screen = term.wait_for("rc=0")
    assert "access token" not in screen
    assert "iggy-cli-session" not in server_tokens(sandbox.url)


# --- 14. prune asks about what it does, where ----------------------------------------------


def test_prune_asks_about_a_local_copy_without_naming_the_server(
    cli: Cli, sandbox: SandboxServer, terminal: type[Terminal]
) -> None:
    assert cli("pat", "create", "shortlived", "1d", env=ADMIN).code == 0
    with IggyClient(sandbox.url, timeout=5) as client:
        client.login_with_password("iggy", "iggy")
        client.delete_token("shortlived")
        client.logout()
    term = terminal(f"{BIN}/iggy pat prune --orphans", {**cli.env, **ADMIN})
    screen = term.wait_for("/N]:")
    assert (
        "Prune: remove the stored copy of 'shortlived' (the server has no such token)? [y/N]:"
        in screen.replace("\n", "")
    )
    assert sandbox.url not in screen
    term.type("Enter")
    assert "Nothing pruned." in term.wait_for("rc=11")
    assert "shortlived" in cli.keyring().get(f"iggy:{sandbox.url.removeprefix('http://')}", {})


# --- 15. Global options on every command's page and TAB ------------------------------------


def test_a_command_page_names_the_global_options(cli: Cli) -> None:
    page = cli("pat", "list", "--help").stdout
    section = page[page.index("Global options") :]
    for option in ("-o FORMAT", "--field NAME", "--utc", "-q", "--context NAME"):
        assert option in section, option


def test_tab_offers_global_options_after_a_command(cli: Cli) -> None:
    env = {"COMP_WORDS": "iggy pat list --fi", "COMP_CWORD": "3", "_IGGY_COMPLETE": "bash_complete"}
    done = cli(env=env)
    assert (done.code, done.stdout) == (0, "plain,--field\n")
    env = {**env, "COMP_WORDS": "iggy pat list --ex"}
    assert sorted(cli(env=env).stdout.split()) == ["plain,--expired", "plain,--expiring-within"]


# --- 16. Top-level help: commands first, examples, then options -----------------------------


def test_top_level_help_puts_commands_and_examples_before_options(cli: Cli) -> None:
    page = cli("--help", env={"COLUMNS": "80"}).stdout
    lines = page.splitlines()
    assert lines.index("Tokens:") < lines.index("  Examples:") < lines.index("Options:")
    examples = lines[lines.index("  Examples:") + 1 : lines.index("Options:") - 1]
    assert len(examples) >= 4 and all(line.startswith("    ") for line in examples)
    assert all(len(line) <= 80 for line in lines)
    assert len(lines) <= 55  # was 59, 30 of them options before any command


# --- 17. Messages without the framework's internals -----------------------------------------


def test_a_bad_choice_names_the_argument_as_help_does(cli: Cli) -> None:
    done = cli("completion", "show", "tcsh")
    assert (done.code, done.stderr) == (
        2,
        "error: invalid value for SHELL: 'tcsh' is not one of 'bash', 'zsh', 'fish'.\n"
        "hint: see `iggy completion show --help`\n",
    )


def test_timeouts_are_seconds_in_help_and_in_errors(cli: Cli) -> None:
    done = cli("--timeout", "abc", "pat", "list")
    assert (done.code, done.stderr) == (
        2,
        "error: --timeout must be a number of seconds, not 'abc'\n",
    )
    bad = cli("context", "create", "x", "--url", "http://a:1", "--timeout", "-1")
    assert (bad.code, bad.stderr) == (
        2,
        "error: --timeout must be more than 0 and at most 3600 seconds, not '-1'\n",
    )
    page = cli("context", "create", "--help").stdout
    assert "--timeout SECONDS" in page and "FLOAT" not in page


def test_a_wrong_password_says_who_was_refused_and_what_to_check(
    cli: Cli, sandbox: SandboxServer
) -> None:
    done = cli("pat", "list", env={"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "wrong"})
    assert (done.code, done.stderr) == (
        4,
        f"error: {sandbox.url} refused user 'iggy' with that password "
        "(Invalid credentials (error 42, HTTP 400))\n"
        "hint: check the username (-u, IGGY_USERNAME) and the password (from IGGY_PASSWORD)\n",
    )


# --- 18. Aliases and suggestions ------------------------------------------------------------


def test_ls_and_rm_are_list_and_delete(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", "1d", env=ADMIN).code == 0
    listed = cli("pat", "ls", "-o", "plain", env=ADMIN)
    assert (listed.code, listed.stdout) == (0, "deploy\n")
    assert cli("pat", "rm", "deploy", "--yes", env=ADMIN).code == 0
    assert server_tokens(sandbox.url) == {}


@pytest.mark.parametrize(("typed", "meant"), [("revoke", "delete"), ("remove", "delete")])
def test_another_tools_word_suggests_ours(cli: Cli, typed: str, meant: str) -> None:
    done = cli("pat", typed, "deploy")
    assert (done.code, done.stderr) == (
        2,
        f"error: No such command {typed!r}. Did you mean {meant!r}?\nhint: see `iggy pat --help`\n",
    )


# --- 20. --version says what a bug report needs ---------------------------------------------


def test_version_names_python_and_version_verbose_the_libraries_and_keyring(cli: Cli) -> None:
    python = ".".join(str(part) for part in sys.version_info[:3])
    done = cli("--version")
    assert (done.code, done.stdout) == (
        0,
        f"iggy-cli {__version__}\nPython {python} on {sys.platform}\n",
    )
    verbose = cli("--version", "-v")
    labels = [line.split(":")[0] for line in verbose.stdout.splitlines()]
    assert verbose.code == 0
    assert labels[:3] == ["iggy-cli", "Python", "Platform"]
    assert {"typer", "click", "httpx", "keyring", "Keyring", "Config file"} <= set(labels)
    assert "PlaintextFileKeyring (chosen by PYTHON_KEYRING_BACKEND)" in verbose.stdout

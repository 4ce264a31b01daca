"""Issue 21: tokens where CI needs them, never on screen. Expiry dates, `-o env`, GitHub
Actions masking, `pat exec`, rotation for pipelines and a headless first run.

The use cases run in-process against a sandbox whose clock is the test's (so an expiry date
comes back exact); the console script runs end to end where the wiring is the point."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.cli import Cli, ProcessCli
from helpers.servers import mint_token, new_sandbox, server_tokens, token_works

from iggy_cli.console.output import Output
from iggy_cli.errors import StorageError, UsageError
from iggy_cli.expiry import parse_expiry
from iggy_cli.models import us_from_datetime
from iggy_cli.runtime import AppContext
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.secrets.stores import MemoryStore
from iggy_cli.settings import Settings, normalize_url
from iggy_cli.state.config_file import UserConfig
from iggy_cli.state.indexes import NameIndex, SessionIndex
from iggy_cli.state.rotation_journal import RotationJournal
from iggy_cli.usecases import printed_rotation, tokens
from iggy_cli.usecases.printed_rotation import PrintedRotation

NOW = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)
NOW_US = us_from_datetime(NOW)


class Clock:
    """The test's clock, shared by the tool (ctx.now) and the sandbox (its microseconds)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def us(self) -> int:
        return us_from_datetime(self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[SandboxServer]:
    with new_sandbox(clock=clock.us, cleaner_interval_s=None) as started:
        yield started


Build = Callable[..., AppContext]


@pytest.fixture
def build(server: SandboxServer, tmp_path: Path, clock: Clock) -> Build:
    def make(store: MemoryStore | None = None, **settings: object) -> AppContext:
        chosen = store if store is not None else MemoryStore()
        return AppContext(
            settings=Settings(
                normalize_url(server.url), timeout_s=5.0, username="iggy", **settings
            ),  # type: ignore[arg-type]
            output=Output(stdout=io.StringIO(), stderr=io.StringIO()),
            environ={"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"},
            now=clock,
            store_factory=lambda: chosen,
            sessions=SessionIndex(str(tmp_path / "sessions.json")),
            names=NameIndex(str(tmp_path / "names.json")),
            config=UserConfig(str(tmp_path / "config.toml")),
            rotations=RotationJournal(str(tmp_path / "rotations.json")),
        )

    return make


# --- expiry: dates and RFC 3339 times -----------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "utc", "until"),
    [
        (["2030-01-31"], True, datetime(2030, 1, 31, tzinfo=UTC)),
        (["2030-01-31T12:00:00+01:00"], False, datetime(2030, 1, 31, 11, tzinfo=UTC)),
        (["2030-01-31T11:00:00Z"], False, datetime(2030, 1, 31, 11, tzinfo=UTC)),
        (["2030-01-31t11:00:00.5z"], False, datetime(2030, 1, 31, 11, 0, 0, 500_000, tzinfo=UTC)),
        (["2030-01-31", "11:00:00-02:30"], False, datetime(2030, 1, 31, 13, 30, tzinfo=UTC)),
        (["2030-01-01T09:30:00.000001Z"], False, NOW + timedelta(microseconds=1)),
    ],
    ids=["date-utc", "offset", "z", "lowercase-fraction", "space", "one-microsecond-ahead"],
)
def test_a_date_or_time_is_the_lifetime_left_until_it(
    words: list[str], utc: bool, until: datetime
) -> None:
    expiry = parse_expiry(words, now=NOW, utc=utc)
    assert expiry.microseconds == us_from_datetime(until) - NOW_US
    assert expiry.until == until and expiry.label == " ".join(words)


def test_a_date_is_the_start_of_that_day_in_the_zone_in_use() -> None:
    from zoneinfo import ZoneInfo

    kolkata = parse_expiry(["2030-01-31"], now=NOW, zone=ZoneInfo("Asia/Kolkata"))  # +05:30
    assert kolkata.until == datetime(2030, 1, 30, 18, 30, tzinfo=UTC)
    utc = parse_expiry(["2030-01-31"], now=NOW, utc=True, zone=ZoneInfo("Asia/Kolkata"))
    assert utc.until == datetime(2030, 1, 31, tzinfo=UTC)  # --utc wins, as it does for display


def test_create_until_a_date_in_the_runs_time_zone(cli: Cli, sandbox: SandboxServer) -> None:
    created = cli(
        "pat",
        "create",
        "release",
        "2099-01-31",
        "-o",
        "json",
        env={**cli.as_admin(), "TZ": "Asia/Kolkata"},
    )
    assert created.code == 0, created.stderr
    assert created.json["expiry_at"] == "2099-01-30T18:30:00Z"  # type: ignore[index]


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["2029-12-31"], "expiry '2029-12-31' is in the past (2029-12-31T00:00:00Z)"),
        (
            ["2030-01-01T09:30:00Z"],
            "expiry '2030-01-01T09:30:00Z' is in the past (2030-01-01T09:30:00Z)",
        ),
        (["2030-02-30"], "no such date: '2030-02-30'"),
        (["2030-01-31T25:00:00Z"], "no such time: '2030-01-31T25:00:00Z'"),
        (["2030-01-31T12:00:00"], "the time '2030-01-31T12:00:00' names no time zone"),
        (["3999-01-01"], "expiry '3999-01-01' is too far off; use 'never'"),
        (["2030-1-31"], "cannot read expiry '2030-1-31'"),
    ],
    ids=["past-date", "now-exactly", "no-such-date", "no-such-hour", "no-zone", "too-far", "short"],
)
def test_dates_that_cannot_be_an_expiry(words: list[str], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_expiry(words, now=NOW, utc=True)
    assert raised.value.message == message


def test_a_token_created_until_a_date_ends_then_on_the_server(
    build: Build, server: SandboxServer
) -> None:
    until = datetime(2030, 1, 31, tzinfo=UTC)
    expiry = parse_expiry(["2030-01-31"], now=NOW, utc=True)
    with tokens.create_token(build(), "release", expiry, keep=True) as outcome:
        pass
    assert outcome.expires_at == until
    assert server_tokens(server.url) == {"release": us_from_datetime(until)}


def test_a_past_date_is_refused_before_anything_is_sent(cli: Cli, access_log: list[str]) -> None:
    result = cli("pat", "create", "release", "2001-01-31", "--utc", env=cli.as_admin())
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == (
        "error: expiry '2001-01-31' is in the past (2001-01-31T00:00:00Z)"
    )
    assert access_log == []


def test_create_until_a_date_says_that_date(cli: Cli, sandbox: SandboxServer) -> None:
    created = cli(
        "--utc",
        "pat",
        "create",
        "release",
        "2099-01-31T12:00:00+01:00",
        "-o",
        "json",
        env=cli.as_admin(),
    )
    assert created.code == 0, created.stderr
    assert created.json["expiry_at"] == "2099-01-31T11:00:00Z"  # type: ignore[index]
    assert list(server_tokens(sandbox.url)) == ["release"]


# --- -o env and GitHub Actions masking ----------------------------------------------------------

ACTIONS = {"GITHUB_ACTIONS": "true"}


def stored(cli: Cli, sandbox: SandboxServer, name: str) -> str:
    return cli.keyring()[f"iggy:{sandbox.url.removeprefix('http://')}"][name]


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("Ab0+/x==", "IGGY_TOKEN=Ab0+/x=="),
        ("has space", "IGGY_TOKEN='has space'"),
        ("dollar$HOME", "IGGY_TOKEN='dollar$HOME'"),
        ("", "IGGY_TOKEN="),
    ],
    ids=["base64", "space", "dollar", "empty"],
)
def test_env_lines(value: str, line: str) -> None:
    from iggy_cli.console.output import env_line

    assert env_line("IGGY_TOKEN", value) == line


@pytest.mark.parametrize(
    "value", ["it's", "two\nlines", "esc\x1b[31m"], ids=["quote", "newline", "control"]
)
def test_env_lines_refuse_what_no_reader_agrees_on(value: str) -> None:
    from iggy_cli.console.output import env_line

    with pytest.raises(UsageError):
        env_line("IGGY_TOKEN", value)


def test_an_env_line_reads_back_exactly_in_a_shell(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    import subprocess

    assert cli("pat", "create", "deploy", "1h", env=cli.as_admin()).code == 0
    token = stored(cli, sandbox, "deploy")
    printed = cli("pat", "token", "deploy", "-o", "env", shows_token=True)
    assert (printed.code, printed.stdout, printed.stderr) == (0, f"IGGY_TOKEN={token}\n", "")
    (tmp_path / "job.env").write_text(printed.stdout)
    named = cli("pat", "token", "deploy", "-o", "env", "--env", "DEPLOY_TOKEN", shows_token=True)
    (tmp_path / "named.env").write_text(named.stdout)
    read = subprocess.run(
        [
            "sh",
            "-c",
            'set -a; . ./job.env; . ./named.env; printf "%s\\n%s" "$IGGY_TOKEN" "$DEPLOY_TOKEN"',
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert read.stdout == f"{token}\n{token}"


def test_create_no_store_prints_an_env_line(cli: Cli, sandbox: SandboxServer) -> None:
    created = cli(
        "pat",
        "create",
        "job",
        "1h",
        "--no-store",
        "-o",
        "env",
        "--env",
        "JOB_TOKEN",
        env=cli.as_admin(),
        shows_token=True,
    )
    assert created.code == 0, created.stderr
    name, _, token = created.stdout.rstrip("\n").partition("=")
    assert (name, len(token), created.stderr) == ("JOB_TOKEN", 68, "")
    assert cli.keyring() == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("pat", "list", "-o", "env"),
            "error: -o env is for commands that print a token, not pat list",
        ),
        (
            ("pat", "create", "job", "1h", "-o", "env"),
            "error: -o env prints the new token, and a stored one is not printed: add --no-store",
        ),
        (
            ("pat", "token", "job", "-o", "env", "--env", "1BAD"),
            "error: --env '1BAD' is not a variable name",
        ),
    ],
    ids=["list", "create-stored", "bad-name"],
)
def test_env_output_refused_before_anything_is_done(
    cli: Cli, access_log: list[str], args: tuple[str, ...], message: str
) -> None:
    result = cli(*args, env=cli.as_admin())
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == message
    assert access_log == []


def test_under_github_actions_a_printed_token_is_masked_first(
    cli: Cli, sandbox: SandboxServer
) -> None:
    created = cli(
        "pat",
        "create",
        "job",
        "1h",
        "--no-store",
        env={**cli.as_admin(), **ACTIONS},
        shows_token=True,
    )
    assert created.code == 0, created.stderr
    token = created.stdout.rstrip("\n")
    assert created.stdout == f"{token}\n" and len(token) == 68
    assert created.stderr.splitlines()[0] == f"::add-mask::{token}"
    assert cli("pat", "create", "deploy", "1h", env=cli.as_admin()).code == 0
    deploy = stored(cli, sandbox, "deploy")
    for extra in ([], ["-q"], ["-o", "json"]):
        printed = cli("pat", "token", "deploy", *extra, env=ACTIONS, shows_token=True)
        assert (printed.code, printed.stdout) == (0, f"{deploy}\n")
        assert printed.stderr == f"::add-mask::{deploy}\n"
    as_json = cli(
        "pat",
        "create",
        "job2",
        "1h",
        "--no-store",
        "-o",
        "json",
        env={**cli.as_admin(), **ACTIONS},
        shows_token=True,
    )
    assert as_json.stderr == f"::add-mask::{as_json.json['token']}\n"  # type: ignore[index]


def test_without_github_actions_nothing_changes(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", "1h", env=cli.as_admin()).code == 0
    for value in (None, "false", ""):
        printed = cli("pat", "token", "deploy", env={"GITHUB_ACTIONS": value}, shows_token=True)
        assert (printed.code, printed.stderr) == (0, "")
    stored_copy = cli("pat", "create", "kept", "1h", env={**cli.as_admin(), **ACTIONS})
    assert "::add-mask::" not in stored_copy.stderr  # a stored token is not printed


# --- pat exec -----------------------------------------------------------------------------------


def files_holding(root: Path, secret: str, *, besides: tuple[Path, ...]) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path not in besides and secret.encode() in path.read_bytes()
    )


# The child: its own command line goes to a file (the token must not be in it), and it exits 3
# only if the token is in its environment.
CHILD = 'tr "\\000" " " < /proc/$$/cmdline > "$HOME/cmdline.txt"; test -n "$IGGY_TOKEN" && exit 3'


@pytest.mark.parametrize("store", ["keyring", "file"])
def test_exec_hands_the_token_to_the_command_through_its_environment_only(
    cli_process: ProcessCli, cli: Cli, sandbox: SandboxServer, store: str
) -> None:
    env = {"IGGY_STORE": store}
    created = cli_process("pat", "create", "deploy", "1h", env={**env, **cli.as_admin()})  # type: ignore[dict-item]
    assert created.code == 0, created.stderr
    if store == "keyring":
        token, kept = stored(cli, sandbox, "deploy"), cli.keyring_file
    else:
        kept = cli.home / "data" / "iggy-cli" / "tokens.json"
        token = next(iter(json.loads(kept.read_text()).values()))["deploy"]
    ran = cli_process("pat", "exec", "deploy", "--", "sh", "-c", CHILD, env=env)
    assert ran.code == 3, ran.stderr
    assert token not in ran.stdout + ran.stderr
    cmdline = (cli.home / "cmdline.txt").read_text()
    assert cmdline.startswith("sh -c ") and token not in cmdline
    assert files_holding(cli.home, token, besides=(kept,)) == []


def test_exec_puts_several_tokens_under_the_names_asked(
    cli_process: ProcessCli, cli: Cli, sandbox: SandboxServer
) -> None:
    for name in ("deploy", "ci-job"):
        assert cli_process("pat", "create", name, "1h", env=cli.as_admin()).code == 0  # type: ignore[arg-type]
    script = '[ "$A" = "$1" ] && [ "$B" = "$2" ] && [ -z "$IGGY_TOKEN" ]'
    tokens_ = (stored(cli, sandbox, "deploy"), stored(cli, sandbox, "ci-job"))
    ran = cli_process(
        "pat",
        "exec",
        "--env",
        "A=deploy",
        "--env",
        "B=ci-job",
        "--",
        "sh",
        "-c",
        script + " && exit 4",
        "sh",
        *tokens_,
    )
    assert ran.code == 4, ran.stderr


def test_exec_fails_before_the_command_starts_without_the_token(
    cli_process: ProcessCli, cli: Cli, sandbox: SandboxServer
) -> None:
    ran = cli_process("pat", "exec", "nosuch", "--", "sh", "-c", "touch ran")
    assert ran.code == 5
    assert ran.stderr.splitlines()[0].startswith("error: no token named 'nosuch' is stored")
    assert not (cli.home / "ran").exists()


def test_exec_exits_as_the_command_does(
    cli_process: ProcessCli, cli: Cli, sandbox: SandboxServer
) -> None:
    import signal

    assert cli_process("pat", "create", "deploy", "1h", env=cli.as_admin()).code == 0  # type: ignore[arg-type]
    killed = cli_process("pat", "exec", "deploy", "--", "sh", "-c", "kill -TERM $$")
    assert killed.code == -signal.SIGTERM  # ended by the same signal, as its parent sees it
    piped = cli_process("pat", "exec", "deploy", "--", "sh", "-c", "yes | head -2")
    assert (piped.code, piped.stdout) == (0, "y\ny\n")  # SIGPIPE is the default again
    missing = cli_process("pat", "exec", "deploy", "--", "no-such-command-here")
    assert (missing.code, missing.stderr.splitlines()[-1]) == (
        127,
        "error: cannot run 'no-such-command-here': No such file or directory",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy",), "error: no command to run"),
        ((), "error: which token? iggy pat exec NAME -- COMMAND"),
        (
            ("--env", "A", "--env", "B", "deploy", "--", "true"),
            "error: --env VAR names NAME's variable once; add more tokens with --env VAR=NAME",
        ),
        (("--env", "A=x", "--env", "A=y", "--", "true"), "error: --env A is given twice"),
        (("--env", "9=x", "--", "true"), "error: --env '9' is not a variable name"),
    ],
    ids=["no-command", "nothing", "two-bare", "twice", "bad-name"],
)
def test_exec_usage_errors(
    cli_process: ProcessCli, cli: Cli, args: tuple[str, ...], message: str
) -> None:
    ran = cli_process("pat", "exec", *args)
    assert (ran.code, ran.stdout, ran.stderr.splitlines()[0]) == (2, "", message)


def test_exec_use_case_hands_over_the_environment(build: Build, server: SandboxServer) -> None:
    store = MemoryStore()
    ctx = build(store)
    with tokens.create_token(ctx, "deploy", parse_expiry(["1h"], now=NOW), keep=True) as outcome:
        pass
    calls: list[tuple[list[str], dict[str, str]]] = []
    ctx.exec_command = lambda argv, environment: calls.append((argv, environment))
    tokens.exec_with_tokens(ctx, [("DEPLOY", "deploy")], ["./deploy.sh", "--fast"])
    assert calls == [(["./deploy.sh", "--fast"], {**ctx.environ, "DEPLOY": outcome.minted.token})]


# --- a headless first run -----------------------------------------------------------------------

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


class NoKeyring(MemoryStore):
    def check(self) -> None:
        raise StorageError("no OS keyring is available on this machine (injected)")


def test_login_checks_for_a_keyring_before_reading_a_password(build: Build) -> None:
    from iggy_cli.models import Expiry
    from iggy_cli.runtime import AuthInputs
    from iggy_cli.usecases import sessions

    asked: list[str] = []
    ctx = build(NoKeyring())
    ctx.auth = AuthInputs(username="iggy", password_stdin=True)
    ctx.stdin = io.StringIO("iggy\n")
    ctx.environ = {}
    ctx.ask = lambda text, hidden: asked.append(text) or ""  # type: ignore[func-returns-value]
    with pytest.raises(StorageError) as raised:
        sessions.login(ctx, Expiry(15 * 60 * 1_000_000, "15m"))
    assert ctx.stdin.read() == "iggy\n" and asked == []  # the password was never read
    assert "--store file (or IGGY_STORE=file)" in (raised.value.hint or "")
    assert "IGGY_TOKEN" in (raised.value.hint or "")


def test_login_without_a_keyring_fails_before_any_request(cli: Cli, access_log: list[str]) -> None:
    result = cli("-u", "iggy", "--password-stdin", "login", input="iggy\n", env=NO_KEYRING)
    assert (result.code, result.stdout) == (7, "")
    assert result.stderr.splitlines()[0] == "error: no OS keyring is available on this machine"
    assert "--store file (or IGGY_STORE=file)" in result.stderr
    assert access_log == []


def test_login_on_a_terminal_without_a_keyring_asks_nothing(cli: Cli) -> None:
    from helpers.terminal import Terminal

    term = Terminal("iggy login", {**cli.env, **NO_KEYRING})
    try:
        screen = term.wait_for("rc=7")
    finally:
        term.close()
    assert "Username" not in screen and "Password" not in screen
    assert "error: no OS keyring is available on this machine" in screen


# --- rotation for pipelines ---------------------------------------------------------------------

HOUR = parse_expiry(["1h"], now=NOW)


def printed_token(ctx: AppContext, name: str) -> str:
    with tokens.create_token(ctx, name, HOUR, keep=False) as outcome:
        return outcome.minted.token


def rotate_printed(ctx: AppContext, name: str, grace: timedelta | None = None) -> PrintedRotation:
    with printed_rotation.rotate_printed(ctx, name, None, grace, lambda _: True) as outcome:
        return outcome


def test_a_token_created_unstored_rotates_unstored(build: Build, server: SandboxServer) -> None:
    store = MemoryStore()
    ctx = build(store)
    old = printed_token(ctx, "ci-job")
    assert printed_rotation.prints(ctx, "ci-job", keep=True)
    assert not printed_rotation.prints(ctx, "other", keep=True)
    assert printed_rotation.prints(ctx, "other", keep=False)
    done = rotate_printed(ctx, "ci-job")
    assert (done.old_name, done.minted.name, done.retiring_until) == ("ci-job", "ci-job", None)
    assert done.expires_at == NOW + timedelta(hours=1)  # as before: the old one's end
    assert token_works(server.url, done.minted.token) and not token_works(server.url, old)
    assert store.entries == {} and list(server_tokens(server.url)) == ["ci-job"]


def test_a_grace_keeps_the_old_token_until_prune_after_it(
    build: Build, server: SandboxServer, clock: Clock
) -> None:
    ctx = build()
    old = printed_token(ctx, "ci-job")
    done = rotate_printed(ctx, "ci-job", grace=timedelta(minutes=10))
    assert (done.minted.name, done.retiring_until) == ("ci-job.b", NOW + timedelta(minutes=10))
    new = done.minted.token
    assert token_works(server.url, old) and token_works(server.url, new)
    rows = {row.token.name: row.retiring_until_us for row in tokens.list_tokens(ctx)}
    assert rows == {"ci-job": us_from_datetime(NOW + timedelta(minutes=10)), "ci-job.b": None}
    clock.advance(minutes=9, seconds=59)
    assert tokens.prune(ctx, False, False, dry_run=False).retired == ()
    assert token_works(server.url, old)
    clock.advance(seconds=1)
    assert tokens.prune(ctx, False, False, dry_run=True).retired == ("ci-job",)
    assert token_works(server.url, old)  # a dry run changes nothing
    assert tokens.prune(ctx, False, False, dry_run=False).retired == ("ci-job",)
    assert not token_works(server.url, old) and token_works(server.url, new)
    assert list(server_tokens(server.url)) == ["ci-job.b"]
    assert ctx.rotations.retiring(ctx.settings.address) == {}


def test_grace_rotations_alternate_between_twin_names(
    build: Build, server: SandboxServer, clock: Clock
) -> None:
    ctx = build()
    printed_token(ctx, "ci-job")
    first = rotate_printed(ctx, "ci-job", grace=timedelta(minutes=10))
    with pytest.raises(UsageError) as early:
        rotate_printed(ctx, "ci-job", grace=timedelta(minutes=10))
    assert early.value.message == (
        "'ci-job', which the last rotation replaced, is in its grace until 2030-01-01T09:40:00Z"
    )
    with pytest.raises(UsageError):  # without a grace, the retiring one is not rotated either
        rotate_printed(ctx, "ci-job")
    clock.advance(minutes=10)
    # The pipeline names the pair as it always did; the old one, past its grace, goes first.
    second = rotate_printed(ctx, "ci-job", grace=timedelta(minutes=10))
    assert (second.old_name, second.minted.name) == ("ci-job.b", "ci-job")
    assert set(server_tokens(server.url)) == {"ci-job", "ci-job.b"}
    assert token_works(server.url, first.minted.token)  # in its own grace now
    assert token_works(server.url, second.minted.token)


def test_twins_with_no_record_are_not_guessed(build: Build, server: SandboxServer) -> None:
    ctx = build()
    printed_token(ctx, "ci-job")
    printed_token(ctx, "ci-job.b")
    with pytest.raises(UsageError) as raised:
        rotate_printed(ctx, "ci-job", grace=timedelta(minutes=10))
    assert raised.value.message.startswith("both 'ci-job' and 'ci-job.b' exist")
    assert set(server_tokens(server.url)) == {"ci-job", "ci-job.b"}


def test_rotate_no_store_prints_a_working_token_and_keeps_nothing(
    cli: Cli, sandbox: SandboxServer
) -> None:
    old = mint_token(sandbox.url, "ci-deploy")
    rotated = cli(
        "pat",
        "rotate",
        "ci-deploy",
        "--no-store",
        "--yes",
        env={**cli.as_admin(), **ACTIONS},
        shows_token=True,
    )
    assert rotated.code == 0, rotated.stderr
    new = rotated.stdout.rstrip("\n")
    assert rotated.stdout == f"{new}\n" and len(new) == 68
    assert rotated.stderr.splitlines()[0] == f"::add-mask::{new}"
    assert token_works(sandbox.url, new) and not token_works(sandbox.url, old)
    assert cli.keyring() == {}
    as_env = cli(
        "pat",
        "rotate",
        "ci-deploy",
        "--no-store",
        "--yes",
        "-o",
        "env",
        env=cli.as_admin(),
        shows_token=True,
    )
    assert as_env.code == 0, as_env.stderr
    assert as_env.stdout.startswith("IGGY_TOKEN=") and as_env.stderr == ""
    assert token_works(sandbox.url, as_env.stdout.rstrip("\n").partition("=")[2])


def test_a_token_created_with_no_store_rotates_without_storing(
    cli: Cli, sandbox: SandboxServer
) -> None:
    created = cli(
        "pat", "create", "ci-job", "1h", "--no-store", env=cli.as_admin(), shows_token=True
    )
    assert created.code == 0, created.stderr
    rotated = cli("pat", "rotate", "ci-job", "--yes", "-q", env=cli.as_admin(), shows_token=True)
    assert rotated.code == 0, rotated.stderr
    assert token_works(sandbox.url, rotated.stdout.rstrip("\n"))
    assert cli.keyring() == {}


def test_grace_is_refused_for_a_stored_token(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", "1h", env=cli.as_admin()).code == 0
    refused = cli("pat", "rotate", "deploy", "--grace", "10m", env=cli.as_admin())
    assert (refused.code, refused.stderr.splitlines()[0]) == (
        2,
        "error: --grace is for a rotation that prints the new token: add --no-store",
    )


def ClockedCli(home: Path, url: str, clock: Clock) -> Cli:  # reads as a class
    """The in-process `iggy`, reading the test's clock (World.now), as the sandbox does."""
    return Cli(home, url, now=clock)


def test_a_pipeline_rotates_with_a_grace_and_prunes_after_it(
    tmp_path: Path, server: SandboxServer, clock: Clock
) -> None:
    iggy = ClockedCli(tmp_path, server.url, clock)
    admin = {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy", "IGGY_STORE": "none"}
    created = iggy("pat", "create", "ci-job", "1d", "-q", env=admin, shows_token=True)
    old = created.stdout.rstrip("\n")
    rotated = iggy(
        "pat",
        "rotate",
        "ci-job",
        "--no-store",
        "--grace",
        "10m",
        "--yes",
        "-o",
        "json",
        env=admin,
        shows_token=True,
    )
    assert rotated.code == 0, rotated.stderr
    body = rotated.json
    assert isinstance(body, dict)
    assert (body["name"], body["replaced"], body["replaced_works_until"]) == (
        "ci-job.b",
        "ci-job",
        "2030-01-01T09:40:00Z",
    )
    assert body["expiry_at"] == "2030-01-02T09:30:00Z"  # the old one's end, as before
    new = body["token"]
    listed = iggy("pat", "list", "-o", "json", env=admin)
    assert [(row["name"], row["retiring_until"]) for row in listed.json] == [  # type: ignore[attr-defined]
        ("ci-job", "2030-01-01T09:40:00Z"),
        ("ci-job.b", None),
    ]
    table = iggy("pat", "list", env=admin).stdout.splitlines()
    assert table[1].startswith("ci-job ") and table[1].endswith("retiring in 10m  no")
    clock.advance(minutes=9, seconds=59)
    early = iggy("pat", "prune", "--yes", "-o", "json", env=admin)
    assert early.json["retired"] == []  # type: ignore[index]
    assert token_works(server.url, old) and token_works(server.url, new)
    clock.advance(seconds=1)
    pruned = iggy("pat", "prune", "--yes", env=admin)
    assert (pruned.code, pruned.stderr) == (
        0,
        "Deleted 'ci-job': its grace after a rotation is over.\n",
    )
    assert not token_works(server.url, old) and token_works(server.url, new)
    assert list(server_tokens(server.url)) == ["ci-job.b"]


def test_exec_in_the_tests_own_process_is_refused_not_carried_out(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("pat", "create", "deploy", "1h", env=cli.as_admin()).code == 0
    refused = cli("pat", "exec", "deploy", "--", "true")  # this process is still pytest's
    assert refused.code == 1
    assert refused.stderr.startswith("error: unexpected AssertionError")


def test_rotate_with_store_none_prints_the_new_token(cli: Cli, sandbox: SandboxServer) -> None:
    old = mint_token(sandbox.url, "ci-deploy")
    rotated = cli(
        "--store",
        "none",
        "pat",
        "rotate",
        "ci-deploy",
        "--yes",
        "-q",
        env=cli.as_admin(),
        shows_token=True,
    )
    assert (rotated.code, rotated.stderr) == (0, "")
    assert token_works(sandbox.url, rotated.stdout.rstrip("\n"))
    assert not token_works(sandbox.url, old) and cli.keyring() == {}

"""Hostile servers and hostile input, through the console script: a sandbox answers with
escape sequences, markup and newlines in names and reasons, and with expiries at and beyond
the edges of the calendar, under zones east and west of UTC; bad input from the user is refused
before anything is sent. Every run ends with its documented exit code, one line of error, and
no raw control character in any output."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse

import pytest
from helpers.cli import BIN, RUNS, Cli, Result
from helpers.servers import mint_token, server_tokens
from helpers.terminal import Terminal

from iggy_cli.sandbox.http_server import SandboxServer

TOKENS = "/personal-access-tokens"
HOSTILE_NAMES = [
    "clear\x1b[2J\x1b[H",
    "title\x1b]0;pwned\x07",
    "link\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",
    "evil\nforged  never  never  yes",
    "cr\roverwrite",
    "csi\x9b31m",
    "\u202egnp.exe",
    "zero\u200bwidth",
    "[bold red]x[/]",
    "[link=http://evil]click[/link]",
    "lone\ud800",
]


def raw_controls(text: str) -> list[str]:
    """Characters a terminal could act on, or that hide or reorder text (newlines allowed)."""
    return [character for character in text if not (character.isprintable() or character == "\n")]


def answer_tokens(sandbox: SandboxServer, tokens: list[dict[str, object]], count: int = 1) -> None:
    sandbox.answer_with(
        "GET", TOKENS, 200, json.dumps(tokens), content_type="application/json", count=count
    )


def run_exact(cli: Cli, *args: str, env: dict[str, str | None]) -> Result:
    """Like `cli(...)`, but the output exactly as written: text mode would turn a raw \r into
    \n and hide it from the checks."""
    merged = {**cli.env, **env}
    done = subprocess.run(
        [str(BIN / "iggy"), *args],
        input=b"",
        capture_output=True,
        env={key: value for key, value in merged.items() if value is not None},
        timeout=60,
    )
    result = Result(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))
    RUNS.append((args, result, False))  # for the suite's leak scan
    return result


def error_lines(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("error: "), stderr
    assert all(line.startswith("hint: ") for line in lines[1:]), stderr
    return lines


# ---- names and reasons ----


@pytest.mark.parametrize(
    "args",
    [
        ("pat", "list"),
        ("pat", "list", "-o", "plain"),
        ("pat", "list", "--field", "name"),
        ("pat", "list", "-o", "json"),
        ("-v", "pat", "list", "-o", "plain"),
    ],
    ids=["table", "plain", "field", "json", "verbose"],
)
def test_hostile_names_print_one_escaped_line_each(
    cli: Cli, sandbox: SandboxServer, args: tuple[str, ...]
) -> None:
    answer_tokens(sandbox, [{"name": name, "expiry_at": None} for name in HOSTILE_NAMES])
    result = run_exact(cli, *args, env=cli.as_admin())
    assert result.code == 0, result.stderr
    assert raw_controls(result.stdout) == [] and raw_controls(result.stderr) == []
    lines = result.stdout.splitlines()
    if "json" in args:
        assert [token["name"] for token in json.loads(result.stdout)] == HOSTILE_NAMES
    elif args[-1] == "list":
        assert len(lines) == 1 + len(HOSTILE_NAMES)  # a header and one row each
        assert lines[4].startswith("evil\\nforged") and lines[9].startswith("[bold red]x[/]")
    else:
        assert len(lines) == len(HOSTILE_NAMES)
        assert lines[3] == "evil\\nforged  never  never  yes"
        assert lines[6] == "\\u202egnp.exe"
    if "-v" in args:  # the response body, escaped too
        assert "\\u202egnp.exe" in result.stderr and "\\x9b31m" in result.stderr


def test_csv_carries_hostile_names_exactly(cli: Cli, sandbox: SandboxServer) -> None:
    import csv
    import io

    answer_tokens(sandbox, [{"name": name, "expiry_at": None} for name in HOSTILE_NAMES])
    result = run_exact(cli, "pat", "list", "-o", "csv", env=cli.as_admin())
    assert result.code == 0
    read = [row["name"] for row in csv.DictReader(io.StringIO(result.stdout, newline=""))]
    # exact, for a program to read; only a lone surrogate, which UTF-8 cannot hold, is escaped
    assert read == [name.replace("\ud800", "\\ud800") for name in HOSTILE_NAMES]


REASON = "evil \x1b]0;pwned\x07 \x1b[2J\nerror: forged \u202e"


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "content_type", "code", "shown"),
    [
        (
            "POST",
            "/users/login",
            400,
            json.dumps({"id": 42, "code": "invalid_credentials", "reason": REASON, "field": None}),
            "application/json",
            4,
            "evil \\x1b]0;pwned\\x07 \\x1b[2J\\nerror: forged \\u202e",
        ),
        (
            "GET",
            TOKENS,
            500,
            json.dumps({"id": 1, "code": "error", "reason": REASON, "field": None}),
            "application/json",
            6,
            "evil \\x1b]0;pwned\\x07 \\x1b[2J\\nerror: forged \\u202e",
        ),
        ("GET", TOKENS, 502, f"<html>{REASON}</html>", "text/html", 6, "\\x1b[2J"),
        ("GET", TOKENS, 418, REASON, "text/plain", 3, "\\x1b]0;pwned\\x07"),
    ],
    ids=["json-login", "json-500", "html-502", "text-418"],
)
def test_hostile_reasons_stay_on_one_escaped_line(
    cli: Cli,
    sandbox: SandboxServer,
    method: str,
    path: str,
    status: int,
    body: str,
    content_type: str,
    code: int,
    shown: str,
) -> None:
    sandbox.answer_with(method, path, status, body, content_type=content_type)
    result = cli("pat", "list", env=cli.as_admin())
    assert result.code == code
    assert raw_controls(result.stderr) == [] and result.stdout == ""
    assert shown in error_lines(result.stderr)[0]


def test_a_terminal_shows_markup_and_escapes_in_names_literally(
    cli: Cli, sandbox: SandboxServer
) -> None:
    names = ["[bold red]x[/]", "[link=http://evil]click[/link]", "cls\x1b[2J", "t\x1b]0;pwned\x07"]
    answer_tokens(sandbox, [{"name": name, "expiry_at": None} for name in names])
    env = {**cli.env, **cli.as_admin()}
    term = Terminal(f"echo before; {BIN}/iggy pat list", {k: str(v) for k, v in env.items()}, 100)
    try:
        screen = term.wait_for("rc=0")
        lines = screen.splitlines()
        assert lines[0] == "before"  # nothing cleared the screen
        assert lines[1].split() == ["NAME", "EXPIRES", "WHEN", "STORED"]
        assert [line.split()[0] for line in lines[2:6]] == [
            "[bold",
            "[link=http://evil]click[/link]",
            "cls\\x1b[2J",
            "t\\x1b]0;pwned\\x07",
        ]
        assert lines[2].startswith("[bold red]x[/]")
        assert "\x1b]8;" not in term.screen(escapes=True)  # no hyperlink was made
        title = term.tmux("display-message", "-p", "-t", term.name, "#{pane_title}").stdout
        assert "pwned" not in title
    finally:
        term.close()


# ---- times at the edges ----

EDGE_TOKENS = [
    ("max", 2**64 - 1),
    ("max-1", 2**64 - 2),
    ("zero", 0),
    ("minus-one", -1),
    ("ancient", -(10**18)),
    ("never", None),
]


@pytest.mark.parametrize(
    ("tz", "epoch"),
    [("Asia/Tokyo", "1970-01-01 09:00 JST"), ("America/New_York", "1969-12-31 19:00 EST")],
    ids=["tokyo", "new-york"],
)
def test_expiries_at_the_edges_render_in_any_zone(
    cli: Cli, sandbox: SandboxServer, tz: str, epoch: str
) -> None:
    env = {**cli.as_admin(), "TZ": tz}
    tokens = [{"name": name, "expiry_at": expiry} for name, expiry in EDGE_TOKENS]
    answer_tokens(sandbox, tokens, count=4)

    table = cli("pat", "list", env=env)
    assert table.code == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[1:]}
    assert "after 9999-12-31" in rows["max"] and "after 9999-12-31" in rows["max-1"]
    assert "in 584885y " in rows["max"]  # the table's short units (pat show has days)
    assert epoch in rows["zero"] and "expired" in rows["zero"]
    assert "before 0001-01-01" in rows["ancient"] and "expired 31766y ago" in rows["ancient"]
    assert "never" in rows["never"]

    listed = cli("pat", "list", "-o", "json", env=env).json
    assert isinstance(listed, list)
    assert [token["expiry_at_us"] for token in listed] == [us for _, us in EDGE_TOKENS]
    assert [token["expired"] for token in listed] == [False, False, True, True, True, False]
    assert [token["expiry_at"] for token in listed] == [
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T23:59:59.999999Z",
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999999Z",
        "0001-01-01T00:00:00Z",
        None,
    ]

    expired = cli("pat", "list", "--expired", "-o", "plain", env=env)
    assert (expired.code, expired.stdout.split()) == (8, ["zero", "minus-one", "ancient"])
    pruned = cli("pat", "prune", "--expired", "--dry-run", "-o", "json", env=env)
    assert pruned.code == 0
    assert pruned.json == {
        "expired": ["zero", "minus-one", "ancient"],
        "orphans": [],
        "stand_ins": [],
        "retired": [],
        "dry_run": True,
    }
    for result in (table, expired, pruned):
        assert raw_controls(result.stdout + result.stderr) == []


@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/New_York"])
@pytest.mark.parametrize(
    ("expiry", "code", "shown"),
    [
        ("100000000000000000000", 0, "after 9999-12-31"),
        ("-100000000000000000000", 0, "before 0001-01-01"),
        ("1e20", 6, None),  # a float is no u64: not an Iggy server's answer
    ],
    ids=["10^20", "-10^20", "float"],
)
def test_an_access_token_expiry_beyond_the_calendar(
    cli: Cli, sandbox: SandboxServer, tz: str, expiry: str, code: int, shown: str | None
) -> None:
    body = '{"user_id": 0, "access_token": {"token": "not-a-jwt", "expiry": EXPIRY}}'
    body = body.replace("EXPIRY", expiry)
    for _ in range(2):
        sandbox.answer_with("POST", f"{TOKENS}/login", 200, body, content_type="application/json")
    token = mint_token(sandbox.url, "deploy")
    env = {"IGGY_TOKEN": token, "TZ": tz}
    result = cli("pat", "login", env=env)
    assert result.code == code, result.stderr
    assert raw_controls(result.stderr) == []
    if shown is None:
        assert len(error_lines(result.stderr)) <= 2
        return
    # the server's JWT lifetime is not said (read as the token's own end); JSON carries it
    assert "is now this server's session" in result.stderr and "access token" not in result.stderr
    as_json = cli("pat", "login", "-o", "json", env=env)
    assert as_json.code == 0
    assert as_json.json["access_token_expires_at"] in (  # type: ignore[index]
        "9999-12-31T23:59:59.999999Z",
        "0001-01-01T00:00:00Z",
    )


# ---- bad input from the user ----

NOT_UTF8 = os.fsdecode(b"ab\xff\xfe")  # how Python hands such bytes to a program
HUGE = "1" + "0" * 400 + "d"


@pytest.mark.parametrize(
    ("args", "env", "stdin", "says"),
    [
        (["pat", "create", "abc"], {"IGGY_KEYRING_TIMEOUT": "inf"}, "", "IGGY_KEYRING_TIMEOUT"),
        (["pat", "create", "abc"], {"IGGY_KEYRING_TIMEOUT": "nan"}, "", "IGGY_KEYRING_TIMEOUT"),
        (["pat", "create", "abc"], {"IGGY_KEYRING_TIMEOUT": "0"}, "", "IGGY_KEYRING_TIMEOUT"),
        (["pat", "create", "abc"], {"IGGY_KEYRING_TIMEOUT": "-1"}, "", "IGGY_KEYRING_TIMEOUT"),
        (["pat", "create", "abc"], {"IGGY_KEYRING_TIMEOUT": "1e308"}, "", "IGGY_KEYRING_TIMEOUT"),
        (["pat", "create", "abc", HUGE], {}, "", "too long"),
        (["pat", "list", "--expiring-within", HUGE], {}, "", "too long"),
        (["pat", "create", NOT_UTF8], {}, "", "not valid UTF-8"),
        (["pat", "delete", NOT_UTF8, "--yes"], {}, "", "not valid UTF-8"),
        (["pat", "token", NOT_UTF8], {}, "", "not valid UTF-8"),
        (["pat", "rotate", NOT_UTF8], {}, "", "not valid UTF-8"),
        (["pat", "login", NOT_UTF8], {}, "", "not valid UTF-8"),
        (["-n", NOT_UTF8, "pat", "list"], {}, "", "not valid UTF-8"),
        (["pat", "create", "abc", "1d" + NOT_UTF8], {}, "", "in expiry"),
        (["pat", "create", "ab"], {}, "", "2 bytes"),
        (["pat", "create", ".."], {}, "", "cannot be a token name"),
        (["pat", "delete", "..", "--yes"], {}, "", "cannot be a token name"),
        (["pat", "delete", ".", "--yes"], {}, "", "cannot be a token name"),
        (["pat", "delete", "ok-name", "..", "--yes"], {}, "", "cannot be a token name"),
        (["pat", "token", ".."], {}, "", "cannot be a token name"),
        (["pat", "login", "."], {}, "", "cannot be a token name"),
        (["pat", "rotate", ".."], {}, "", "cannot be a token name"),
        (["-n", "..", "pat", "list"], {}, "", "cannot be a token name"),
        (["pat", "list"], {"IGGY_TOKEN": NOT_UTF8}, "", "IGGY_TOKEN is not valid UTF-8"),
        (["pat", "list"], {"IGGY_TOKEN": "tok\x1b[2Jen"}, "", "IGGY_TOKEN holds control"),
        (["pat", "list"], {"IGGY_PASSWORD": NOT_UTF8}, "", "IGGY_PASSWORD is not valid UTF-8"),
        (["pat", "list"], {"IGGY_PASSWORD": "pass\x07"}, "", "IGGY_PASSWORD holds control"),
        (["--token-stdin", "pat", "list"], {}, "tok\x1b[2Jen\n", "--token-stdin holds control"),
        (["--password-stdin", "pat", "list"], {}, "pa\x7fss\n", "--password-stdin holds control"),
        (["-p", NOT_UTF8, "pat", "list"], {}, "", "--password is not valid UTF-8"),
        (
            ["context", "create", "c1", "--url", "http://h:1", "--timeout", "inf"],
            {},
            "",
            "--timeout",
        ),
        (["context", "create", "c1", "--url", "http://h:1", "-u", NOT_UTF8], {}, "", "UTF-8"),
        (["sandbox", "--host", NOT_UTF8, "--port", "0"], {}, "", "--host is not valid UTF-8"),
    ],
    ids=lambda value: repr(value)[:60] if not isinstance(value, dict) else "",
)
def test_bad_input_is_a_usage_error_and_sends_nothing(
    cli: Cli, sandbox: SandboxServer, args: list[str], env: dict[str, str], stdin: str, says: str
) -> None:
    sandbox.clear_requests()
    result = cli(*args, env={**cli.as_admin(), **env}, input=stdin)
    assert result.code == 2, result.stderr
    assert says in error_lines(result.stderr)[0]
    assert len(result.stderr.splitlines()) <= 2
    assert raw_controls(result.stdout + result.stderr) == []
    assert sandbox.requests == []
    for secret in ("tok\x1b[2Jen", "tok\\x1b[2Jen", "pass\x07", "pass\\x07", "pa\x7fss"):
        assert secret not in result.stderr  # no secret echoed


def test_every_name_travels_as_exactly_one_path_segment(cli: Cli, sandbox: SandboxServer) -> None:
    names = ["a/b", "a?b#c", "%2e%2e", "...", "..%2F", "./x", "a b", "名前", "a\\b", "x\x1b[2J"]
    for name in names:
        mint_token(sandbox.url, name)  # delete sends a DELETE only for a name the server has
    sandbox.clear_requests()
    result = cli("pat", "delete", *names, "--yes", env=cli.as_admin())
    assert result.code == 0, result.stderr
    assert server_tokens(sandbox.url) == {}
    deletes = [
        r.path for r in sandbox.requests if r.method == "DELETE" and r.path.startswith(TOKENS)
    ]
    assert deletes == [f"{TOKENS}/{urllib.parse.quote(name, safe='')}" for name in names]
    for path, name in zip(deletes, names, strict=True):
        segment = path.removeprefix(f"{TOKENS}/")
        assert "/" not in segment and urllib.parse.unquote(segment) == name
    assert raw_controls(result.stderr) == []

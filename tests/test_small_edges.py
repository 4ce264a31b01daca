"""The small ones of the third outside review, each from outside: a busy server saying
`Retry-After: 0`, a name holding a zero-width character, a lifetime of a microsecond, and two
names that are one word in composed and decomposed Unicode."""

from __future__ import annotations

import json
import re
import unicodedata

from helpers.cli import Cli
from helpers.servers import server_tokens

from iggy_cli.sandbox.http_server import SandboxServer

TOKENS = "/personal-access-tokens"
BUSY = {"id": 58, "code": "transient_not_accepted", "reason": "busy", "field": None}


def test_retry_after_zero_reads_as_a_server_still_busy(cli: Cli, sandbox: SandboxServer) -> None:
    sandbox.answer_with(
        "GET",
        TOKENS,
        503,
        json.dumps(BUSY),
        content_type="application/json",
        headers={"Retry-After": "0"},
        count=10_000,
    )
    result = cli("--timeout", "1", "pat", "list", env=cli.as_admin())
    assert result.code == 6, result.stderr
    first, hint = result.stderr.splitlines()
    assert re.fullmatch(
        rf"error: {re.escape(sandbox.url)} is busy \(HTTP 503\) after \d+ tries within the 1 s "
        "allowed",
        first,
    ), first
    assert hint == "hint: try again later, or allow more time with --timeout SECONDS"


def test_an_escaped_name_prints_the_same_way_everywhere(cli: Cli, sandbox: SandboxServer) -> None:
    name = "a\u200bbc"  # a zero-width space: invisible, so it is shown as an escape
    created = cli("pat", "create", name, "1d", env=cli.as_admin())
    assert created.code == 0, created.stderr
    assert "'a\\u200bbc'" in created.stderr
    assert "/ a\\u200bbc)." in created.stderr  # the entry, named the same way
    assert "\\\\" not in created.stderr and "\u200b" not in created.stderr
    listed = cli("pat", "list", env=cli.as_admin())
    assert listed.stdout.splitlines()[1].startswith("a\\u200bbc  ")


def test_a_lifetime_under_a_second_is_said_before_minting(cli: Cli, sandbox: SandboxServer) -> None:
    result = cli("pat", "create", "tiny", "1us", env=cli.as_admin())
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "warning: expiry '1us' is shorter than a second: the token will be expired before it "
        "can be used"
    )
    assert list(server_tokens(sandbox.url)) == ["tiny"]
    longer = cli("pat", "create", "brief", "1s", env=cli.as_admin())
    assert "warning" not in longer.stderr


def columns(line: str) -> int:
    """Where the second column starts, in terminal columns (a combining mark takes none)."""
    name = line.split("  ", 1)[0]
    rest = line[len(name) :]
    spaces = len(rest) - len(rest.lstrip(" "))
    return sum(0 if unicodedata.combining(c) else 1 for c in name) + spaces


def test_look_alike_names_are_aligned_and_told_apart(cli: Cli, sandbox: SandboxServer) -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert cli("pat", "create", composed, "1d", env=cli.as_admin()).code == 0
    assert cli("pat", "create", decomposed, "1d", env=cli.as_admin()).code == 0
    listed = cli("pat", "list", env=cli.as_admin())
    assert listed.code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 3
    assert len({columns(line) for line in lines}) == 1, lines  # one column for every row
    assert listed.stderr == (
        "Note: 'caf\\xe9' and 'cafe\\u0301' look alike but are different names (Unicode "
        "spells them differently).\n"
    ) or listed.stderr == (
        "Note: 'cafe\\u0301' and 'caf\\xe9' look alike but are different names (Unicode "
        "spells them differently).\n"
    )


def test_a_look_alike_name_is_pointed_at_when_a_name_is_not_found(
    cli: Cli, sandbox: SandboxServer
) -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert cli("pat", "create", composed, "1d", env=cli.as_admin()).code == 0
    hint = (
        "hint: 'caf\\xe9' exists, which looks the same as 'cafe\\u0301' but is spelled differently"
    )
    token = cli("pat", "token", decomposed)
    assert token.code == 5 and token.stdout == ""
    assert token.stderr.splitlines()[1] == hint
    deleted = cli("pat", "delete", decomposed, "--yes", env=cli.as_admin())
    assert deleted.code == 5
    assert deleted.stderr.splitlines()[-1] == hint
    assert list(server_tokens(sandbox.url)) == [composed]

"""The output contract: each format for each command that prints data, and the JSON examples
of docs/scripting.md checked against real output (same keys, same types)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.servers import mint_token

from iggy_cli.sandbox.http_server import SandboxServer

SCRIPTING_DOC = Path(__file__).parent.parent / "docs" / "scripting.md"


def golden(command: str) -> str:
    text = SCRIPTING_DOC.read_text()
    match = re.search(rf"<!-- golden: {command} -->\n```json\n(.+?)\n```", text, re.S)
    assert match, f"docs/scripting.md has no golden example for {command}"
    return match.group(1)


def comparable(text: str) -> str:
    """JSON text with what differs from run to run made alike: instants, ports, and the
    keyring backend's name (the docs show a desktop's, the suite runs a stand-in)."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:3000", text)
    text = re.sub(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"', '"<instant>"', text)
    text = re.sub(r'("expiry_at_us": )\d+', r"\1<microseconds>", text)
    return re.sub(r'("backend": )"[^"]*"', r'\1"<keyring backend>"', text)


def test_the_docs_json_examples_match_real_output(cli: Cli, sandbox: SandboxServer) -> None:
    admin = cli.as_admin()
    runs = [
        ("login", ("login",), admin),
        ("pat create", ("pat", "create", "deploy", "30d"), {}),
        ("pat list", ("-n", "deploy", "pat", "list"), {}),
        ("pat login", ("pat", "login", "deploy"), {}),
        ("pat rotate", ("pat", "rotate", "deploy"), admin),
        ("status", ("status",), {}),
        ("pat delete", ("pat", "delete", "--yes", "deploy"), admin),
        ("logout", ("logout",), {}),
    ]
    mint_token(sandbox.url, "old-ci", expiry_us=1)
    runs.insert(5, ("pat prune", ("pat", "prune", "--yes", "--expired", "--orphans"), admin))
    runs.append(("context list", ("context", "list"), {}))
    cli("context", "create", "prod", "--url", "https://iggy.example.com:3000", "-u", "admin")
    assert cli("login", env=admin).code == 0
    for command, args, env in runs:
        result = cli(*args, "-o", "json", env=env)
        assert (result.code, result.stderr) == (0, ""), (command, result.stderr)
        if os.environ.get("IGGY_WRITE_GOLDEN"):  # to refresh docs/scripting.md after a change
            text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:3000", result.stdout.strip())
            print(f"<!-- golden: {command} -->\n{text}")
            continue
        # Exactly as printed, byte for byte, apart from instants, ports and the backend.
        assert comparable(result.stdout.strip()) == comparable(golden(command)), command


def token_setup(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0
    mint_token(sandbox.url, "forever")


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (("pat", "list", "-o", "plain"), "deploy\nforever\n"),
        (("pat", "list", "--field", "stored"), "true\nfalse\n"),
        (("pat", "list", "--field", "expiry_at"), "\n\n"),
        (("pat", "delete", "--yes", "forever", "-o", "plain"), "forever\n"),
        (("pat", "delete", "--yes", "forever", "--field", "deleted"), "true\n"),
        (("status", "-o", "plain"), "true\n"),
        (("status", "--field", "credential.kind"), "password\n"),
        (("pat", "prune", "--yes", "--expired", "-o", "plain"), ""),
        (("pat", "rotate", "deploy", "-o", "plain"), "deploy\n"),
        (("login", "-o", "plain"), "0\n"),
        (("login", "--field", "replaced"), "false\n"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else None,
)
def test_plain_and_field(
    cli: Cli, sandbox: SandboxServer, args: tuple[str, ...], stdout: str
) -> None:
    token_setup(cli, sandbox)
    result = cli(*args, env=cli.as_admin())
    assert (result.code, result.stdout, result.stderr) == (0, stdout, "")


@pytest.mark.parametrize(
    ("args", "header"),
    [
        (
            ("pat", "list"),
            ["name", "expiry_at", "expiry_at_us", "expired", "stored", "retiring_until"],
        ),
        (("pat", "delete", "--yes", "forever"), ["name", "deleted", "removed_local_copy"]),
        (("login",), ["url", "user_id", "session_expires_at", "replaced"]),
        (
            ("pat", "prune", "--yes", "--expired"),
            ["expired", "orphans", "stand_ins", "retired", "dry_run"],
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else None,
)
def test_csv(cli: Cli, sandbox: SandboxServer, args: tuple[str, ...], header: list[str]) -> None:
    token_setup(cli, sandbox)
    result = cli(*args, "-o", "csv", env=cli.as_admin())
    assert (result.code, result.stderr) == (0, "")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == header and len(rows) >= 2


def test_status_csv_flattens_nested_fields(cli: Cli) -> None:
    result = cli("status", "-o", "csv", env=cli.as_admin())
    header, row = list(csv.reader(io.StringIO(result.stdout)))
    assert header[:4] == ["url", "usable", "context", "origins.context"]
    values = dict(zip(header, row, strict=True))
    assert (values["usable"], values["server.reachable"], values["origins.url"]) == (
        "true",
        "true",
        "IGGY_URL",
    )


def test_create_plain_prints_the_token_only_when_it_is_not_stored(cli: Cli) -> None:
    stored = cli("pat", "create", "deploy", "-o", "plain", env=cli.as_admin())
    assert (stored.code, stored.stdout, stored.stderr) == (0, "deploy\n", "")
    shown = cli(
        "pat", "create", "ci-job", "--no-store", "-o", "plain", env=cli.as_admin(), shows_token=True
    )
    assert shown.code == 0 and len(shown.stdout.strip()) == 68 and shown.stderr == ""


def test_an_unknown_field_is_a_usage_error(cli: Cli) -> None:
    result = cli("status", "--field", "colour", env=cli.as_admin())
    assert result.code == 2
    assert result.stderr.startswith("error: no field 'colour' here; fields: url, usable, ")


def test_piped_tables_are_plain_at_any_width(cli: Cli, sandbox: SandboxServer) -> None:
    token_setup(cli, sandbox)
    for columns in ("40", "200"):
        result = cli("pat", "list", env={**cli.as_admin(), "COLUMNS": columns})
        assert "\x1b[" not in result.stdout  # no colour or markup when piped
        lines = result.stdout.splitlines()
        assert [line.split()[0] for line in lines] == ["NAME", "deploy", "forever"]


def test_ci_never_prompts(cli: Cli) -> None:
    result = cli("-u", "iggy", "pat", "list", env={"CI": "true"})
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "error: no password for iggy",
        "hint: set IGGY_PASSWORD or pipe it with --password-stdin",
    ]


COMMANDS = [
    ("pat", "list"),
    ("pat", "create", "made", "--no-store"),
    ("pat", "delete", "--yes", "forever"),
    ("pat", "login", "deploy"),
    ("pat", "rotate", "deploy"),
    ("pat", "prune", "--yes", "--expired"),
    ("login",),
    ("status",),
    ("logout",),
    ("context", "list"),
    ("context", "show", "here"),
]


@pytest.mark.parametrize("fmt", ["json", "csv", "plain"])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_data_command_in_every_format(
    cli: Cli, sandbox: SandboxServer, args: tuple[str, ...], fmt: str
) -> None:
    token_setup(cli, sandbox)
    assert cli("context", "create", "here", "--url", sandbox.url).code == 0
    assert cli("login", env=cli.as_admin()).code == 0
    result = cli(*args, "-o", fmt, env=cli.as_admin(), shows_token="--no-store" in args)
    assert (result.code, result.stderr) == (0, ""), result.stderr
    if fmt == "json":
        json.loads(result.stdout)
    elif fmt == "csv":
        header = next(csv.reader(io.StringIO(result.stdout)))
        assert header and all(header)
    else:  # one value per line, or none (prune with nothing to prune)
        assert "{" not in result.stdout
        assert result.stdout == "" or result.stdout.endswith("\n")

"""Odd inputs and damaged files: always a one-line error and a documented exit code, never a
traceback, and never a minted token lost."""

from __future__ import annotations

import json

import pytest
from helpers.cli import BIN, Cli
from helpers.fake_servers import garbage_server
from helpers.servers import server_tokens

from iggy_cli.sandbox.http_server import SandboxServer

CONFIG = "config/iggy-cli/config.toml"


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "this is a bug" not in stderr, stderr


def test_a_url_with_a_password_is_refused_without_echoing_it(
    cli: Cli, sandbox: SandboxServer
) -> None:
    url = sandbox.url.replace("http://", "http://iggy:s3cretpw@")
    result = cli("--url", url, "-v", "status")
    assert result.code == 2
    assert result.stderr.startswith("error: the URL must not hold a user or password\n")
    assert "s3cretpw" not in result.stdout + result.stderr


def test_scheme_and_host_case_do_not_matter(cli: Cli, sandbox: SandboxServer) -> None:
    upper = sandbox.url.replace("http://", "HTTP://")
    result = cli("--url", upper, "status", "--field", "url", env=cli.as_admin())
    assert (result.code, result.stdout) == (0, sandbox.url + "\n")


def test_an_absurd_lifetime_is_refused_before_anything_is_minted(
    cli: Cli, sandbox: SandboxServer
) -> None:
    result = cli("pat", "create", "ancient", "9000years", env=cli.as_admin())
    assert result.code == 2 and "too long" in result.stderr
    assert server_tokens(sandbox.url) == {}


@pytest.mark.parametrize("field", ["bogus", "name"])
def test_a_field_never_hides_an_unstored_token(
    cli: Cli, sandbox: SandboxServer, field: str
) -> None:
    result = cli(
        "pat", "create", "ci-job", "--no-store", "--field", field, env=cli.as_admin(),
        shows_token=True,
    )  # fmt: skip
    printed = result.stdout.split()
    assert any(len(value) == 68 for value in printed), result.stdout
    assert result.code == (2 if field == "bogus" else 0)
    no_traceback(result.stderr)


@pytest.mark.parametrize(
    ("file", "content", "args", "code"),
    [
        (CONFIG, b"\xff\xfe not utf-8", ("--store", "file", "pat", "list"), 2),
        (CONFIG, b"servers = 1\n", ("--store", "file", "pat", "list"), 2),
        (CONFIG, b'[contexts.x]\nurl = "http://a:1"\ntimeout = "abc"\n',
         ("--context", "x", "pat", "list"), 2),
        (CONFIG, b'[contexts.x]\nurl = "http://a:1"\ninsecure = "false"\n',
         ("--context", "x", "pat", "list"), 2),
        ("data/iggy-cli/names.json", b'{"ADDR": {"keyring": 5, "seen": "x"}}', ("pat", "list"), 0),
        ("data/iggy-cli/tokens.json", b"[]", ("--store", "file", "pat", "create", "deploy"), 7),
        ("data/iggy-cli/sessions.json", b"not json", ("logout",), 0),
    ],
    ids=["config-not-utf8", "config-servers-not-table", "context-timeout-text",
         "context-insecure-text", "names-damaged", "tokens-damaged", "sessions-damaged"],
)  # fmt: skip
def test_damaged_files(
    cli: Cli, sandbox: SandboxServer, file: str, content: bytes, args: tuple[str, ...], code: int
) -> None:
    path = cli.home / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.replace(b"ADDR", sandbox.url.removeprefix("http://").encode()))
    result = cli(*args, env=cli.as_admin())
    assert result.code == code, result.stderr
    no_traceback(result.stderr)
    if code == 7:
        assert server_tokens(sandbox.url) == {}  # the store was checked before minting


def test_completion_survives_a_damaged_config(cli: Cli) -> None:
    import subprocess

    path = cli.home / "config" / "iggy-cli" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe")
    env = {**cli.env, "_IGGY_COMPLETE": "bash_complete", "COMP_WORDS": "iggy --context ",
           "COMP_CWORD": "2"}  # fmt: skip
    done = subprocess.run([str(BIN / "iggy")], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_stale_context_does_not_lock_out_the_context_commands(cli: Cli) -> None:
    listed = cli("context", "list", env={"IGGY_CONTEXT": "gone"})
    assert listed.code == 0
    assert listed.stderr.startswith("warning: no context named 'gone'; going on without")
    assert cli("pat", "list", env={"IGGY_CONTEXT": "gone"}).code == 2


def test_a_server_speaking_garbage_is_unavailable_not_a_bug(cli: Cli) -> None:
    with garbage_server() as url:
        result = cli("pat", "list", env={**cli.as_admin(), "IGGY_URL": url})
    assert result.code == 6
    no_traceback(result.stderr)
    # the request went out and the answer was garbage: not "cannot reach"
    assert result.stderr.startswith(f"error: {url} sent no usable answer: ")


def test_a_tls_flag_replaces_the_contexts_tls_settings(cli: Cli, sandbox: SandboxServer) -> None:
    made = cli("context", "create", "x", "--url", sandbox.url, "--ca-cert", "/nonexistent.pem")
    assert made.code == 0
    result = cli("--context", "x", "--insecure", "status", "--field", "usable", env=cli.as_admin())
    assert (result.code, result.stdout) == (0, "true\n")
    assert (
        json.loads(cli("context", "show", "x", "-o", "json").stdout)["ca_cert"]
        == "/nonexistent.pem"
    )

"""Contexts: named server profiles, their precedence (flag > environment > context > default),
and the import of Iggy's own contexts.toml with its secrets moved to the keyring."""

from __future__ import annotations

import os
import stat
import tomllib

import pytest
from conftest import Cli, mint_token
from fake_servers import closed_port_url

from iggy_cli.sandbox.server import SandboxServer


def test_create_list_use_show_delete(cli: Cli, sandbox: SandboxServer) -> None:
    made = cli("context", "create", "local", "--url", sandbox.url, "-u", "iggy", "--store", "file")
    assert (made.code, made.stderr) == (0, "Saved context 'local'.\n")
    assert cli("context", "create", "prod", "--url", "https://iggy.example:3000", "--use").code == 0
    listed = cli("context", "list", "-o", "json")
    assert listed.json == [  # type: ignore[comparison-overlap]
        {"name": "local", "current": False, "url": sandbox.url, "username": "iggy",
         "store": "file", "timeout": None, "ca_cert": None, "insecure": None},
        {"name": "prod", "current": True, "url": "https://iggy.example:3000", "username": None,
         "store": None, "timeout": None, "ca_cert": None, "insecure": None},
    ]  # fmt: skip
    assert cli("context", "use", "local").stderr == "Context 'local' is current now.\n"
    shown = cli("context", "show", "--field", "username")
    assert shown.stdout == "iggy\n"
    assert cli("context", "list", "-o", "plain").stdout == "local\nprod\n"
    assert cli("context", "delete", "prod").code == 0
    assert cli("context", "use", "prod").code == 5
    config = (cli.home / "config" / "iggy-cli" / "config.toml").read_text()
    assert tomllib.loads(config)["current_context"] == "local"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--context", "ghost", "pat", "list"), 2, "error: no context named 'ghost'"),
        (("context", "create", "bad name", "--url", "http://x:1"), 2, "error: bad context name"),
        (("context", "create", "x", "--url", "ftp://x"), 2, "error: not an HTTP URL"),
        (("context", "show"), 5, "error: no context is in force"),
    ],
    ids=["unknown", "bad-name", "bad-url", "none-in-force"],
)
def test_context_errors(cli: Cli, args: tuple[str, ...], code: int, message: str) -> None:
    result = cli(*args)
    assert result.code == code and result.stderr.startswith(message), result.stderr


def test_precedence_flag_environment_context_default(cli: Cli, sandbox: SandboxServer) -> None:
    down = closed_port_url()
    assert cli("context", "create", "local", "--url", sandbox.url, "-u", "iggy", "--use").code == 0
    no_url = {"IGGY_URL": None, "IGGY_PASSWORD": "iggy"}

    # the context gives the URL and the username (the password comes from the environment)
    assert cli("pat", "list", "-o", "json", env=no_url).code == 0
    # the environment beats the context...
    assert cli("pat", "list", env={**no_url, "IGGY_URL": down}).code == 6
    assert cli("pat", "list", env={**no_url, "IGGY_USERNAME": "nobody"}).code == 4
    # ...and a flag beats the environment
    env = {**no_url, "IGGY_URL": down, "IGGY_USERNAME": "nobody"}
    assert cli("--url", sandbox.url, "-u", "iggy", "pat", "list", env=env).code == 0
    # with no context at all, the default URL applies
    assert cli("context", "use", "none").code == 0
    assert cli("status", "--field", "url", env=no_url).stdout == "http://localhost:3000\n"


def test_context_selection_flag_environment_current(cli: Cli, sandbox: SandboxServer) -> None:
    cli("context", "create", "good", "--url", sandbox.url, "-u", "iggy")
    cli("context", "create", "down", "--url", closed_port_url(), "-u", "iggy", "--use")
    env = {"IGGY_URL": None, "IGGY_PASSWORD": "iggy"}
    assert cli("pat", "list", env=env).code == 6  # the current one
    assert cli("pat", "list", env={**env, "IGGY_CONTEXT": "good"}).code == 0
    both = {**env, "IGGY_CONTEXT": "down"}
    assert cli("--context", "good", "pat", "list", env=both).code == 0


def test_a_context_store_applies_below_the_environment(cli: Cli, sandbox: SandboxServer) -> None:
    cli("context", "create", "filed", "--url", sandbox.url, "-u", "iggy", "--store", "file")
    env = {"IGGY_URL": None, "IGGY_PASSWORD": "iggy", "IGGY_CONTEXT": "filed"}
    made = cli("pat", "create", "deploy", env=env)
    assert made.code == 0 and "(--store file)" in made.stderr
    assert (cli.home / "data" / "iggy-cli" / "tokens.json").exists()
    printed = cli(
        "pat", "create", "ci-job", "-q", env={**env, "IGGY_STORE": "none"}, shows_token=True
    )
    assert printed.code == 0 and len(printed.stdout.strip()) == 68


def test_import_moves_iggys_secrets_to_the_keyring(cli: Cli, sandbox: SandboxServer) -> None:
    token = mint_token(sandbox.url, "rust-cli")
    iggy_home = cli.home / ".iggy"
    iggy_home.mkdir()
    contexts = iggy_home / "contexts.toml"
    contexts.write_text(
        f'[default]\nhttp_api_url = "{sandbox.url}"\nusername = "iggy"\npassword = "iggy"\n'
        f'token = "{token}"\ntoken_name = "rust-cli"\n\n'
        '[tcp-only]\ntcp_server_address = "127.0.0.1:8090"\ntoken = "not-moved"\n'
    )
    (iggy_home / ".active_context").write_text("default")
    imported = cli("context", "import", env={"IGGY_URL": None})
    assert imported.code == 0, imported.stderr
    assert imported.stderr.splitlines() == [
        "Skipped 'tcp-only': it has no http_api_url (only HTTP is supported).",
        f"Imported context 'default' ({sandbox.url}); moved its token (as 'rust-cli') and "
        "password to the keyring.",
        f"Removed the moved secrets from {contexts}.",
    ]
    address = sandbox.url.removeprefix("http://")
    assert cli.keyring() == {
        f"iggy:{address}": {"rust-cli": token},
        f"iggy-cli-password:{address}": {"iggy": "iggy"},
    }
    left = tomllib.loads(contexts.read_text())
    assert left["default"] == {
        "http_api_url": sandbox.url,
        "username": "iggy",
        "token_name": "rust-cli",
    }
    assert left["tcp-only"]["token"] == "not-moved"  # not imported, so not removed
    assert stat.S_IMODE(os.stat(contexts).st_mode) == 0o600
    # the imported context is current; its user's password now comes from the keyring
    env = {"IGGY_URL": None}
    assert cli("pat", "list", "-o", "plain", env=env).stdout == "rust-cli\n"
    assert cli("-n", "rust-cli", "pat", "list", "-o", "plain", env=env).code == 0


def test_tab_completes_context_names(cli: Cli) -> None:
    cli("context", "create", "prod", "--url", "http://a:1")
    cli("context", "create", "staging", "--url", "http://b:1")
    env = {**cli.env, "_IGGY_COMPLETE": "bash_complete"}
    for line, cword, expected in (
        ("iggy --context ", "2", "plain,prod\nplain,staging\n"),
        ("iggy context use s", "3", "plain,staging\n"),
    ):
        import subprocess

        from conftest import BIN

        done = subprocess.run(
            [str(BIN / "iggy")],
            env={**env, "COMP_WORDS": line, "COMP_CWORD": cword},
            capture_output=True,
            text=True,
        )
        assert done.stdout == expected, line


@pytest.mark.parametrize(
    ("args", "code", "stored"),
    [
        (("store", "file"), 0, {"store": "file"}),
        (("timeout", "30"), 0, {"timeout": 30.0}),
        (("insecure", "TRUE"), 0, {"insecure": True}),
        (("url", "HTTP://Other:9/"), 0, {"url": "http://other:9"}),
        (("username",), 0, {"username": None}),
        (("timeout", "inf"), 2, {"timeout": None}),
        (("store", "cloud"), 2, {"store": None}),
        (("url",), 2, {"url": "http://a:1"}),
        (("bogus", "1"), 2, {}),
    ],
    ids=["store", "timeout", "insecure", "url", "unset", "timeout-inf", "store-bad", "unset-url",
         "unknown-key"],
)  # fmt: skip
def test_context_set_changes_one_setting(
    cli: Cli, args: tuple[str, ...], code: int, stored: dict[str, object]
) -> None:
    assert cli("context", "create", "prod", "--url", "http://a:1", "-u", "admin").code == 0
    result = cli("context", "set", "prod", *args)
    assert result.code == code, result.stderr
    if code:
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    shown = cli("context", "show", "prod", "-o", "json").json
    for key, value in stored.items():
        assert shown[key] == value  # type: ignore[index]


def test_context_set_of_a_missing_context_is_not_found(cli: Cli) -> None:
    result = cli("context", "set", "nope", "store", "file")
    assert (result.code, result.stderr) == (
        5,
        "error: no context named 'nope'\nhint: `iggy context list` shows them\n",
    )

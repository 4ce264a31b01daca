"""Contexts: named server profiles, their precedence (flag > environment > context > default),
and the import of Iggy's own contexts.toml, which is only read."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.fake_servers import closed_port_url
from helpers.servers import mint_token

from iggy_cli.sandbox.http_server import SandboxServer


def test_settings_given_before_the_command_are_the_contexts_own(
    cli: Cli, sandbox: SandboxServer
) -> None:
    made = cli("--url", sandbox.url, "-u", "iggy", "--store", "file", "context", "create", "here")
    assert (made.code, made.stderr) == (0, "Saved context 'here'.\n")
    shown = cli("context", "show", "here", "-o", "json").json
    assert isinstance(shown, dict)
    assert (shown["url"], shown["username"], shown["store"]) == (sandbox.url, "iggy", "file")
    # the command's own option wins; an exported IGGY_URL is no context's address
    both = cli("--url", "http://a.example:3000", "context", "create", "b", "--url", sandbox.url)
    assert (
        both.code == 0
        and cli("context", "show", "b", "--field", "url").stdout == f"{sandbox.url}\n"
    )
    missing = cli("context", "create", "c", env={"IGGY_URL": sandbox.url})
    assert missing.code == 2
    assert (
        missing.stderr.splitlines()[0]
        == "error: context create needs the server's address: --url URL"
    )


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


def write_iggy_contexts(cli: Cli, text: str, active: str | None = None) -> Path:
    """Iggy's own files as its Rust CLI keeps them: $IGGY_HOME/contexts.toml, .active_context."""
    home = cli.home / ".iggy"
    home.mkdir(exist_ok=True)
    contexts = home / "contexts.toml"
    contexts.write_text(text)
    if active is not None:
        (home / ".active_context").write_text(active)
    return contexts


def store_as_rust_cli(cli: Cli, service: str, username: str, secret: str) -> None:
    """An entry another tool stored, in the plaintext test keyring's file."""
    entries = json.loads(cli.keyring_file.read_text()) if cli.keyring_file.exists() else {}
    entries.setdefault(service, {})[username] = secret
    cli.keyring_file.write_text(json.dumps(entries))


def test_a_context_names_its_keyring_address(cli: Cli, sandbox: SandboxServer) -> None:
    """A Rust CLI on its default TCP transport keeps tokens under 127.0.0.1:8090."""
    token = mint_token(sandbox.url, "from-rust")
    store_as_rust_cli(cli, "iggy:127.0.0.1:8090", "from-rust", token)
    made = cli(
        "context", "create", "rust", "--url", sandbox.url, "--keyring-address", "127.0.0.1:8090"
    )
    assert made.code == 0, made.stderr
    env = {"IGGY_URL": None}
    listed = cli("--context", "rust", "-n", "from-rust", "pat", "list", "-o", "plain", env=env)
    assert (listed.code, listed.stdout) == (0, "from-rust\n")
    created = cli("--context", "rust", "-n", "from-rust", "pat", "create", "deploy", env=env)
    assert created.code == 0, created.stderr
    assert sorted(cli.keyring()["iggy:127.0.0.1:8090"]) == ["deploy", "from-rust"]
    shown = cli("--context", "rust", "config", "show", "-o", "json", env=env)
    assert {
        "setting": "keyring_address",
        "value": "127.0.0.1:8090",
        "origin": "context 'rust' (--context)",
    } in shown.json  # type: ignore[operator]
    assert cli("context", "set", "rust", "keyring_address", "10.0.0.5:8090").code == 0
    shown = cli("context", "show", "rust", "--field", "keyring_address")
    assert shown.stdout == "10.0.0.5:8090\n"
    bad = cli("context", "set", "rust", "keyring_address", "a\tb")
    assert (bad.code, bad.stderr) == (
        2,
        "error: keyring_address must be printable text, not 'a\\tb'\n",
    )


def test_import_only_reads_iggys_files_and_uses_their_secrets_where_they_are(
    cli: Cli, sandbox: SandboxServer
) -> None:
    ci = mint_token(sandbox.url, "ci-job")
    address = sandbox.url.removeprefix("http://")
    contexts = write_iggy_contexts(
        cli,
        f'[default]\ntransport = "http"\nhttp_api_url = "{sandbox.url}"\n'
        'username = "iggy"\npassword = "iggy"\n\n'
        # no transport: Iggy's CLI speaks TCP and names its keyring entries by that address
        f'[rust]\nhttp_api_url = "{sandbox.url}"\ntcp_server_address = "127.0.0.1:18090"\n'
        'token_name = "ci-job"\ntoken = "beaten-by-token-name"\nextra = 1\n\n'
        '[tcp-only]\ntcp_server_address = "127.0.0.1:8090"\ntoken = "not-imported"\n',
        active="default",
    )
    before = contexts.read_bytes(), (contexts.parent / ".active_context").read_bytes()
    store_as_rust_cli(cli, "iggy:127.0.0.1:18090", "ci-job", ci)
    rust_entries = cli.keyring()

    imported = cli("context", "import", "--use", env={"IGGY_URL": None})
    assert imported.code == 0, imported.stderr
    assert imported.stderr.splitlines() == [
        f"Imported context 'default' ({sandbox.url}; keyring address {address}). "
        "Kept in Iggy's file and read from there: password.",
        f"Imported context 'rust' ({sandbox.url}; keyring address 127.0.0.1:18090). "
        "Kept in Iggy's file and read from there: token_name, token.",
        "Skipped 'tcp-only': it has no http_api_url (iggy-cli speaks HTTP).",
        "Made 'default' the current context, as in Iggy's CLI.",
        "Iggy's own files were read, not changed.",
    ]
    assert (contexts.read_bytes(), (contexts.parent / ".active_context").read_bytes()) == before
    assert cli.keyring() == rust_entries  # nothing moved or copied
    config = tomllib.loads((cli.home / "config" / "iggy-cli" / "config.toml").read_text())
    assert config["current_context"] == "default"
    assert config["contexts"]["rust"] == {
        "url": sandbox.url,
        "iggy_context": "rust",
        "iggy_contexts_file": str(contexts),
        "keyring_address": "127.0.0.1:18090",
    }

    env = {"IGGY_URL": None}
    # 'default' is current: its user's password is read from Iggy's file
    status = cli("status", "-o", "json", env=env)
    assert status.code == 0, status.stderr
    assert status.json["credential"]["source"] == (  # type: ignore[index]
        f"password of Iggy's context 'default' in {contexts}"
    )
    # 'rust': its token_name wins over its token, found where the Rust CLI stored it
    listed = cli("--context", "rust", "pat", "list", "-o", "plain", env=env)
    assert (listed.code, listed.stdout, listed.stderr) == (0, "ci-job\n", "")
    status = cli("--context", "rust", "status", "-o", "json", env=env)
    assert status.json["credential"]["source"] == (  # type: ignore[index]
        "keyring entry iggy:127.0.0.1:18090 / ci-job"
    )
    assert status.json["store"]["address"] == "127.0.0.1:18090"  # type: ignore[index]
    assert status.json["store"]["address_chosen_by"] == "context 'rust' (--context)"  # type: ignore[index]
    # a session beats the context's token_name, as in Iggy's CLI; it lives at the same address
    assert cli("--context", "rust", "login", env=env).code == 0
    status = cli("--context", "rust", "status", "-o", "json", env=env)
    assert status.json["credential"]["kind"] == "session"  # type: ignore[index]
    assert "iggy-cli-session:127.0.0.1:18090" in cli.keyring()
    assert contexts.read_bytes() == before[0]


def test_an_imported_context_reads_iggys_file_at_each_run(cli: Cli, sandbox: SandboxServer) -> None:
    first, second = mint_token(sandbox.url, "first"), mint_token(sandbox.url, "second")
    contexts = write_iggy_contexts(
        cli, f'[prod]\ntransport = "http"\nhttp_api_url = "{sandbox.url}/"\ntoken = "{first}"\n'
    )
    assert cli("context", "import").code == 0
    # the keyring address is Iggy's own string: the URL minus http://, not normalised
    address = sandbox.url.removeprefix("http://") + "/"
    shown = cli("context", "show", "prod", "--field", "keyring_address")
    assert shown.stdout == f"{address}\n"
    env = {"IGGY_URL": None}
    used = cli("--context", "prod", "status", "--field", "credential.source", env=env)
    assert used.stdout == f"token of Iggy's context 'prod' in {contexts}\n"
    assert cli("--context", "prod", "pat", "list", env=env).code == 0
    mint_token_deleted = cli(
        "-u", "iggy", "pat", "delete", "--yes", "first", env={"IGGY_PASSWORD": "iggy"}
    )
    assert mint_token_deleted.code == 0
    assert cli("--context", "prod", "pat", "list", env=env).code == 4
    contexts.write_text(contexts.read_text().replace(first, second))  # changed with Iggy's CLI
    assert cli("--context", "prod", "pat", "list", env=env).code == 0
    contexts.write_text("[other]\n")
    gone = cli("--context", "prod", "pat", "list", env=env)
    assert (gone.code, gone.stderr.splitlines()[0]) == (
        2,
        f"error: Iggy's contexts file {contexts} no longer has 'prod'",
    )


def test_copy_secrets_copies_and_never_overwrites(cli: Cli, sandbox: SandboxServer) -> None:
    token = mint_token(sandbox.url, "ci-job")
    contexts = write_iggy_contexts(
        cli,
        f'[a]\ntransport = "http"\nhttp_api_url = "{sandbox.url}"\nusername = "iggy"\n'
        f'password = "iggy"\ntoken_name = "ci-job"\ntoken = "{token}"\n\n'
        f'[b]\nhttp_api_url = "{sandbox.url}"\ntoken_name = "ci-job"\ntoken = "{token}"\n',
    )
    before = contexts.read_bytes()
    store_as_rust_cli(cli, "iggy:127.0.0.1:8090", "ci-job", "another-secret")
    copied = cli("context", "import", "--copy-secrets")
    assert copied.code == 0, copied.stderr
    address = sandbox.url.removeprefix("http://")
    lines = copied.stderr.splitlines()
    assert lines[0].endswith(
        f"Copied its token to iggy:{address} / ci-job. "
        f"Copied its password to iggy-cli-password:{address} / iggy."
    )
    assert lines[1].endswith(
        "Did not copy its token: iggy:127.0.0.1:8090 / ci-job already holds another secret "
        "(not overwritten)."
    )
    assert cli.keyring() == {
        f"iggy:{address}": {"ci-job": token},
        f"iggy-cli-password:{address}": {"iggy": "iggy"},
        "iggy:127.0.0.1:8090": {"ci-job": "another-secret"},
    }
    again = cli("context", "import", "--copy-secrets")
    assert f"Its token is already in iggy:{address} / ci-job." in again.stderr
    assert contexts.read_bytes() == before


@pytest.mark.parametrize(
    ("table", "address"),
    [
        ({}, "127.0.0.1:8090"),
        ({"tcp_server_address": "10.0.0.5:9090"}, "10.0.0.5:9090"),
        ({"transport": "http"}, "localhost:3000"),
        ({"transport": "http", "http_api_url": "http://Iggy.example:3000/"}, "Iggy.example:3000/"),
        ({"transport": "http", "http_api_url": "https://iggy.example"}, "https://iggy.example"),
        ({"transport": "quic"}, "127.0.0.1:8080"),
        ({"transport": "websocket", "websocket_server_address": "h:1"}, "h:1"),
        ({"transport": "ws"}, None),
    ],
    ids=["tcp-default", "tcp", "http-default", "http-raw", "https", "quic", "websocket", "ws"],
)
def test_the_keyring_address_is_computed_as_iggys_cli_does(
    table: dict[str, str], address: str | None
) -> None:
    """Args::get_server_address() in core/common/src/types/args/mod.rs (server-0.8.0)."""
    from iggy_cli.state.rust_cli_contexts import server_address

    assert server_address(table) == address


def test_tab_completes_context_names(cli: Cli) -> None:
    cli("context", "create", "prod", "--url", "http://a:1")
    cli("context", "create", "staging", "--url", "http://b:1")
    env = {**cli.env, "_IGGY_COMPLETE": "bash_complete"}
    for line, cword, expected in (
        ("iggy --context ", "2", "plain,prod\nplain,staging\n"),
        ("iggy context use s", "3", "plain,staging\n"),
    ):
        import subprocess

        from helpers.cli import BIN

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

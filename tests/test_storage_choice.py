"""Where tokens live: the keyring, a private file (--store file), or nowhere (--store none)."""

from __future__ import annotations

import stat
import tomllib

from helpers.cli import Cli
from helpers.servers import server_tokens

from iggy_cli.sandbox.http_server import SandboxServer


def mode(path: object) -> int:
    from pathlib import Path

    return stat.S_IMODE(Path(str(path)).stat().st_mode)


def test_store_file_keeps_tokens_private_and_is_remembered_when_asked(
    cli: Cli, sandbox: SandboxServer
) -> None:
    address = sandbox.url.removeprefix("http://")
    token_file = cli.home / "data" / "iggy-cli" / "tokens.json"
    warning = f"warning: tokens are kept unencrypted in {token_file} (--store file)\n"

    created = cli("--store", "file", "pat", "create", "deploy", env=cli.as_admin())
    assert created.code == 0, created.stderr
    assert created.stderr.startswith(warning)
    assert created.stderr.count("warning:") == 1
    assert mode(token_file) == 0o600 and mode(token_file.parent) == 0o700
    assert cli.keyring() == {}
    config_toml = cli.home / "config" / "iggy-cli" / "config.toml"
    assert not config_toml.exists()  # a flag is for this run only: nothing remembered

    remembered = cli("config", "set", "store", "file")
    assert remembered.code == 0, remembered.stderr
    assert tomllib.loads(config_toml.read_text()) == {"servers": {address: {"store": "file"}}}

    listed = cli("-n", "deploy", "pat", "list", "-o", "json")  # no flag: remembered
    assert listed.code == 0, listed.stderr
    assert listed.stderr == warning
    assert listed.json == [  # type: ignore[comparison-overlap]
        {**listed.json[0], "name": "deploy", "stored": True}  # type: ignore[index]
    ]

    back = cli("--store", "keyring", "pat", "list", "-o", "json", env=cli.as_admin())
    assert (back.code, back.stderr) == (0, "")
    assert back.json[0]["stored"] is False  # type: ignore[index]
    assert tomllib.loads(config_toml.read_text()) == {"servers": {address: {"store": "file"}}}

    assert cli("config", "unset", "store").code == 0
    assert tomllib.loads(config_toml.read_text()) == {}


def test_store_none_prints_new_tokens_and_keeps_nothing(cli: Cli, sandbox: SandboxServer) -> None:
    env = {**cli.as_admin(), "IGGY_STORE": "none"}
    created = cli("pat", "create", "ci-job", "-q", env=env, shows_token=True)
    assert created.code == 0, created.stderr
    assert len(created.stdout.strip()) == 68
    assert cli.keyring() == {} and not (cli.home / "data" / "iggy-cli" / "tokens.json").exists()
    assert list(server_tokens(sandbox.url)) == ["ci-job"]

    login = cli("--store", "none", "login", env=cli.as_admin())
    assert login.code == 7
    assert login.stderr.startswith("error: nothing can be kept with --store none\n")
    assert list(server_tokens(sandbox.url)) == ["ci-job"]


def test_a_bad_store_variable_is_a_usage_error(cli: Cli) -> None:
    result = cli("pat", "create", "deploy", env={**cli.as_admin(), "IGGY_STORE": "cloud"})
    assert result.code == 2
    assert result.stderr == "error: IGGY_STORE must be one of keyring, file, none, not 'cloud'\n"


def test_no_keyring_names_the_ways_out(cli: Cli) -> None:
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = cli("pat", "create", "deploy", env=env)
    assert result.code == 7
    error, hint = result.stderr.splitlines()
    assert error == "error: no OS keyring is available on this machine"
    assert all(way in hint for way in ("Secret Service", "--store file", "--no-store"))

"""The tool's own files (and Iggy's contexts.toml) are data, never a crash: each is damaged
from outside by the test (nested 100,000 levels deep, holding text that is not Unicode), and
every run ends with one line and a documented exit code, nothing minted that is not kept. The
data folder is where the XDG spec says, and one that cannot be written stops a run before
anything is minted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.servers import server_tokens, token_works

from iggy_cli.sandbox.http_server import SandboxServer

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
DEEP_TOML = b"a = " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
DATA = "data/iggy-cli"
# file -> exit code of `pat create` and `pat rotate` with it damaged: an index is learned
# again (read as empty), a settings file is the user's to mend (2), the token file is refused
# before anything is minted (7)
FILES = {
    "config/iggy-cli/config.toml": 2,
    f"{DATA}/names.json": 0,
    f"{DATA}/servers.json": 0,
    f"{DATA}/rotations.json": 0,
    f"{DATA}/sessions.json": 0,
    f"{DATA}/tokens.json": 7,
}


def service(sandbox: SandboxServer) -> str:
    return "iggy:" + sandbox.url.removeprefix("http://")


def no_bug(stderr: str) -> None:
    assert "Traceback" not in stderr and "this is a bug" not in stderr, stderr


@pytest.mark.parametrize("command", ["create", "rotate"])
@pytest.mark.parametrize("file", FILES)
def test_a_deeply_nested_file_is_damaged_not_a_crash(
    cli: Cli, sandbox: SandboxServer, file: str, command: str
) -> None:
    store = ("--store", "file") if file.endswith("tokens.json") else ()
    if command == "rotate":
        assert cli(*store, "pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    path = cli.home / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(DEEP_TOML if file.endswith(".toml") else DEEP_JSON)
    args = (
        ("pat", "create", "deploy", "30d") if command == "create" else ("pat", "rotate", "deploy")
    )
    result = cli(*store, *args, env=cli.as_admin())
    no_bug(result.stderr)
    code = FILES[file]
    assert result.code == code, result.stderr
    if code == 2:
        assert result.stderr.splitlines()[0] == (
            f"error: cannot read {path}: it is nested more than 64 levels deep"
        )
    if code == 7:
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert errors == [
            f"error: token file open failed ({path}): StateFileError: {path} is damaged: it is "
            "nested more than 64 levels deep"
        ]
    if command == "create" and code != 0:
        assert server_tokens(sandbox.url) == {}  # refused before anything was minted


def test_a_deeply_nested_contexts_file_is_refused(cli: Cli, tmp_path: Path) -> None:
    contexts = tmp_path / "iggy" / "contexts.toml"
    contexts.parent.mkdir()
    contexts.write_bytes(DEEP_TOML)
    result = cli("context", "import", "--file", str(contexts))
    no_bug(result.stderr)
    assert result.code == 2, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"error: cannot read {contexts}: it is nested more than 64 levels deep"
    )


def test_a_journal_holding_no_unicode_is_damaged_not_a_crash(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    old = cli.keyring()[service(sandbox)]["deploy"]
    journal = cli.home / DATA / "rotations.json"
    address = sandbox.url.removeprefix("http://")
    # a lone surrogate: JSON can carry one, UTF-8 cannot
    journal.write_text(json.dumps({address: {"x\udc80": {"stand_in": "y\udc80"}}}))
    result = cli("pat", "rotate", "deploy", env=cli.as_admin())
    no_bug(result.stderr)
    assert result.code == 0, result.stderr
    new = cli.keyring()[service(sandbox)]["deploy"]
    assert new != old and token_works(sandbox.url, new)
    assert json.loads(journal.read_text()) == {}


def test_a_relative_xdg_data_home_is_ignored(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    env = {**cli.as_admin(), "XDG_DATA_HOME": "relative/data"}
    result = cli("--store", "file", "pat", "create", "deploy", "30d", env=env)
    assert result.code == 0, result.stderr
    assert list(here.iterdir()) == []  # nothing unencrypted under the current folder
    kept = cli.home / ".local" / "share" / "iggy-cli" / "tokens.json"
    assert str(kept) in result.stderr
    assert token_works(sandbox.url, json.loads(kept.read_text())[service(sandbox)]["deploy"])


def test_a_data_folder_that_cannot_be_written_stops_before_minting(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    env = {**cli.as_admin(), "XDG_DATA_HOME": str(blocker)}
    result = cli("pat", "create", "deploy", "30d", env=env)
    no_bug(result.stderr)
    assert result.code == 7, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"error: cannot keep the tool's files in {blocker}/iggy-cli: {blocker} is in the way: "
        "it is not a folder"
    )
    assert server_tokens(sandbox.url) == {}
    assert cli.keyring() == {}

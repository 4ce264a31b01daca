"""The files the tool keeps (local_state.py): parallel runs lose nothing, a planted symlink
redirects nothing, modes hold under any umask, and a token file others can read is fixed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from helpers.cli import BIN, Cli, Result

from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.state import local_state

PARALLEL = 20


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def run_many(cli: Cli, argvs: list[list[str]], env: dict[str, str]) -> list[Result]:
    """Start every run at once, each in a thread of its own, then collect them. The files are
    shared through the same OS locks (flock, on a descriptor each run opens) that separate
    processes meet, and each run opens them itself."""
    results: list[Result | None] = [None] * len(argvs)
    start = threading.Barrier(len(argvs))

    def one(index: int, argv: list[str]) -> None:
        start.wait()
        results[index] = cli(*argv, env=dict(env))

    threads = [
        threading.Thread(target=one, args=(index, argv), daemon=True)
        for index, argv in enumerate(argvs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result is not None for result in results), "a run did not finish"
    return [result for result in results if result is not None]


def test_parallel_creates_keep_every_token_and_name(cli: Cli, sandbox: SandboxServer) -> None:
    names = [f"parallel-{index:02}" for index in range(PARALLEL)]
    results = run_many(cli, [["pat", "create", name] for name in names], cli.as_admin())
    assert [result.code for result in results] == [0] * PARALLEL, [r.stderr for r in results]
    address = sandbox.url.removeprefix("http://")
    assert sorted(cli.keyring()[f"iggy:{address}"]) == names
    index = json.loads((cli.home / "data" / "iggy-cli" / "names.json").read_text())
    assert sorted(index[address]["keyring"]) == names


def test_parallel_context_creates_keep_every_context(cli: Cli, sandbox: SandboxServer) -> None:
    names = [f"ctx-{index:02}" for index in range(PARALLEL)]
    argvs = [["context", "create", name, "--url", sandbox.url] for name in names]
    results = run_many(cli, argvs, {})
    assert [result.code for result in results] == [0] * PARALLEL, [r.stderr for r in results]
    listed = cli("context", "list", "-o", "plain")
    assert listed.stdout.split() == names


@pytest.mark.parametrize(
    "planted", ["config/iggy-cli/.config.toml.tmp", "data/iggy-cli/.tokens.json.tmp"]
)
def test_a_planted_symlink_redirects_no_write(
    cli: Cli, sandbox: SandboxServer, planted: str
) -> None:
    victim = cli.home / "victim.txt"
    victim.write_text("do not touch\n")
    victim.chmod(0o600)
    link = cli.home / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)

    assert cli("context", "create", "x", "--url", sandbox.url).code == 0
    created = cli("--store", "file", "pat", "create", "deploy", env=cli.as_admin())
    assert created.code == 0, created.stderr
    assert victim.read_text() == "do not touch\n" and mode(victim) == 0o600
    assert link.is_symlink()  # left alone: the writes went through names of their own


def test_modes_hold_under_umask_000(cli: Cli, sandbox: SandboxServer) -> None:
    script = f'umask 000; exec "{BIN / "iggy"}" "$@"'
    env = {**cli.env, **cli.as_admin()}
    for argv in (
        ["context", "create", "x", "--url", sandbox.url],
        ["--store", "file", "pat", "create", "deploy"],
    ):
        done = subprocess.run(
            ["sh", "-c", script, "iggy", *argv], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    config = cli.home / "config" / "iggy-cli"
    data = cli.home / "data" / "iggy-cli"
    assert mode(config) == 0o700 and mode(config / "config.toml") == 0o600
    assert mode(data) == 0o700
    for name in ("tokens.json", "names.json"):
        assert mode(data / name) == 0o600
    assert not [path for path in data.iterdir() if path.name.endswith(".tmp")]


def test_a_token_file_others_can_read_is_made_private_with_a_warning(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("--store", "file", "pat", "create", "deploy", env=cli.as_admin()).code == 0
    tokens = cli.home / "data" / "iggy-cli" / "tokens.json"
    tokens.chmod(0o644)
    result = cli("--store", "file", "pat", "token", "deploy", shows_token=True)
    assert result.code == 0 and len(result.stdout.strip()) == 68
    assert f"warning: {tokens} was readable by others (mode 0644)" in result.stderr
    assert mode(tokens) == 0o600


def test_the_plaintext_test_keyring_never_chmods_a_folder_it_did_not_make(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    env = {**cli.as_admin(), "IGGY_PLAINTEXT_KEYRING_FILE": str(shared / "keyring.json")}
    assert cli("pat", "create", "deploy", env=env).code == 0
    assert mode(shared) == 0o755
    assert mode(shared / "keyring.json") == 0o600


def test_folders_it_creates_are_0700_and_existing_ones_keep_their_mode(tmp_path: Path) -> None:
    existing = tmp_path / "existing"
    existing.mkdir()
    existing.chmod(0o751)
    previous = os.umask(0)
    try:
        local_state.ensure_folder(str(existing / "a" / "b"))
    finally:
        os.umask(previous)
    assert mode(existing) == 0o751
    assert mode(existing / "a") == 0o700 and mode(existing / "a" / "b") == 0o700


def test_a_leftover_temporary_file_does_not_block_a_write(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    (tmp_path / ".state.json.tmp").write_text("junk")
    local_state.JsonState(str(target)).update(lambda doc: doc.update(a=1))
    assert json.loads(target.read_text()) == {"a": 1}


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    state = local_state.JsonState(str(target))
    state.update(lambda doc: doc.update(a=1))

    def explode(document: dict[str, object]) -> None:
        document["b"] = 2
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        state.update(explode)
    assert state.load() == {"a": 1}
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


def test_a_damaged_secret_file_is_refused_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "tokens.json"
    target.write_text("not json")
    with pytest.raises(local_state.StateFileError):
        local_state.JsonState(str(target), strict=True).update(lambda doc: doc.update(a=1))
    assert target.read_text() == "not json"


def test_a_companion_is_kept_only_for_the_file_as_it_was_read(tmp_path: Path) -> None:
    path = str(tmp_path / "config.toml")
    local_state.replace(path, b"a = 1\n")
    read_at = local_state.stamp(path)
    local_state.replace(path, b"a = 22\n")  # another run's write lands after our read
    with local_state.locked(path):
        local_state.save_companion(path, {"a": 1}, read_at)
    assert local_state.load_companion(path) is None  # never the old value under the new stamp
    with local_state.locked(path):
        local_state.save_companion(path, {"a": 22}, local_state.stamp(path))
    assert local_state.load_companion(path) == {"a": 22}
    # one lock file, the data file's own: its lock also keeps writers of the companion apart
    assert sorted(os.listdir(tmp_path)) == [
        ".config.toml.cache",
        ".config.toml.lock",
        "config.toml",
    ]


def test_reading_the_settings_keeps_a_companion_that_matches(tmp_path: Path) -> None:
    from iggy_cli.state.config_file import read_config

    path = tmp_path / "config.toml"
    path.write_text('current_context = "here"\n')
    assert read_config(str(path)) == {"current_context": "here"}
    assert local_state.load_companion(str(path)) == {"current_context": "here"}

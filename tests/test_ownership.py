"""Several users on one server: token names are unique per user, stored copies are kept per
server and name, so each copy records whose it is and no user's cleanup touches another's.
The console script against a sandbox with two users besides root."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.servers import new_sandbox

from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.server.client import IggyClient
from iggy_cli.state.indexes import NameIndex

ALICE = {"IGGY_USERNAME": "alice", "IGGY_PASSWORD": "wonder"}
BOB = {"IGGY_USERNAME": "bob", "IGGY_PASSWORD": "builder"}
ALICE_ID, BOB_ID = 1, 2  # the sandbox numbers users in order after root (0)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with new_sandbox(users=[("alice", "wonder"), ("bob", "builder")]) as sandbox:
        yield sandbox


@pytest.fixture
def two(tmp_path: Path, server: SandboxServer) -> Cli:
    """One machine account, one keyring, used by two server users in turn."""
    return Cli(tmp_path, server.url)


def names_file(cli: Cli) -> Path:
    return cli.home / "data" / "iggy-cli" / "names.json"


def address(server: SandboxServer) -> str:
    return server.url.removeprefix("http://")


def digest(secret: str) -> str:
    """What the names index keeps of a copy the tool stored: its SHA-256, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(server: SandboxServer, username: str, password: str) -> list[str]:
    with IggyClient(server.url, timeout=5) as client:
        client.login_with_password(username, password)
        try:
            return [token.name for token in client.list_tokens()]
        finally:
            client.logout()


def works(cli: Cli, name: str) -> bool:
    """The stored copy signs in (as whoever it belongs to) and lists that user's tokens."""
    result = cli("-n", name, "pat", "list", "-o", "plain")
    return result.code == 0 and name in result.stdout.split()


def test_one_users_cleanup_leaves_another_users_copy_alone(two: Cli, server: SandboxServer) -> None:
    assert two("pat", "create", "deploy", env=ALICE).code == 0
    record = json.loads(names_file(two).read_text())[address(server)]
    stored = two.keyring()["iggy:" + address(server)]["deploy"]
    assert record["keyring"] == {"deploy": {"user_id": ALICE_ID, "sha256": digest(stored)}}

    pruned = two("pat", "prune", "--yes", "--orphans", "-o", "json", env=BOB)
    assert (pruned.code, pruned.json) == (
        0,
        {"expired": [], "orphans": [], "stand_ins": [], "retired": [], "dry_run": False},
    )
    deleted = two("pat", "delete", "deploy", "--yes", env=BOB)
    assert deleted.code == 5  # bob has no `deploy`
    assert "Kept the stored copy of 'deploy': it belongs to user 1." in deleted.stderr

    assert works(two, "deploy")
    assert tokens_of(server, "alice", "wonder") == ["deploy"]
    assert list(two.keyring()[f"iggy:{address(server)}"]) == ["deploy"]


def test_a_users_own_cleanup_still_works(two: Cli, server: SandboxServer) -> None:
    assert two("pat", "create", "deploy", env=ALICE).code == 0
    assert two("pat", "create", "old-ci", env=ALICE).code == 0
    with IggyClient(server.url, timeout=5) as client:  # deleted behind the tool's back
        client.login_with_password("alice", "wonder")
        client.delete_token("old-ci")
    pruned = two("pat", "prune", "--yes", "--orphans", "-o", "json", env=ALICE)
    assert pruned.json == {
        "expired": [],
        "orphans": ["old-ci"],
        "stand_ins": [],
        "retired": [],
        "dry_run": False,
    }
    deleted = two("pat", "delete", "deploy", "--yes", "-o", "json", env=ALICE)
    assert deleted.json == [{"name": "deploy", "deleted": True, "removed_local_copy": True}]
    assert two.keyring() == {}


def test_another_users_copy_is_never_replaced(two: Cli, server: SandboxServer) -> None:
    assert two("pat", "create", "deploy", env=ALICE).code == 0
    created = two("pat", "create", "deploy", env=BOB)
    assert created.code == 7
    assert "it belongs to user 1" in created.stderr
    assert tokens_of(server, "bob", "builder") == []  # refused before anything was minted
    printed = two("pat", "create", "deploy", "--no-store", "-q", env=BOB, shows_token=True)
    assert printed.code == 0 and printed.stdout.strip()
    rotated = two("pat", "rotate", "deploy", env=BOB)
    assert rotated.code == 7 and "it belongs to user 1" in rotated.stderr
    assert works(two, "deploy")
    listed = two("pat", "list", "-o", "json", env=BOB).json
    assert listed[0]["stored"] is False  # type: ignore[index]  # alice's copy is not bob's


def test_copies_of_unknown_owner_are_kept_by_orphans_and_asked_about_by_delete(
    two: Cli, server: SandboxServer
) -> None:
    assert two("pat", "create", "deploy", env=ALICE).code == 0
    # The index as an older iggy-cli wrote it: names only, no owners.
    names_file(two).write_text(json.dumps({address(server): {"keyring": ["deploy"], "seen": []}}))

    pruned = two("pat", "prune", "--yes", "--orphans", env=BOB)
    assert pruned.code == 0
    assert "Kept the stored copy of 'deploy': its owner is unknown." in pruned.stderr
    assert works(two, "deploy")  # signing in with it records whose it is...
    record = json.loads(names_file(two).read_text())[address(server)]
    assert record["keyring"] == {"deploy": {"user_id": ALICE_ID}}

    names_file(two).write_text(json.dumps({address(server): {"keyring": ["deploy"]}}))
    deleted = two("pat", "delete", "deploy", "--yes", env=BOB)  # ...and so does asking
    assert deleted.code == 5 and "it belongs to user 1" in deleted.stderr
    assert works(two, "deploy")
    assert json.loads(names_file(two).read_text())[address(server)]["keyring"] == {
        "deploy": {"user_id": ALICE_ID}
    }


def test_a_dead_copy_of_unknown_owner_is_removed(two: Cli, server: SandboxServer) -> None:
    assert two("pat", "create", "ghost", env=ALICE).code == 0
    with IggyClient(server.url, timeout=5) as client:
        client.login_with_password("alice", "wonder")
        client.delete_token("ghost")
    names_file(two).write_text(json.dumps({address(server): {"keyring": ["ghost"]}}))
    deleted = two("pat", "delete", "ghost", "--yes", env=BOB)
    assert deleted.code == 5
    assert (
        "Removed the stale copy of 'ghost' from the keyring: the server has no such token."
        in deleted.stderr
    )
    assert two.keyring() == {}


def test_the_old_index_is_migrated_on_the_next_change(two: Cli, server: SandboxServer) -> None:
    old = {address(server): {"keyring": ["legacy", "deploy"], "file": [], "seen": ["legacy"]}}
    names_file(two).parent.mkdir(parents=True)
    names_file(two).write_text(json.dumps(old))
    assert two("pat", "create", "fresh", env=ALICE).code == 0
    fresh = two.keyring()["iggy:" + address(server)]["fresh"]
    assert json.loads(names_file(two).read_text()) == {
        address(server): {
            "seen": ["legacy"],
            "keyring": {
                "deploy": {"user_id": None},
                "fresh": {"user_id": ALICE_ID, "sha256": digest(fresh)},
                "legacy": {"user_id": None},
            },
            "file": {},
        }
    }
    # TAB completion reads either shape
    index = NameIndex(str(names_file(two)))
    assert index.known(address(server)) == {"deploy", "fresh", "legacy"}
    assert NameIndex(str(two.home / "old.json")).known("x") == set()


def test_the_index_reads_the_old_shape_and_junk(tmp_path: Path) -> None:
    path = tmp_path / "names.json"
    path.write_text(
        json.dumps(
            {
                "old": {"keyring": ["a", 5], "file": ["b"], "seen": ["c"]},
                "new": {"keyring": {"a": {"user_id": 3}, "b": {"user_id": True}, "c": 7}},
                "junk": ["x"],
            }
        )
    )
    index = NameIndex(str(path))
    assert index.owners("old", "keyring") == {"a": None}
    assert index.owners("old", "file") == {"b": None}
    assert index.known("old") == {"a", "b", "c"}
    assert index.owners("new", "keyring") == {"a": 3, "b": None, "c": None}
    assert index.owners("junk", "keyring") == {}
    index.add_stored("new", "keyring", "c")  # no owner given: the recorded one stays
    index.add_stored("new", "keyring", "a")
    assert index.owners("new", "keyring") == {"a": 3, "b": None, "c": None}
    index.add_stored("new", "keyring", "b", 9)
    index.forget("new", "a")
    assert index.owners("new", "keyring") == {"b": 9, "c": None}
    assert json.loads(path.read_text())["old"] == {
        "keyring": ["a", 5],
        "file": ["b"],
        "seen": ["c"],
    }

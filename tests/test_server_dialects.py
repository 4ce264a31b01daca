"""Every server generation through the console script against the sandbox playing it: the
same flow on each, the request bodies the server received (seconds up to 0.2.24, microseconds
after), renamed names, what legacy cannot express, a busy edge server, and what is learned
and remembered (servers.json) or named (--server-dialect).

Wire facts: iggy_cli/sandbox/generations.py, citing the Iggy tags (IdentityInfo at 0.0.40, 0.0.44,
0.0.51 and server-0.3.0; POST /users/logout up to 0.2.16 in server/src/http/users.rs; names in
server/src/streaming/systems/personal_access_tokens.rs at server-0.4.140; edge's 503s in
core/server/src/http/error.rs at server-0.9.0-edge.5).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Cli
from helpers.servers import mint_token, new_sandbox, server_tokens

from iggy_cli.cli.tab import candidates
from iggy_cli.sandbox.http_server import SandboxServer

SECOND = 1_000_000
NEVER = 2**64 - 1
FLOW = [
    ("first", "0.0.40"),  # /pat routes, a bare JWT at sign-in, POST logout
    ("legacy", "0.2.16"),  # seconds, `expiry` in the list, POST logout with {}
    ("renaming", "0.4.140"),
    ("stable", "0.8.0"),
    ("edge", "0.9.0-edge.5"),
]


def creates(server: SandboxServer, prefix: str = "/personal-access-tokens") -> list[Any]:
    """The bodies of the token creates the server received, in order."""
    return [r.json for r in server.requests if r.method == "POST" and r.path == prefix]


def remembered(cli: Cli, server: SandboxServer) -> dict[str, Any]:
    path = cli.home / "data" / "iggy-cli" / "servers.json"
    record: dict[str, Any] = json.loads(path.read_text())[server.url.removeprefix("http://")]
    return record


def admin_env(cli: Cli) -> dict[str, str | None]:
    return cli.as_admin()


@pytest.mark.parametrize(("generation", "release"), FLOW, ids=[g for g, _ in FLOW])
def test_the_same_flow_on_every_generation(tmp_path: Path, generation: str, release: str) -> None:
    log: list[str] = []
    with new_sandbox(dialect=generation, server_version=release, access_log=log.append) as server:
        cli = Cli(tmp_path, server.url)
        seconds = generation in ("first", "legacy")
        unit = 1 if seconds else SECOND
        prefix = "/pat" if release == "0.0.40" else "/personal-access-tokens"
        root = server.dialect.root_user_id

        login = cli("login", env=cli.as_admin())
        assert login.code == 0, login.stderr
        assert f"(user {root});" in login.stderr
        assert cli("pat", "create", "deploy", "3h").code == 0
        assert cli("pat", "create", "forever").code == 0

        listed = cli("pat", "list", "-o", "json")
        assert listed.code == 0, listed.stderr
        rows = {row["name"]: row for row in listed.json}  # type: ignore[attr-defined]
        ends = datetime.fromisoformat(rows["deploy"]["expiry_at"])
        assert abs(ends - (datetime.now(UTC) + timedelta(hours=3))) < timedelta(minutes=1)
        assert rows["forever"]["expiry_at"] is None
        assert rows["deploy"]["stored"] and rows["forever"]["stored"]
        table = cli("pat", "list").stdout
        assert re.search(r"^deploy +\S+ \S+ UTC +in 3h +yes$", table, re.M), table
        assert re.search(r"^forever +never +never +yes$", table, re.M), table

        pat_login = cli("pat", "login", "deploy")
        assert pat_login.code == 0, pat_login.stderr
        assert f"as user {root} with 'deploy'" in pat_login.stderr
        before = cli.keyring()[f"iggy:{server.url.removeprefix('http://')}"]["deploy"]
        rotated = cli("pat", "rotate", "deploy")
        assert rotated.code == 0, rotated.stderr
        after = cli.keyring()[f"iggy:{server.url.removeprefix('http://')}"]["deploy"]
        assert after != before
        assert cli("pat", "delete", "forever", "--yes").code == 0
        assert set(server_tokens(server.url)) == {"deploy"}

        status = cli("status", "-o", "json")
        assert status.code == 0, status.stderr
        dialect = status.json["dialect"]  # type: ignore[index]
        assert (dialect["name"], dialect["chosen_by"]) == (generation, "detected")
        assert remembered(cli, server)["dialect"] == generation

        logout = cli("logout")
        assert logout.code == 0, logout.stderr
        assert (
            "Session in the keyring: forgot the adopted token; 'deploy' stays stored."
            in logout.stderr
        )

    bodies = {body["name"]: body["expiry"] for body in creates(server, prefix)}
    assert bodies["iggy-cli-session"] == 15 * 60 * unit
    assert bodies["forever"] == (None if seconds else NEVER)
    assert len(creates(server, prefix)) == 5  # session, deploy, forever, stand-in, deploy
    first_deploy, *_ = [b["expiry"] for b in creates(server, prefix) if b["name"] == "deploy"]
    assert first_deploy == 3 * 3_600 * unit
    # Rotated without an EXPIRY: the new token ends when the old one would have.
    stand_in = next(
        b["expiry"] for b in creates(server, prefix) if b["name"].startswith("iggy-cli-standin-")
    )
    assert stand_in == 10 * 60 * unit  # a stand-in lives minutes, whatever the token's lifetime
    _, second_deploy = [b["expiry"] for b in creates(server, prefix) if b["name"] == "deploy"]
    assert 3 * 3_600 * unit - 120 * unit < second_deploy <= 3 * 3_600 * unit
    post_logout = server.dialect.version <= (0, 2, 16)
    revoked = {line.split()[0] for line in log if line.endswith("/users/logout 204")}
    assert revoked == {"POST" if post_logout else "DELETE"}
    posted = [r.json for r in server.requests if (r.method, r.path) == ("POST", "/users/logout")]
    assert all(body == {} for body in posted) and bool(posted) is post_logout
    # Learned once, remembered after: only the CLI's first run (and server_tokens' client,
    # which remembers nothing) tried a route that is not there.
    assert len([line for line in log if line.endswith((" 404", " 405"))]) <= 2


# --- renaming servers ---------------------------------------------------------------------------


@pytest.fixture
def renaming(tmp_path: Path) -> tuple[SandboxServer, Cli]:
    server = new_sandbox(dialect="renaming")
    return server, Cli(tmp_path, server.url)


def test_a_renamed_token_is_stored_under_the_servers_name(
    renaming: tuple[SandboxServer, Cli],
) -> None:
    server, cli = renaming
    with server:
        service = f"iggy:{server.url.removeprefix('http://')}"
        created = cli("pat", "create", "Deploy Key", "1h", env=cli.as_admin())
        assert created.code == 0, created.stderr
        assert "The server renamed 'Deploy Key' to 'deploy.key'" in created.stderr
        assert "Created token 'deploy.key'" in created.stderr
        assert set(cli.keyring()[service]) == {"deploy.key"}
        assert set(server_tokens(server.url)) == {"deploy.key"}

        listed = cli("pat", "list", "-o", "json", env=cli.as_admin())
        assert [(r["name"], r["stored"]) for r in listed.json] == [("deploy.key", True)]  # type: ignore[attr-defined]
        pruned = cli("pat", "prune", "--yes", "--orphans", "-o", "json", env=cli.as_admin())
        assert pruned.json == {
            "expired": [],
            "orphans": [],
            "stand_ins": [],
            "retired": [],
            "dry_run": False,
        }
        assert set(cli.keyring()[service]) == {"deploy.key"}

        secret = cli.keyring()[service]["deploy.key"]
        for spelling in ("Deploy Key", "deploy.key"):
            shown = cli("pat", "token", spelling, shows_token=True)
            assert (shown.code, shown.stdout) == (0, secret + "\n")

        rotated = cli("pat", "rotate", "Deploy Key", env=cli.as_admin())
        assert rotated.code == 0, rotated.stderr
        assert cli.keyring()[service]["deploy.key"] != secret
        assert set(server_tokens(server.url)) == {"deploy.key"}

        deleted = cli("pat", "delete", "Deploy Key", "--yes", env=cli.as_admin())
        assert deleted.code == 0, deleted.stderr
        assert server_tokens(server.url) == {} and service not in cli.keyring()


def test_a_name_a_renaming_server_refuses_is_refused_before_anything_is_sent(
    renaming: tuple[SandboxServer, Cli],
) -> None:
    server, cli = renaming
    with server:
        assert cli("pat", "create", "Deploy Key", "1h", env=cli.as_admin()).code == 0
        server.clear_requests()
        refused = cli("pat", "create", "deploy/key", "1h", env=cli.as_admin())
        assert refused.code == 2
        assert refused.stderr.startswith(
            "error: this server (Iggy up to 0.4.140) refuses token name 'deploy/key'"
        )
        assert server.requests == []


def test_prune_keeps_a_copy_stored_under_the_name_as_asked(
    renaming: tuple[SandboxServer, Cli],
) -> None:
    """The copy an earlier iggy kept as `Deploy Key` is the only copy of `deploy.key`."""
    server, cli = renaming
    with server:
        address = server.url.removeprefix("http://")
        secret = mint_token(server.url, "Deploy Key", 3_600 * SECOND)
        cli.keyring_file.write_text(json.dumps({f"iggy:{address}": {"Deploy Key": secret}}))
        names = cli.home / "data" / "iggy-cli" / "names.json"
        names.parent.mkdir(parents=True)
        names.write_text(json.dumps({address: {"keyring": ["Deploy Key"]}}))
        pruned = cli("pat", "prune", "--yes", "--orphans", "-o", "json", env=cli.as_admin())
        assert pruned.json == {
            "expired": [],
            "orphans": [],
            "stand_ins": [],
            "retired": [],
            "dry_run": False,
        }
        assert cli.keyring() == {f"iggy:{address}": {"Deploy Key": secret}}


def test_tab_offers_the_servers_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    (data / "iggy-cli").mkdir(parents=True)
    names = {"keyring": ["deploy.key", "other"], "seen": []}
    (data / "iggy-cli" / "names.json").write_text(json.dumps({"127.0.0.1:9": names}))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    env = {"IGGY_URL": "http://127.0.0.1:9", "XDG_DATA_HOME": str(data)}
    for typed in ("Deploy K", "Deploy ", "dep"):
        found = [value for _, value, _ in candidates(["pat", "token"], typed, env)]
        assert found == ["deploy.key"], typed


# --- what legacy cannot express ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "message"),
    [
        ("server_default", "error: this server (Iggy up to 0.2.24) has no default token lifetime"),
        ("200y", "error: this server (Iggy up to 0.2.24) takes lifetimes up to 4294967295 seconds"),
    ],
)
def test_legacy_refuses_what_it_cannot_express_before_anything_is_sent(
    tmp_path: Path, expiry: str, message: str
) -> None:
    with new_sandbox(dialect="legacy") as server:
        cli = Cli(tmp_path, server.url)
        assert cli("login", env=cli.as_admin()).code == 0  # learns the generation
        server.clear_requests()
        refused = cli("pat", "create", "deploy", expiry)
        assert refused.code == 2
        assert refused.stderr.startswith(message)
        assert len(refused.stderr.splitlines()) == 2 and "hint: " in refused.stderr
        assert server.requests == []
        # On a server met for the first time, the sign-in tells, and nothing is created.
        fresh = Cli(tmp_path / "fresh", server.url)
        assert fresh("pat", "create", "deploy", expiry, env=fresh.as_admin()).code == 2
        assert creates(server) == []


def test_legacy_lifetimes_are_whole_seconds_rounded_up(tmp_path: Path) -> None:
    with new_sandbox(dialect="legacy") as server:
        cli = Cli(tmp_path, server.url)
        assert cli("pat", "create", "short", "1500ms", env=cli.as_admin()).code == 0
        assert cli("pat", "create", "tiny", "1us", env=cli.as_admin()).code == 0
        assert [(b["name"], b["expiry"]) for b in creates(server)] == [("short", 2), ("tiny", 1)]


# --- learned, remembered, named -----------------------------------------------------------------


def test_an_upgraded_server_is_learned_again_before_anything_is_minted(tmp_path: Path) -> None:
    with new_sandbox(dialect="stable") as server:
        cli = Cli(tmp_path, server.url)
        address = server.url.removeprefix("http://")
        servers = cli.home / "data" / "iggy-cli" / "servers.json"
        servers.parent.mkdir(parents=True)
        old = {"dialect": "legacy", "candidates": ["legacy"], "evidence": ["login-tokens"]}
        servers.write_text(json.dumps({address: old}))
        created = cli("pat", "create", "deploy", "1h", env=cli.as_admin())
        assert created.code == 0, created.stderr
        assert (
            f"notice: {address} no longer answers as legacy did (upgraded?); it is renaming, "
            "stable or edge" in created.stderr
        )
        assert [b["expiry"] for b in creates(server)] == [3_600 * SECOND]
        assert remembered(cli, server)["candidates"] == ["renaming", "stable", "edge"]


def test_an_override_the_server_contradicts_is_a_usage_error(tmp_path: Path) -> None:
    with new_sandbox(dialect="stable") as server:
        cli = Cli(tmp_path, server.url)
        result = cli("--server-dialect", "legacy", "pat", "create", "xyz", "1h", env=cli.as_admin())
        assert result.code == 2
        assert result.stderr.splitlines()[0] == (
            f"error: --server-dialect says legacy, but {server.url} is renaming, stable or "
            "edge: its sign-in answer holds `access_token`"
        )
        assert creates(server) == []


def test_the_override_settles_what_detection_cannot(tmp_path: Path) -> None:
    with new_sandbox(dialect="renaming") as server:
        cli = Cli(tmp_path, server.url)
        named = {"IGGY_SERVER_DIALECT": "renaming"}
        refused = cli("pat", "create", "a/b", "1h", env={**cli.as_admin(), **named})
        assert refused.code == 2 and server.requests == []
        status = cli("status", "-o", "json", env={**cli.as_admin(), **named})
        assert status.json["dialect"]["chosen_by"] == "IGGY_SERVER_DIALECT"  # type: ignore[index]
        assert status.json["dialect"]["name"] == "renaming"  # type: ignore[index]
        text = cli("status", env={**cli.as_admin(), **named}).stdout
        assert "Dialect:     renaming (Iggy 0.3.0 - 0.4.140), named by IGGY_SERVER_DIALECT" in text
        shown = cli("config", "show", "-o", "json", env=named).json
        assert {
            "setting": "server_dialect",
            "value": "renaming",
            "origin": "IGGY_SERVER_DIALECT",
        } in shown  # type: ignore[operator]
        bad = cli("--server-dialect", "newest", "status")
        assert bad.code == 2
        assert cli("context", "create", "old", "--url", server.url, "--use").code == 0
        assert cli("context", "set", "old", "server_dialect", "renaming").code == 0
        from_context = cli("status", "-o", "json", env={**cli.as_admin(), "IGGY_URL": None})
        assert from_context.json["dialect"]["chosen_by"] == (  # type: ignore[index]
            "server_dialect (from context 'old' (the current context))"
        )
        refused = cli("context", "set", "old", "server_dialect", "newest")
        assert refused.code == 2 and "server_dialect must be one of" in refused.stderr


# --- a busy edge server --------------------------------------------------------------------------

BUSY = {"id": 58, "code": "transient_not_accepted", "reason": "Not accepted", "field": None}
NOT_COMMITTED = {"id": 57, "code": "transient_not_committed", "reason": "Not committed"}


def test_a_busy_answer_to_a_get_is_retried_after_retry_after(tmp_path: Path) -> None:
    with new_sandbox(dialect="edge") as server:
        cli = Cli(tmp_path, server.url)
        token = mint_token(server.url, "robot")
        server.answer_with(
            "GET",
            "/personal-access-tokens",
            503,
            json.dumps(BUSY),
            content_type="application/json",
            headers={"Retry-After": "1"},
        )
        server.clear_requests()
        result = cli("-v", "pat", "list", "-o", "json", env={"IGGY_TOKEN": token})
        assert result.code == 0, result.stderr
        assert [row["name"] for row in json.loads(result.stdout)] == ["robot"]
        assert "* busy: GET /personal-access-tokens again in 1 s (Retry-After)" in result.stderr
        gets = [
            r for r in server.requests if (r.method, r.path) == ("GET", "/personal-access-tokens")
        ]
        assert len(gets) == 2


def test_a_busy_edge_server_is_asked_again_for_every_idempotent_request(tmp_path: Path) -> None:
    with new_sandbox(dialect="edge") as server:
        cli = Cli(tmp_path, server.url)
        server.busy(2)  # its real 503s: the sign-in meets both
        result = cli("login", env=cli.as_admin())
        assert result.code == 0, result.stderr
        logins = [r for r in server.requests if r.path == "/users/login"]
        assert len(logins) == 3
        assert "busy" in remembered(cli, server)["evidence"]


def test_busy_for_longer_than_the_timeout_gives_up_at_once(tmp_path: Path) -> None:
    with new_sandbox(dialect="edge") as server:
        cli = Cli(tmp_path, server.url)
        server.answer_with(
            "POST",
            "/users/login",
            503,
            json.dumps(BUSY),
            content_type="application/json",
            headers={"Retry-After": "30"},
        )
        result = cli("--timeout", "2", "login", env=cli.as_admin())
        assert result.code == 6
        assert result.stderr == (
            f"error: {server.url} is busy (HTTP 503) and asks to wait 30 s, past the 2 s this "
            "request may take\nhint: try again later, or allow more time with --timeout SECONDS\n"
        )
        assert len([r for r in server.requests if r.path == "/users/login"]) == 1


def test_a_create_nothing_was_done_for_is_sent_again(tmp_path: Path) -> None:
    with new_sandbox(dialect="edge") as server:
        cli = Cli(tmp_path, server.url)
        server.answer_with(
            "POST",
            "/personal-access-tokens",
            503,
            json.dumps(BUSY),
            content_type="application/json",
            headers={"Retry-After": "1"},
        )
        result = cli("pat", "create", "deploy", "1h", env=cli.as_admin())
        assert result.code == 0, result.stderr
        assert [b["name"] for b in creates(server)] == ["deploy", "deploy"]


def test_a_create_that_may_still_commit_is_reported_not_repeated(tmp_path: Path) -> None:
    with new_sandbox(dialect="edge") as server:
        cli = Cli(tmp_path, server.url)
        server.create_not_committed(1)
        result = cli("pat", "create", "deploy", "1h", env=cli.as_admin())
        assert result.code == 9
        assert result.stderr == (
            f"error: {server.url} did not confirm creating 'deploy' (HTTP 503, error 57: not "
            "committed, may still commit): a token named 'deploy' now exists on the server, "
            "but its secret was not received\n"
            "hint: delete it (`iggy pat delete deploy`) and create it again\n"
        )
        assert [b["name"] for b in creates(server)] == ["deploy"]
        assert set(server_tokens(server.url)) == {"deploy"}
        assert cli.keyring() == {}


def test_a_create_that_did_not_commit_yet_says_it_may_appear(tmp_path: Path) -> None:
    with new_sandbox(dialect="edge") as server:
        cli = Cli(tmp_path, server.url)
        server.answer_with(
            "POST",
            "/personal-access-tokens",
            503,
            json.dumps(NOT_COMMITTED),
            content_type="application/json",
            headers={"Retry-After": "1"},
        )
        result = cli("pat", "create", "deploy", "1h", env=cli.as_admin())
        assert result.code == 9
        first, hint = result.stderr.splitlines()
        assert first.endswith(
            ": no token named 'deploy' exists yet, but it may still appear, without its secret"
        )
        assert hint.startswith("hint: see `iggy pat list` in a moment")
        assert len(creates(server)) == 1


def test_after_a_create_the_servers_own_list_beats_a_wrong_override(tmp_path: Path) -> None:
    """Named renaming, the server signs in alike; what it then created is what is stored."""
    with new_sandbox(dialect="stable") as server:
        cli = Cli(tmp_path, server.url)
        flags = ("--server-dialect", "renaming")
        created = cli(*flags, "pat", "create", "Deploy Key", "1h", env=cli.as_admin())
        assert created.code == 0, created.stderr
        assert "renamed" not in created.stderr
        assert set(cli.keyring()[f"iggy:{server.url.removeprefix('http://')}"]) == {"Deploy Key"}
        assert remembered(cli, server)["candidates"] == ["stable", "edge"]

"""The server's own release (GET /stats, `iggy_server_version`) and CVE-2026-110513.

Iggy's Stats (core/common/src/types/stats/mod.rs in iggy_common 0.11.0, the crate of Iggy
0.9.0) names the release, and only a user with read_servers or manage_servers may read it
(perm_get_stats, core/server/src/metadata/reader.rs at server-0.8.0). CVE-2026-110513 affects
0.9.0 and every release before it over HTTP; 0.10.0 fixes it. `status` says so only when the
server's own version proves it."""

from __future__ import annotations

import json

import pytest
from helpers.cli import Cli
from helpers.servers import new_sandbox

from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.server.advisories import affecting, release
from iggy_cli.server.client import IggyClient

ADVISORY = (
    "Advisory:    CVE-2026-110513 affects this server (over HTTP, a JWT of a deleted user "
    "authenticates as the next user given the same numeric id; Iggy 0.9.0 and earlier); "
    "0.10.0 fixes it"
)
UNKNOWN = "Version:     not known (a server tells it at GET /stats to a user with read_servers)"


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("0.0.40", True),
        ("0.8.0", True),
        ("0.9.0-edge.5", True),  # a pre-release of 0.9.0 comes before it
        ("0.9.0", True),
        ("0.9.1-edge.1", False),  # after 0.9.0, before the fix: not known, so not claimed
        ("0.10.0-edge.1", False),
        ("0.10.0", False),
        ("1.0.0", False),
        ("unknown_iggy_version", False),  # Stats::default()
    ],
)
def test_which_versions_the_advisory_affects(version: str, affected: bool) -> None:
    assert [advisory.id for advisory in affecting(version)] == (
        ["CVE-2026-110513"] if affected else []
    )


@pytest.mark.parametrize("text", ["0.8.0\x1b[31m", "0.8", "v0.8.0", "", 8000, None])
def test_only_a_release_number_is_believed(text: object) -> None:
    assert release(text) is None


def _status_tail(cli: Cli, *args: str, env: dict[str, str | None] | None = None) -> list[str]:
    result = cli(*args, "status", env=env or cli.as_admin())
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    return lines[lines.index(next(line for line in lines if line.startswith("Version:"))) :]


def test_a_stable_server_is_said_to_be_affected(cli: Cli, sandbox: SandboxServer) -> None:
    assert _status_tail(cli) == ["Version:     0.8.0 (the server's own GET /stats)", ADVISORY]


def test_released_0_9_0_is_said_to_be_affected(cli: Cli) -> None:
    with new_sandbox(dialect="edge", server_version="0.9.0") as server:
        result = cli("status", "-o", "json", env={**cli.as_admin(), "IGGY_URL": server.url})
    assert result.code == 0, result.stderr
    body = result.json
    assert isinstance(body, dict)
    assert body["server"]["version"] == "0.9.0"
    assert body["server"]["advisories"] == [
        {
            "id": "CVE-2026-110513",
            "summary": "over HTTP, a JWT of a deleted user authenticates as the next user "
            "given the same numeric id",
            "fixed_in": "0.10.0",
        }
    ]


@pytest.mark.parametrize("version", ["0.10.0", "0.9.1-edge.1"])
def test_a_server_past_0_9_0_gets_no_advisory(
    cli: Cli, sandbox: SandboxServer, version: str
) -> None:
    stats = json.dumps({"iggy_server_version": version})
    sandbox.answer_with("GET", "/stats", 200, stats, content_type="application/json")
    assert _status_tail(cli) == [f"Version:     {version} (the server's own GET /stats)"]


def test_a_user_without_read_servers_is_told_nothing(cli: Cli) -> None:
    with new_sandbox(users=[("bob", "secret1")]) as server:
        env: dict[str, str | None] = {
            "IGGY_URL": server.url,
            "IGGY_USERNAME": "bob",
            "IGGY_PASSWORD": "secret1",
        }
        assert _status_tail(cli, env=env) == [UNKNOWN]


def test_what_is_not_a_release_is_not_shown(cli: Cli, sandbox: SandboxServer) -> None:
    stats = json.dumps({"iggy_server_version": "0.8.0\x1b[2J"})
    sandbox.answer_with("GET", "/stats", 200, stats, content_type="application/json")
    tail = _status_tail(cli)
    assert tail == [UNKNOWN]


@pytest.mark.parametrize(
    ("dialect", "release_text", "anonymous"),
    [("stable", "0.8.0", (401, b"")), ("edge", "0.9.0-edge.5", (401, b'"id":77'))],
)
def test_the_sandbox_serves_stats_to_the_root_user_only(
    dialect: str, release_text: str, anonymous: tuple[int, bytes]
) -> None:
    import httpx

    with new_sandbox(dialect=dialect, users=[("bob", "secret1")]) as server:
        with IggyClient(server.url, timeout=5) as client:
            client.login_with_password("iggy", "iggy")
            assert client.server_version() == release_text
            client.logout()
        with IggyClient(server.url, timeout=5) as client:
            jwt = client.login_with_password("bob", "secret1").access_token
        refused = httpx.get(f"{server.url}/stats", headers={"Authorization": f"Bearer {jwt}"})
        assert refused.status_code == 403 and refused.json()["id"] == 41
        nobody = httpx.get(f"{server.url}/stats")
        assert nobody.status_code == anonymous[0] and anonymous[1] in nobody.content


def test_a_renaming_server_from_0_4_112_names_its_version_to_anyone() -> None:
    import httpx

    with new_sandbox(dialect="renaming", server_version="0.4.112") as server:
        assert httpx.get(f"{server.url}/stats").json()["iggy_server_version"] == "0.4.112"
    with (
        new_sandbox(dialect="renaming", server_version="0.4.111") as server,
        IggyClient(server.url, timeout=5) as client,
    ):
        client.login_with_password("iggy", "iggy")
        assert client.server_version() is None
        client.logout()


def test_a_server_known_to_be_older_is_not_asked() -> None:
    with new_sandbox(dialect="legacy") as server:
        with IggyClient(server.url, timeout=5) as client:
            client.login_with_password("iggy", "iggy")  # its answer says legacy
            assert client.server_version() is None
            client.logout()
        assert not [request for request in server.requests if request.path == "/stats"]

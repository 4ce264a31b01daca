"""A client no one here wrote: Apache Iggy's own Python SDK (`apache-iggy` 0.9.0, a wrapper of
the Rust SDK 0.11.0) drives the sandbox over HTTP. Its HTTP transport offers ping, login_user,
get_user and logout_user, but no PAT calls (apache_iggy/__init__.pyi: `HttpConfig`,
`IggyClient`); `AutoLogin.personal_access_token` is for TCP, QUIC and WebSocket only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from apache_iggy import HttpConfig, IggyClient, UserStatus

from iggy_cli.sandbox.http_server import SandboxServer


@pytest.fixture(params=["stable", "edge"])
def server(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    with SandboxServer(port=0, dialect=request.param).start() as started:
        yield started


def calls(server: SandboxServer) -> list[tuple[str, str]]:
    # The SDK pings on its own every 5 s (heartbeat_interval), so pings are left out.
    return [(r.method, r.path) for r in server.requests if r.path != "/ping"]


def test_the_iggy_python_sdk_signs_in_reads_itself_and_signs_out(server: SandboxServer) -> None:
    async def session() -> None:
        client = IggyClient(HttpConfig(api_url=server.url, retries=0))
        await client.connect()
        await client.ping()
        await client.login_user("iggy", "iggy")
        by_id = await client.get_user(0)
        by_name = await client.get_user("iggy")
        assert by_id is not None and by_name is not None
        assert (by_id.id, by_id.username, by_id.status) == (0, "iggy", UserStatus.Active)
        assert by_name.id == 0
        assert await client.get_user(99) is None  # the JSON 404 `not_found`
        await client.logout_user()
        with pytest.raises(RuntimeError, match="Unauthenticated"):
            await client.get_user(0)

    asyncio.run(session())
    assert calls(server) == [
        ("POST", "/users/login"),
        ("GET", "/users/0"),
        ("GET", "/users/iggy"),
        ("GET", "/users/99"),
        ("DELETE", "/users/logout"),
    ]
    login = next(r for r in server.requests if r.path == "/users/login")
    assert isinstance(login.json, dict)
    assert (login.json["username"], login.json["password"]) == ("iggy", "iggy")


def test_the_sdk_reports_a_wrong_password_with_the_servers_error(server: SandboxServer) -> None:
    async def session() -> None:
        client = IggyClient(HttpConfig(api_url=server.url, retries=0))
        await client.connect()
        with pytest.raises(RuntimeError, match='"id":42,"code":"invalid_credentials"'):
            await client.login_user("iggy", "wrong")

    asyncio.run(session())


def test_the_sdk_cannot_sign_in_to_a_legacy_server() -> None:
    # The SDK reads `access_token` (0.3.0 and later); a legacy login answers `tokens`.
    async def session(url: str) -> None:
        client = IggyClient(HttpConfig(api_url=url, retries=0))
        await client.connect()
        with pytest.raises(RuntimeError, match="JWT is missing"):
            await client.login_user("iggy", "iggy")

    with SandboxServer(port=0, dialect="legacy").start() as legacy:
        asyncio.run(session(legacy.url))
        assert calls(legacy) == [("POST", "/users/login")]

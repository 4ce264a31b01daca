"""The thin client against the sandbox over real sockets; MockTransport only for what no
Iggy server produces on demand (a redirect to another host)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from helpers.fake_servers import identity_server

from iggy_cli import errors
from iggy_cli.models import NEVER_EXPIRES_US, Identity, MintedToken, PersonalAccessToken
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.server.client import IggyClient


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[IggyClient]:
    with IggyClient(sandbox.url, timeout=5) as client:
        yield client


def test_password_login_returns_an_identity(client: IggyClient) -> None:
    identity = client.login_with_password("iggy", "iggy")
    assert isinstance(identity, Identity)
    assert identity.user_id == 0
    expected = datetime.now(UTC) + timedelta(hours=1)
    assert abs(identity.access_token_expires_at - expected) < timedelta(minutes=1)
    assert identity.access_token not in repr(identity)
    assert client.logged_in


def test_tokens_are_typed_and_sorted(client: IggyClient) -> None:
    client.login_with_password("iggy", "iggy")
    minted = client.create_token("zeta", 3_600_000_000)
    assert isinstance(minted, MintedToken) and len(minted.token) == 68
    assert minted.token not in repr(minted)
    client.create_token("alpha", NEVER_EXPIRES_US)
    tokens = client.list_tokens()
    assert [token.name for token in tokens] == ["alpha", "zeta"]
    assert all(isinstance(token, PersonalAccessToken) for token in tokens)
    assert tokens[0].expiry_at is None
    zeta_at = tokens[1].expiry_at
    assert zeta_at is not None
    assert abs(zeta_at - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=1)


def test_token_login_and_delete(client: IggyClient, sandbox: SandboxServer) -> None:
    client.login_with_password("iggy", "iggy")
    minted = client.create_token("robot", NEVER_EXPIRES_US)
    client.logout()
    assert not client.logged_in
    with IggyClient(sandbox.url, timeout=5) as robot:
        assert robot.login_with_token(minted.token).user_id == 0
        robot.delete_token("robot")
        with pytest.raises(errors.NotFound, match="error 20"):
            robot.delete_token("robot")
        robot.logout()


def test_an_unknown_token_is_not_found_and_redacted(client: IggyClient) -> None:
    unknown = "A" * 66 + "=="
    with pytest.raises(errors.NotFound) as caught:
        client.login_with_token(unknown)
    assert unknown not in caught.value.message
    assert "***" in caught.value.message


def test_expired_token_login(client: IggyClient) -> None:
    client.login_with_password("iggy", "iggy")
    minted = client.create_token("brief", 1)
    time.sleep(0.01)
    with pytest.raises(errors.TokenExpired, match="error 54"):
        client.login_with_token(minted.token)


def test_wrong_password(client: IggyClient) -> None:
    with pytest.raises(errors.AuthenticationError, match="error 42"):
        client.login_with_password("iggy", "nope")


def test_names_are_escaped_in_the_path(client: IggyClient) -> None:
    client.login_with_password("iggy", "iggy")
    client.create_token("a/b c?d", NEVER_EXPIRES_US)
    client.delete_token("a/b c?d")
    assert client.list_tokens() == []


def test_a_restarted_server_rejects_the_old_jwt_with_an_empty_401() -> None:
    first = SandboxServer(port=0).start()
    port = int(first.url.rsplit(":", 1)[1])
    client = IggyClient(first.url, timeout=5)
    client.login_with_password("iggy", "iggy")
    first.stop()
    with (
        SandboxServer(port=port).start(),  # a new instance has a new JWT secret
        client,
        pytest.raises(errors.AuthenticationError, match=r"did not accept .*\(401\)"),
    ):
        client.list_tokens()


def test_the_bearer_never_follows_a_redirect_to_another_host() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/users/login":
            body = {"user_id": 0, "access_token": {"token": "jwt-x", "expiry": 2_000_000_000}}
            return httpx.Response(200, json=body)
        return httpx.Response(307, headers={"location": "http://elsewhere.example/steal"})

    transport = httpx.MockTransport(handler)
    with IggyClient("http://iggy.test", timeout=5, transport=transport) as client:
        client.login_with_password("iggy", "iggy")
        with pytest.raises(errors.ServerUnavailable, match="redirects to http://elsewhere"):
            client.list_tokens()
    assert [request.url.host for request in seen] == ["iggy.test", "iggy.test"]


def test_a_jwt_that_could_not_be_sent_back_is_not_kept() -> None:
    hostile = "eyJhbGciOi\r\nX-Injected: 1"
    with identity_server(hostile) as url, IggyClient(url, timeout=5) as client:
        with pytest.raises(errors.ServerUnavailable, match="other than an identity") as caught:
            client.login_with_password("iggy", "iggy")
        assert not client.logged_in
    assert "X-Injected" not in caught.value.message

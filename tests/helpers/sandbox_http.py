"""Raw HTTP against a sandbox over loopback (http.client, one connection per request), for the
tests that assert the wire itself: statuses, bodies, headers."""

from __future__ import annotations

import dataclasses
import http.client
import json
import urllib.parse
from typing import Any

from iggy_cli.sandbox.http_server import SandboxServer

NEVER = 2**64 - 1
START_US = 1_750_000_000_000_000
START_S = START_US // 1_000_000
SECOND_US = 1_000_000
HOUR_US = 3_600 * SECOND_US
TOKENS = "/personal-access-tokens"


class FakeClock:
    def __init__(self) -> None:
        self.now_us = START_US

    def __call__(self) -> int:
        return self.now_us

    def advance(self, seconds: float) -> None:
        self.now_us += round(seconds * SECOND_US)


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    server: SandboxServer,
    method: str,
    path: str,
    body: object = None,
    *,
    jwt: str | None = None,
    authorization: str | None = None,
    raw: bytes | None = None,
    content_type: str | None = "application/json",
) -> Reply:
    url = urllib.parse.urlsplit(server.url)
    headers = {"Content-Type": content_type} if content_type else {}
    if jwt is not None or authorization is not None:
        headers["Authorization"] = authorization or f"Bearer {jwt}"
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        found = {name.lower(): value for name, value in response.getheaders()}
        return Reply(response.status, response.read(), found)
    finally:
        connection.close()


def access_token(payload: Any) -> str:
    """The JWT in a login answer of any generation."""
    if "access_token" in payload:
        token: str = payload["access_token"]["token"]
    elif "tokens" in payload:
        token = payload["tokens"]["access_token"]["token"]
    elif isinstance(payload["token"], dict):
        token = payload["token"]["access_token"]
    else:
        token = payload["token"]
    return token


def login(server: SandboxServer, username: str = "iggy", password: str = "iggy") -> str:
    reply = request(server, "POST", "/users/login", {"username": username, "password": password})
    assert reply.status == 200, reply.body
    return access_token(reply.json())


def never(server: SandboxServer) -> int | None:
    """ "Never expires" in the create body of the server's generation."""
    return None if server.dialect.expiry_in_seconds else NEVER


def create(server: SandboxServer, jwt: str, name: str, expiry: Any = "never") -> Reply:
    prefix = f"/{server.dialect.pat_prefix}"
    body = {"name": name, "expiry": never(server) if expiry == "never" else expiry}
    return request(server, "POST", prefix, body, jwt=jwt)


def mint(server: SandboxServer, jwt: str, name: str, expiry: Any = "never") -> str:
    reply = create(server, jwt, name, expiry)
    assert reply.status == 200, reply.body
    token: str = reply.json()["token"]
    return token


def listed(server: SandboxServer, bearer: str) -> Any:
    reply = request(server, "GET", f"/{server.dialect.pat_prefix}", jwt=bearer)
    assert reply.status == 200, reply.body
    return reply.json()


def pat_login(server: SandboxServer, token: str) -> Reply:
    return request(server, "POST", f"/{server.dialect.pat_prefix}/login", {"token": token})


def refresh(server: SandboxServer, jwt: str) -> Reply:
    return request(server, "POST", "/users/refresh-token", {"token": jwt})


def error(error_id: int, code: str, reason: str, field: str | None = None) -> dict[str, Any]:
    return {"id": error_id, "code": code, "reason": reason, "field": field}

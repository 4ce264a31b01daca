"""The sandbox as the tests start it, and the server's own view of its tokens, read over
HTTP as the root user (not through the CLI under test)."""

from __future__ import annotations

from typing import Any

from iggy_cli.sandbox.http_server import SandboxServer

# Every raw token any sandbox minted: the suite-wide leak scan looks for them (conftest.py).
MINTED: set[str] = set()


def new_sandbox(**options: Any) -> SandboxServer:
    """A started sandbox on a free loopback port that reports its minted tokens to the scan."""
    return SandboxServer(host="127.0.0.1", port=0, on_token_minted=MINTED.add, **options).start()


def server_tokens(url: str) -> dict[str, int | None]:
    """The server's own view (name -> expiry_at in microseconds), read as the root user."""
    from iggy_cli.server.client import IggyClient

    with IggyClient(url, timeout=5) as client:
        client.login_with_password("iggy", "iggy")
        try:
            return {token.name: token.expiry_at_us for token in client.list_tokens()}
        finally:
            client.logout()


def mint_token(url: str, name: str, expiry_us: int = 2**64 - 1) -> str:
    from iggy_cli.server.client import IggyClient

    with IggyClient(url, timeout=5) as client:
        client.login_with_password("iggy", "iggy")
        try:
            return client.create_token(name, expiry_us).token
        finally:
            client.logout()


def token_works(url: str, token: str | None) -> bool:
    """The server accepts the token at login (None, no token, never does)."""
    from iggy_cli.errors import IggyCliError
    from iggy_cli.server.client import IggyClient

    if token is None:
        return False
    with IggyClient(url, timeout=5) as client:
        try:
            client.login_with_token(token)
        except IggyCliError:
            return False
        client.logout()
        return True

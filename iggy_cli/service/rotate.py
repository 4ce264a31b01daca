"""`pat rotate`: replace a token's secret with no moment where the stored copy does not work.

Iggy cannot rename a token, and names are unique, so the new NAME can only be minted once the
old one is gone. A stand-in bridges that gap:

    1. mint a stand-in under a temporary name, and log in with it (proves it works)
    2. store the stand-in under NAME               -- the stored copy now is the stand-in
    3. delete the old NAME on the server
    4. mint the new NAME, and log in with it
    5. store the new token under NAME              -- the stored copy now is the final token
    6. delete the stand-in on the server

Before step 2 the stored copy is the old token; from 2 to 5 it is the stand-in, which lives
until step 6. A failure at any step leaves the store holding a working token and says which.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from typing import NamedTuple

from iggy_cli import auth
from iggy_cli.client import IggyClient
from iggy_cli.context import AppContext
from iggy_cli.credentials import (
    SESSION_TOKEN_NAME,
    CredentialStore,
    session_service,
    token_service,
)
from iggy_cli.errors import IggyCliError, NotFound, UsageError
from iggy_cli.models import NEVER_EXPIRES_US, Expiry, MintedToken
from iggy_cli.service.common import (
    ANY_NAME_BYTES,
    check_for_server,
    check_token_name,
    signed_in,
    spelling_on_server,
)


class RotationFailed(IggyCliError):
    """A step failed; the message says what the store holds now. Exit code: the cause's."""


class RotateOutcome(NamedTuple):
    name: str
    expiry: Expiry
    warnings: list[str]


def rotate(ctx: AppContext, name: str, expiry: Expiry | None) -> RotateOutcome:
    check_token_name(name, ANY_NAME_BYTES)
    if expiry is not None:
        check_for_server(ctx, name, expiry)
    store = ctx.store()
    store.check()
    service = token_service(ctx.settings.address)
    credential = auth.require(ctx)
    with signed_in(ctx, credential) as (client, _):
        current = {token.name: token for token in client.list_tokens()}
        name = spelling_on_server(client, name, set(current))
        old_secret = store.get(service, name)
        if name not in current:
            raise NotFound(f"no token named {name!r} on the server to rotate")
        lifetime = expiry or _remaining(current[name].expiry_at_us, ctx)
        stand_in_name = f"rotating-{secrets.token_hex(4)}"
        warnings: list[str] = []

        def fail(step: str, error: IggyCliError, holds: str) -> RotationFailed:
            failure = RotationFailed(
                f"rotation of {name!r} failed at {step}: {error.message}; {holds}"
            )
            failure.exit_code = error.exit_code
            return failure

        # 1
        try:
            stand_in = client.create_token(stand_in_name, lifetime.microseconds)
        except IggyCliError as error:
            raise fail("minting a stand-in", error, "nothing changed") from None
        try:
            _prove(ctx, stand_in)
        except IggyCliError as error:
            _forget_on_server(client, stand_in_name)
            raise fail("checking the stand-in", error, "nothing changed") from None
        # 2
        try:
            store.set(service, name, stand_in.token)
        except IggyCliError as error:
            _forget_on_server(client, stand_in_name)
            raise fail("storing the stand-in", error, "the stored copy is the old token") from None
        _follow_session(ctx, store, old_secret, stand_in.token)
        # 3
        try:
            client.delete_token(name)
        except NotFound:
            pass
        except IggyCliError as error:
            holds = _put_back(ctx, store, service, name, old_secret, client, stand_in)
            raise fail("deleting the old token", error, holds) from None
        # 4
        keeps = (
            f"the stored copy of {name!r} is a working stand-in named {stand_in_name!r} on the "
            "server; run the rotation again"
        )
        try:
            final = client.create_token(name, lifetime.microseconds)
        except IggyCliError as error:
            raise fail(f"minting the new {name!r}", error, keeps) from None
        try:
            _prove(ctx, final)
        except IggyCliError as error:
            raise fail(f"checking the new {name!r}", error, keeps) from None
        # 5
        try:
            store.set(service, name, final.token)
        except IggyCliError as error:
            raise fail(f"storing the new {name!r}", error, keeps) from None
        _follow_session(ctx, store, stand_in.token, final.token)
        ctx.names.add_stored(ctx.settings.address, ctx.store_choice.kind, name)
        # 6
        try:
            client.delete_token(stand_in_name)
        except IggyCliError as error:
            warnings.append(
                f"the stand-in {stand_in_name!r} is still on the server ({error.message}); "
                f"delete it with `iggy pat delete {stand_in_name}`"
            )
    return RotateOutcome(name, lifetime, warnings)


def _follow_session(
    ctx: AppContext, store: CredentialStore, previous: str | None, new: str
) -> None:
    """If this server's session is the token being rotated (`pat login NAME`), keep it so."""
    service = session_service(ctx.settings.address)
    with suppress(IggyCliError):
        if previous is not None and store.get(service, SESSION_TOKEN_NAME) == previous:
            store.set(service, SESSION_TOKEN_NAME, new)


def _remaining(expiry_at_us: int | None, ctx: AppContext) -> Expiry:
    """Without EXPIRY the new token ends when the old one would have."""
    if expiry_at_us is None:
        return Expiry(NEVER_EXPIRES_US, "never")
    left = expiry_at_us - int(ctx.now().timestamp() * 1_000_000)
    if left <= 0:
        raise UsageError("the token has expired; give the new one an EXPIRY, such as 30d")
    return Expiry(left, "as before")


def _prove(ctx: AppContext, minted: MintedToken) -> None:
    """Log in (and out) with a fresh token, on a connection of its own."""
    with signed_in(ctx, auth.Credential("token", "rotation", minted.token, token_name=minted.name)):
        pass


def _forget_on_server(client: IggyClient, name: str) -> None:
    # best effort: an unused stand-in is harmless and ends with its expiry
    with suppress(IggyCliError):
        client.delete_token(name)


def _put_back(
    ctx: AppContext,
    store: CredentialStore,
    service: str,
    name: str,
    old: str | None,
    client: IggyClient,
    stand_in: MintedToken,
) -> str:
    """After the old token survived a failed delete: store it again (and the session, if it
    followed the stand-in), then drop the stand-in."""
    keeps = f"the stored copy is a working stand-in named {stand_in.name!r}"
    if old is None:
        return keeps
    try:
        store.set(service, name, old)
    except IggyCliError:
        return keeps
    _follow_session(ctx, store, stand_in.token, old)
    _forget_on_server(client, stand_in.name)
    return "the stored copy is the old token again"

"""`pat create`, `pat list`, `pat delete`: tokens on the server and their stored copies.

Order matters where a secret is at stake: the store is checked before the server mints
anything, and a minted token that could not be stored is handed back, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime, timedelta
from typing import NamedTuple

from iggy_cli import auth
from iggy_cli.context import AppContext
from iggy_cli.credentials import token_service
from iggy_cli.dialect import normalize_name
from iggy_cli.errors import (
    NotFound,
    StorageError,
)
from iggy_cli.models import Expiry, MintedToken, PersonalAccessToken
from iggy_cli.service.common import (
    ANY_NAME_BYTES,
    check_for_server,
    check_token_name,
    expires_at,
    mint,
    signed_in,
)

# --- pat create -------------------------------------------------------------------------------


class CreateOutcome(NamedTuple):
    minted: MintedToken
    expires_at: datetime | None
    stored_at: str | None = None
    store_error: StorageError | None = None


def create_token(ctx: AppContext, name: str, expiry: Expiry, keep: bool) -> CreateOutcome:
    """Mint a token and store it; with `keep` false or --store none it is only handed back."""
    check_token_name(name)
    check_for_server(ctx, name, expiry)
    keep = keep and (ctx.store_factory is not None or ctx.store_choice.kind != "none")
    store = ctx.store() if keep else None
    if store is not None:
        store.check()
    credential = auth.require(ctx)
    with signed_in(ctx, credential) as (client, _):
        minted = mint(client, name, expiry)
    ends = expires_at(expiry, ctx.now())
    if store is None:
        return CreateOutcome(minted, ends)
    # Under the name the server created: `Deploy Key` is `deploy.key` up to 0.4.140.
    name = minted.name
    service = token_service(ctx.settings.address)
    try:
        store.set(service, name, minted.token)
    except StorageError as error:
        return CreateOutcome(minted, ends, store_error=error)
    except KeyboardInterrupt:
        failure = StorageError("storing it was interrupted (Ctrl-C)")
        return CreateOutcome(minted, ends, store_error=failure)
    except Exception as error:
        failure = StorageError(f"storing it failed: {type(error).__name__}")
        return CreateOutcome(minted, ends, store_error=failure)
    ctx.names.add_stored(ctx.settings.address, ctx.store_choice.kind, name)
    return CreateOutcome(minted, ends, stored_at=f"{where_stored(ctx)} {service!r}, user {name!r}")


def where_stored(ctx: AppContext) -> str:
    if ctx.store_choice.kind == "file" and ctx.store_factory is None:
        from iggy_cli.config import token_file

        return f"token file {token_file()}, service"
    return "keyring service"


# --- pat list ---------------------------------------------------------------------------------


class TokenRow(NamedTuple):
    token: PersonalAccessToken
    expired: bool
    stored: bool


def list_tokens(ctx: AppContext) -> list[TokenRow]:
    """The server's tokens; "stored" comes from the local names index, not the keyring, which
    cannot be listed and costs ~150 ms to open."""
    credential = auth.require(ctx)
    with signed_in(ctx, credential) as (client, _):
        tokens = client.list_tokens()
    address = ctx.settings.address
    ctx.names.saw(address, [token.name for token in tokens])
    stored = ctx.names.stored(address, ctx.store_choice.kind)
    now = ctx.now()
    return [TokenRow(token, token.is_expired(now), token.name in stored) for token in tokens]


def needing_attention(
    rows: list[TokenRow], now: datetime, window: timedelta | None, expired: bool
) -> list[TokenRow]:
    """Rows that expire within `window` (not yet expired), and, with `expired`, expired rows."""
    chosen = []
    for row in rows:
        ends = row.token.expiry_at
        soon = window is not None and ends is not None and now < ends <= now + window
        if soon or (expired and row.expired):
            chosen.append(row)
    return chosen


# --- pat delete -------------------------------------------------------------------------------


class DeleteOutcome(NamedTuple):
    name: str
    deleted_on_server: bool
    removed_locally: bool
    local_error: str | None = None


def delete_tokens(ctx: AppContext, names: list[str]) -> Iterator[DeleteOutcome]:
    """Delete each token on the server, then its stored copy; yields as it goes."""
    for name in names:
        check_token_name(name, ANY_NAME_BYTES)
    credential = auth.require(ctx)
    service = token_service(ctx.settings.address)
    with signed_in(ctx, credential) as (client, _):
        for name in names:
            try:
                # Up to 0.4.140 the server deletes `deploy.key` for `Deploy Key`.
                spellings = list(dict.fromkeys((name, client.delete_token(name))))
                deleted = True
            except NotFound:
                deleted = False  # still drop a stale local copy below
                spellings = [name]
            removed, local_error = False, None
            for spelling in spellings:
                try:
                    removed = ctx.store().delete(service, spelling) or removed
                except StorageError as error:
                    local_error = error.message
                    continue
                ctx.names.forget(ctx.settings.address, spelling)
            yield DeleteOutcome(name, deleted, removed, local_error)


# --- pat token, pat prune -----------------------------------------------------------------------


def stored_token(ctx: AppContext, name: str) -> str:
    """The raw token stored under `name` for this server (no request is sent)."""
    return auth.stored_token(ctx, check_token_name(name, ANY_NAME_BYTES)).secret


class PruneOutcome(NamedTuple):
    expired: list[str]
    orphans: list[str]
    dry_run: bool


def prune(ctx: AppContext, expired: bool, orphans: bool, dry_run: bool) -> PruneOutcome:
    """Delete expired tokens (server and local copy), and local copies of tokens the server
    no longer has (known from the names index, since a keyring cannot be listed)."""
    credential = auth.require(ctx)
    address = ctx.settings.address
    service = token_service(address)
    with signed_in(ctx, credential) as (client, _):
        tokens = client.list_tokens()
        now = ctx.now()
        doomed = [token.name for token in tokens if expired and token.is_expired(now)]
        on_server = {token.name for token in tokens}
        stored = ctx.names.stored(address, ctx.store_choice.kind) if orphans else set()
        # A copy stored as `Deploy Key` is the copy of `deploy.key` on a server that renames
        # (and may be, on one that was upgraded since): never an orphan.
        orphaned = sorted(
            name for name in stored - on_server if normalize_name(name) not in on_server
        )
        if dry_run:
            return PruneOutcome(doomed, orphaned, True)
        for name in doomed:
            with suppress(NotFound):  # the server's cleaner may have been quicker
                client.delete_token(name)
    for name in [*doomed, *orphaned]:
        ctx.store().delete(service, name)
        ctx.names.forget(address, name)
    ctx.names.saw(address, sorted(on_server - set(doomed)))
    return PruneOutcome(doomed, orphaned, False)

"""`login`, `logout`, `pat login`: this server's session, kept in the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from iggy_cli import auth
from iggy_cli.auth import Credential
from iggy_cli.context import AppContext
from iggy_cli.credentials import SESSION_TOKEN_NAME, session_service
from iggy_cli.errors import (
    AuthenticationError,
    IggyCliError,
    NotFound,
    StorageError,
    UsageError,
)
from iggy_cli.models import Expiry, Identity
from iggy_cli.service.common import (
    ANY_NAME_BYTES,
    check_for_server,
    check_token_name,
    expires_at,
    mint,
    signed_in,
)
from iggy_cli.service.tokens import where_stored

# --- login, logout, pat login -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    user_id: int
    expires_at: datetime | None
    replaced: bool
    stored_at: str


def login(ctx: AppContext, expiry: Expiry) -> LoginOutcome:
    credential = auth.resolve(ctx, allow_session=False)
    if credential is None:
        if not ctx.interactive:
            raise UsageError(
                "iggy login needs a username and password",
                hint="give -u USER with IGGY_PASSWORD or --password-stdin",
            )
        credential = auth.ask_password(ctx)
    check_for_server(ctx, SESSION_TOKEN_NAME, expiry)
    store = ctx.store()
    store.check()
    service = session_service(ctx.settings.address)
    with signed_in(ctx, credential) as (client, identity):
        replaced = any(t.name == SESSION_TOKEN_NAME for t in client.list_tokens())
        if replaced:
            client.delete_token(SESSION_TOKEN_NAME)
        minted = mint(client, SESSION_TOKEN_NAME, expiry)
        try:
            store.set(service, SESSION_TOKEN_NAME, minted.token)
        except (Exception, KeyboardInterrupt) as error:
            # Nothing half-done: a session token we cannot keep must not live on the server.
            reason = error.message if isinstance(error, StorageError) else type(error).__name__
            try:
                client.delete_token(SESSION_TOKEN_NAME)
                undone = "its token was deleted on the server"
            except IggyCliError:
                undone = f"delete the server token {SESSION_TOKEN_NAME!r} with `iggy pat delete`"
            raise StorageError(
                f"could not keep the session ({reason}); {undone}",
                hint=getattr(error, "hint", None),
            ) from None
    ctx.sessions.put(ctx.settings.address, SESSION_TOKEN_NAME, owned=True)
    return LoginOutcome(
        identity.user_id,
        expires_at(expiry, ctx.now()),
        replaced,
        stored_at=f"{where_stored(ctx)} {service!r}",
    )


@dataclass(frozen=True, slots=True)
class LogoutOutcome:
    had_session: bool
    server: str
    local: str
    warnings: list[str] = field(default_factory=list)


def logout(ctx: AppContext, local_only: bool) -> LogoutOutcome:
    address = ctx.settings.address
    service = session_service(address)
    store = ctx.store()
    secret = store.get(service, SESSION_TOKEN_NAME)
    record = ctx.sessions.get(address)
    if secret is None and record is None:
        return LogoutOutcome(False, "nothing to delete", "no session stored")
    owned = bool(record.get("owned", True)) if record else True
    if local_only:
        server = "not contacted (--local)"
    elif not owned:
        name = (record or {}).get("token_name") or "the token"
        server = f"kept {name!r}: it is your own token, not one `iggy login` made"
    else:
        server = _delete_session_token(ctx)
    local = "removed from the keyring" if store.delete(service, SESSION_TOKEN_NAME) else "none kept"
    ctx.sessions.remove(address)
    return LogoutOutcome(True, server, local)


def _delete_session_token(ctx: AppContext) -> str:
    """Delete the session's server token, signed in as the session itself, so the token named
    'iggy-cli-session' that goes is this session's user's; explicit credentials are the fallback
    when the session token no longer signs in (expired, say)."""
    candidates = [auth.stored_session(ctx), auth.resolve(ctx, allow_session=False)]
    problem = "no credential to sign in with"
    for credential in candidates:
        if credential is None:
            continue
        try:
            with signed_in(ctx, credential) as (client, _):
                client.delete_token(SESSION_TOKEN_NAME)
        except NotFound:
            return f"{SESSION_TOKEN_NAME!r} was already gone"
        except AuthenticationError as error:
            problem = error.message
            continue
        return f"deleted token {SESSION_TOKEN_NAME!r}"
    return f"not deleted ({problem}); an expired token is removed by the server's cleaner"


@dataclass(frozen=True, slots=True)
class PatLoginOutcome:
    identity: Identity
    token_name: str | None
    source: str
    replaced_session: bool


def pat_login(ctx: AppContext, name: str | None) -> PatLoginOutcome:
    if name is not None:
        credential = auth.stored_token(ctx, check_token_name(name, ANY_NAME_BYTES))
    else:
        found = auth.resolve(ctx, allow_session=False)
        if found is None or found.kind != "token":
            raise UsageError(
                "which token? Name a stored one, or give it with IGGY_TOKEN or --token-stdin"
            )
        credential = found
    store = ctx.store()
    store.check()
    address = ctx.settings.address
    service = session_service(address)
    previous = store.get(service, SESSION_TOKEN_NAME)
    record = ctx.sessions.get(address)
    previous_owned = previous is not None and (record is None or bool(record.get("owned", True)))
    with signed_in(ctx, credential) as (_, identity):
        pass  # proves the token works before it becomes the session
    store.set(service, SESSION_TOKEN_NAME, credential.secret)
    ctx.sessions.put(address, credential.token_name, owned=False)
    replaced = False
    if previous_owned and previous is not None and previous != credential.secret:
        replaced = _retire_session_token(ctx, previous)
    return PatLoginOutcome(identity, credential.token_name, credential.source, replaced)


def _retire_session_token(ctx: AppContext, secret: str) -> bool:
    """Delete the `iggy login` token a new session replaces, signed in as that token's own
    user (the name is per user, so another user's session must not be touched)."""
    old_session = Credential("session", "replaced session", secret)
    try:
        with signed_in(ctx, old_session) as (client, _):
            client.delete_token(SESSION_TOKEN_NAME)
    except IggyCliError:
        return False  # expired or gone already: the server's cleaner takes care of it
    return True

"""`login`, `logout`, `pat login`: this server's session, kept in the store."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from iggy_cli.errors import (
    AuthenticationError,
    Declined,
    IggyCliError,
    NotFound,
    StorageError,
    UsageError,
)
from iggy_cli.models import Expiry, Identity
from iggy_cli.runtime import AppContext
from iggy_cli.secrets.stores import (
    SESSION_TOKEN_NAME,
    CredentialStore,
    adopted_service,
    any_secret,
    session_service,
    token_service,
)
from iggy_cli.usecases import credential_choice
from iggy_cli.usecases.common import (
    check_data_folder,
    check_for_server,
    expires_at,
    signed_in,
    start_session,
)
from iggy_cli.usecases.credential_choice import Credential
from iggy_cli.usecases.tokens import StoredEntry, stored_entry

# --- login, logout, pat login -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    user_id: int
    expires_at: datetime | None
    replaced: bool
    stored_in: StoredEntry
    username: str | None = None


def login(ctx: AppContext, expiry: Expiry) -> LoginOutcome:
    """Sign in with a password and keep a new session token. Somewhere to keep it is checked
    first: on a machine with no keyring, a password typed (or piped) is a password wasted."""
    check_for_server(ctx, SESSION_TOKEN_NAME, expiry)
    store = ctx.store()
    _check_session_store(store)
    check_data_folder(ctx)
    credential = credential_choice.resolve(ctx, allow_session=False)
    if credential is None:
        if not ctx.interactive:
            raise UsageError(
                "iggy login needs a username and password",
                hint="give -u USER with IGGY_PASSWORD or --password-stdin",
            )
        credential = credential_choice.ask_password(ctx)
    address = ctx.settings.keyring
    service = session_service(address)
    adopted = credential_choice.session_entry(ctx)
    with signed_in(ctx, credential) as (client, identity):
        replaced = start_session(ctx, client, expiry)
    if adopted.service == adopted_service(address):
        with suppress(StorageError):  # a leftover copy is harmless: nothing reads it now
            store.delete(adopted.service, adopted.username)
    return LoginOutcome(
        identity.user_id,
        expires_at(expiry, ctx.now()),
        replaced,
        stored_in=stored_entry(ctx, service, SESSION_TOKEN_NAME),
        username=credential.username,
    )


def _check_session_store(store: CredentialStore) -> None:
    """The store's own check, with a hint for a session: login has no --no-store."""
    try:
        store.check()
    except StorageError as error:
        raise StorageError(
            error.message,
            hint="unlock or install a Secret Service, keep the session in a private file with "
            "--store file (or IGGY_STORE=file), or do without a session: give each command "
            "IGGY_TOKEN, or -u USER with IGGY_PASSWORD",
        ) from None


@dataclass(frozen=True, slots=True)
class LogoutOutcome:
    had_session: bool
    server: str
    local: str
    store_kind: str = "keyring"  # where the session was kept
    warnings: list[str] = field(default_factory=list)


def logout(ctx: AppContext, local_only: bool) -> LogoutOutcome:
    """End this server's session: an adopted token is only forgotten (it is the user's own),
    and a login session's server token is deleted, then its keyring entry."""
    address = ctx.settings.keyring
    record = ctx.sessions.get(address)
    # where the session was kept, whatever --store says now
    store = credential_choice.session_store(ctx, record or {})
    kept_in = str((record or {}).get("store") or ctx.store_choice.kind)
    where = credential_choice.session_entry(ctx)
    server: list[str] = []
    local: list[str] = []
    if where.adopted:
        server.append(_kept(where.token_name))
        if where.service == adopted_service(address):
            store.delete(where.service, where.username)
            local.append("forgot the adopted token")
        else:
            local.append(f"forgot the adopted token; {where.token_name!r} stays stored")
        ctx.sessions.remove(address)
        record = None
    login_entry = (session_service(address), SESSION_TOKEN_NAME)
    if any_secret(store, *login_entry) is not None:
        owned = bool(record.get("owned", True)) if record else True
        if local_only:
            server.append("not contacted (--local)")
        elif not owned:  # adopted by an earlier version, where the login session is kept
            server.append(_kept((record or {}).get("token_name")))
        else:
            server.append(_delete_session_token(ctx))
        local.append("removed" if store.delete(*login_entry) else "none kept")
        ctx.sessions.remove(address)
    elif record is not None:
        ctx.sessions.remove(address)
        local.append("none kept")
    if not server and not local:
        return LogoutOutcome(False, "nothing to delete", "no session stored")
    return LogoutOutcome(True, "; ".join(server) or "not contacted", "; ".join(local), kept_in)


def _kept(name: str | None) -> str:
    token = repr(name) if name else "the adopted token (given raw, its name not known here)"
    return f"kept {token}: it is your own token, not one `iggy login` made"


def _delete_session_token(ctx: AppContext) -> str:
    """Delete the session's server token, signed in as the session itself, so the token named
    'iggy-cli-session' that goes is this session's user's; explicit credentials are the fallback
    when the session token no longer signs in (expired, say)."""
    candidates = [
        credential_choice.login_session(ctx),
        credential_choice.resolve(ctx, allow_session=False),
    ]
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


def pat_login(
    ctx: AppContext, name: str | None, confirm_replace: Callable[[], bool] = lambda: True
) -> PatLoginOutcome:
    """Make a token this server's session. A stored token is adopted by name (the session
    reads its entry, so it follows `pat rotate`); a raw one is kept in an entry of its own.
    Neither goes where Iggy's CLI keeps its login session (see
    credential_choice.SessionEntry): a login session there is replaced, its server token
    deleted, its entry removed."""
    store = ctx.store()
    _check_session_store(store)  # before a token is read from stdin for nothing
    if name is not None:
        credential = credential_choice.stored_token(ctx, name)
    else:
        found = credential_choice.resolve(ctx, allow_session=False)
        if found is None or found.kind != "token":
            raise UsageError(
                "which token? Name a stored one, or give it with IGGY_TOKEN or --token-stdin"
            )
        credential = found
    address = ctx.settings.keyring
    login_entry = (session_service(address), SESSION_TOKEN_NAME)
    record = ctx.sessions.get(address)
    previous_store = credential_choice.session_store(
        ctx, record or {}
    )  # it may be in another store
    previous = any_secret(previous_store, *login_entry)
    previous_owned = previous is not None and (record is None or bool(record.get("owned", True)))
    if previous is not None and previous != credential.secret and not confirm_replace():
        raise Declined("Nothing changed: the login session stays.")
    with signed_in(ctx, credential) as (_, identity):
        pass  # proves the token works before it becomes the session
    stored_by_name = credential.entry is not None and credential.entry[0] == token_service(address)
    if stored_by_name:
        ctx.sessions.put(
            address, credential.token_name, owned=False, kept="token", store=ctx.store_choice.kind
        )
    else:
        store.set(adopted_service(address), SESSION_TOKEN_NAME, credential.secret)
        ctx.sessions.put(
            address, credential.token_name, owned=False, kept="adopted", store=ctx.store_choice.kind
        )
    replaced = False
    if previous is not None:
        if previous_owned and previous != credential.secret:
            replaced = _retire_session_token(ctx, previous)
        with suppress(StorageError):  # Iggy's CLI would otherwise go on with a dead session
            previous_store.delete(*login_entry)
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

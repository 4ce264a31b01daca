"""The use cases: each combines the HTTP client, the credential store and the session index.

Commands call one function here and print what it returns. Order matters where a secret is at
stake: the store is checked before the server mints anything, and a minted token that could
not be stored is handed back to the caller, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from iggy_cli import auth
from iggy_cli.auth import Credential
from iggy_cli.client import IggyClient
from iggy_cli.context import AppContext
from iggy_cli.credentials import SESSION_TOKEN_NAME, session_service, token_service
from iggy_cli.errors import (
    AuthenticationError,
    IggyCliError,
    NotFound,
    StorageError,
    TokenExpired,
    UsageError,
)
from iggy_cli.models import SERVER_DEFAULT_US, Expiry, Identity, MintedToken, PersonalAccessToken

SESSION_DEFAULT_EXPIRY = Expiry(15 * 60 * 1_000_000, "15m")
# Iggy checks PAT names by UTF-8 length: 3..30 bytes to create, 1..255 to delete.
NEW_NAME_BYTES = (3, 30)
ANY_NAME_BYTES = (1, 255)


def check_token_name(name: str, limits: tuple[int, int] = NEW_NAME_BYTES) -> str:
    size = len(name.encode("utf-8"))
    low, high = limits
    if not low <= size <= high:
        raise UsageError(f"token name {name!r} is {size} bytes; it must be {low} to {high} bytes")
    return name


def expires_at(expiry: Expiry, now: datetime) -> datetime | None:
    """When a token created now with this expiry ends (None: never, or the server decides)."""
    if expiry.never or expiry.microseconds == SERVER_DEFAULT_US:
        return None
    return now + timedelta(microseconds=expiry.microseconds)


@contextmanager
def signed_in(ctx: AppContext, credential: Credential) -> Iterator[tuple[IggyClient, Identity]]:
    """A client logged in with `credential`, logged out again (JWT revoked) when done."""
    with ctx.client() as client:
        identity = _log_in(client, credential, ctx.settings.url)
        try:
            yield client, identity
        finally:
            # The JWT expires by itself; a failed logout must not hide the real outcome.
            with suppress(IggyCliError):
                client.logout()


def _log_in(client: IggyClient, credential: Credential, url: str) -> Identity:
    if credential.kind == "password":
        assert credential.username is not None
        return client.login_with_password(credential.username, credential.secret)
    what = f"token {credential.token_name!r}" if credential.token_name else "the token"
    relogin = "run `iggy login` again" if credential.kind == "session" else None
    if credential.kind == "session":
        what = f"your session for {url}"
    try:
        return client.login_with_token(credential.secret)
    except TokenExpired:
        raise TokenExpired(f"{what} has expired", hint=relogin) from None
    except NotFound:
        # A stable server answers an unknown PAT with 404; to the user it is a bad credential.
        raise AuthenticationError(
            f"the server does not know {what} (deleted, or removed after it expired)",
            hint=relogin,
        ) from None
    except AuthenticationError as error:
        raise AuthenticationError(f"{what} was refused: {error.message}", hint=relogin) from None


# --- pat create -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateOutcome:
    minted: MintedToken
    expires_at: datetime | None
    stored_at: str | None = None
    store_error: StorageError | None = None


def create_token(ctx: AppContext, name: str, expiry: Expiry, keep: bool) -> CreateOutcome:
    """Mint a token and store it; with `keep` false or --store none it is only handed back."""
    check_token_name(name)
    keep = keep and (ctx.store_factory is not None or ctx.store_choice.kind != "none")
    store = ctx.store() if keep else None
    if store is not None:
        store.check()
    credential = auth.require(ctx)
    with signed_in(ctx, credential) as (client, _):
        minted = client.create_token(name, expiry.microseconds)
    ends = expires_at(expiry, ctx.now())
    if store is None:
        return CreateOutcome(minted, ends)
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
    return CreateOutcome(minted, ends, stored_at=f"keyring service {service!r}, user {name!r}")


# --- pat list ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenRow:
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


# --- pat delete -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeleteOutcome:
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
                client.delete_token(name)
                deleted = True
            except NotFound:
                deleted = False  # still drop a stale local copy below
            try:
                removed, local_error = ctx.store().delete(service, name), None
            except StorageError as error:
                removed, local_error = False, error.message
            if local_error is None:
                ctx.names.forget(ctx.settings.address, name)
            yield DeleteOutcome(name, deleted, removed, local_error)


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
    store = ctx.store()
    store.check()
    service = session_service(ctx.settings.address)
    with signed_in(ctx, credential) as (client, identity):
        replaced = any(t.name == SESSION_TOKEN_NAME for t in client.list_tokens())
        if replaced:
            client.delete_token(SESSION_TOKEN_NAME)
        minted = client.create_token(SESSION_TOKEN_NAME, expiry.microseconds)
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
        stored_at=f"keyring service {service!r}",
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
    credential = auth.resolve(ctx)
    if credential is None:
        return "not deleted: no credential to sign in with"
    try:
        with signed_in(ctx, credential) as (client, _):
            client.delete_token(SESSION_TOKEN_NAME)
    except NotFound:
        return f"{SESSION_TOKEN_NAME!r} was already gone"
    except AuthenticationError as error:
        return f"not deleted ({error.message}); an expired token is removed by the server's cleaner"
    return f"deleted token {SESSION_TOKEN_NAME!r}"


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


# --- status -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusReport:
    url: str
    reachable: bool
    server_problem: str | None
    credential_kind: str | None
    credential_source: str | None
    user_id: int | None
    credential_problem: str | None
    store_kind: str
    store_chosen_by: str
    store_backend: str | None
    store_problem: str | None
    session_stored: bool
    session_token_name: str | None
    session_expires_at: datetime | None
    session_expiry_known: bool
    failure: IggyCliError | None = field(default=None, repr=False)

    @property
    def usable(self) -> bool:
        return self.failure is None


def status(ctx: AppContext) -> StatusReport:
    """What this run would use, and whether it works; never raises for an expected failure."""
    choice = ctx.store_choice
    backend, store_problem = None, None
    try:
        backend = ctx.store().description
    except StorageError as error:
        store_problem = error.message
    session_name, session_stored = _stored_session_name(ctx, store_problem)

    reachable, server_problem, failure = True, None, None
    try:
        with ctx.client() as client:
            client.ping()
    except IggyCliError as error:
        reachable, server_problem, failure = False, error.message, error

    kind = source = credential_problem = None
    user_id, expiry_known, expires = None, False, None
    try:
        credential = auth.resolve(ctx)
    except IggyCliError as error:
        credential, credential_problem, failure = None, error.message, failure or error
    if credential is not None:
        kind, source = credential.kind, credential.source
    elif credential_problem is None:
        credential_problem = "no credential: not logged in"
        failure = failure or AuthenticationError(f"not logged in to {ctx.settings.url}")
    if credential is not None and reachable:
        try:
            with signed_in(ctx, credential) as (client, identity):
                user_id = identity.user_id
                tokens = client.list_tokens() if session_name else []
        except IggyCliError as error:
            credential_problem, failure = error.message, failure or error
        else:
            for token in tokens:
                if token.name == session_name:
                    expiry_known, expires = True, token.expiry_at
    return StatusReport(
        url=ctx.settings.url,
        reachable=reachable,
        server_problem=server_problem,
        credential_kind=kind,
        credential_source=source,
        user_id=user_id,
        credential_problem=credential_problem,
        store_kind=choice.kind,
        store_chosen_by=choice.reason,
        store_backend=backend,
        store_problem=store_problem,
        session_stored=session_stored,
        session_token_name=session_name,
        session_expires_at=expires,
        session_expiry_known=expiry_known,
        failure=failure,
    )


def _stored_session_name(ctx: AppContext, store_problem: str | None) -> tuple[str | None, bool]:
    if store_problem is not None:
        return None, False
    try:
        stored = ctx.store().get(session_service(ctx.settings.address), SESSION_TOKEN_NAME)
    except StorageError:
        return None, False
    if stored is None:
        return None, False
    record = ctx.sessions.get(ctx.settings.address) or {}
    return str(record.get("token_name") or SESSION_TOKEN_NAME), True

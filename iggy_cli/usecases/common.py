"""What the use cases share: name rules, expiry arithmetic, and signing in and out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta

from iggy_cli.errors import (
    AnswerLost,
    AuthenticationError,
    IggyCliError,
    Interrupted,
    NotFound,
    OutcomeUnknown,
    StorageError,
    TokenExpired,
    UsageError,
    quoted,
)
from iggy_cli.models import SERVER_DEFAULT_US, Expiry, Identity, MintedToken
from iggy_cli.runtime import AppContext
from iggy_cli.server.client import IggyClient
from iggy_cli.server.dialect import check_name, normalize_name, wire_expiry
from iggy_cli.server.names import ANY_NAME_BYTES as ANY_NAME_BYTES  # re-exported: their old home
from iggy_cli.server.names import NEW_NAME_BYTES as NEW_NAME_BYTES
from iggy_cli.server.names import check_token_name as check_token_name
from iggy_cli.state.indexes import fingerprint
from iggy_cli.usecases.credential_choice import Credential

SESSION_DEFAULT_EXPIRY = Expiry(15 * 60 * 1_000_000, "15m")


def session_expiry(ctx: AppContext) -> Expiry:
    """How long a session lasts when `iggy login` is given no EXPIRY: session_expiry
    (IGGY_SESSION_EXPIRY, or `iggy config set session_expiry 8h`), else 15 minutes."""
    from iggy_cli.expiry import parse_expiry
    from iggy_cli.settings import subject_of

    words = ctx.settings.session_expiry
    if not words:
        return SESSION_DEFAULT_EXPIRY
    try:
        return parse_expiry(words.split(), now=ctx.now(), zone=ctx.zone)
    except UsageError as error:
        origin = ctx.settings.origins.get("session_expiry")
        raise UsageError(f"{subject_of('session_expiry', origin)}: {error.message}") from None


def expires_at(expiry: Expiry, now: datetime) -> datetime | None:
    """When a token created now with this expiry ends (None: never, or the server decides)."""
    if expiry.never or expiry.microseconds == SERVER_DEFAULT_US:
        return None
    if expiry.until is not None:  # a date was asked for: that, not `now` plus the lifetime
        return expiry.until
    return now + timedelta(microseconds=expiry.microseconds)


def check_for_server(ctx: AppContext, name: str, expiry: Expiry) -> None:
    """Refuse, before anything is sent, a lifetime or a name the server is already known
    (remembered, or --server-dialect) not to take; the client checks again before minting,
    once the sign-in has told which server it is. A lifetime under a second is said out loud
    first: it starts on the server's clock at the create, so such a token is over before its
    answer, let alone a first use, can arrive (`1us` minted an expired token without a word);
    tests and demos that want an expired token still get one."""
    if SERVER_DEFAULT_US < expiry.microseconds < 1_000_000:
        ctx.output.warning(
            f"expiry {quoted(expiry.label)} is shorter than a second: the token will be expired "
            "before it can be used"
        )
    knowledge = ctx.dialect()
    try:
        in_seconds = knowledge.expiry_in_seconds
        if in_seconds is not None:
            wire_expiry(expiry.microseconds, in_seconds)
        check_name(name, knowledge.renames)
    except UsageError as error:
        if knowledge.override:
            raise
        # Known from earlier answers only: the server may have been upgraded since.
        raise UsageError(
            error.message,
            hint=f"{error.hint}; if the server was upgraded since, name its generation with "
            "--server-dialect",
        ) from None


def check_data_folder(ctx: AppContext) -> None:
    """Raise StorageError now if the tool's data folder cannot be written (a file in the way,
    no permission, a read-only disk): before anything is minted, not after, when the
    indexes that say whose a stored copy is could silently not be kept."""
    import os

    from iggy_cli.state import local_state

    path = ctx.names.path
    try:
        with local_state.locked(path):  # creates the folder, and a lock file in it
            pass
    except OSError as error:
        raise StorageError(
            f"cannot keep the tool's files in {os.path.dirname(path)}: {error.strerror or error}",
            hint="point XDG_DATA_HOME at a folder you can write",
        ) from None


def mint(client: IggyClient, name: str, expiry: Expiry, hint: str | None = None) -> MintedToken:
    """Create a token. When the server cannot say whether it did (edge's "not committed, may
    still commit", or an answer lost after the request went out), its list says whether NAME
    now exists; either way the secret never came, so the create is not sent again blindly.
    Interrupted while the request is in flight (Ctrl-C, SIGTERM, SIGHUP), say that the server
    may have carried it out, and how to find out (`hint`; by default, `iggy pat list`)."""
    from iggy_cli import signals

    try:
        return client.create_token(name, expiry.microseconds)
    except OutcomeUnknown as unknown:
        cause = unknown.message
    except AnswerLost as lost:
        cause = f"{client.url} sent no usable answer to creating {name!r} ({lost.why})"
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted ({signals.describe()}) while the server was creating token "
            f"{name!r}: it may now exist on the server",
            hint=hint
            or f"check with `iggy pat list`; if it is there, `iggy pat delete {name}` removes "
            "it (its secret never arrived)",
        ) from None
    raise unknown_outcome(client, name, cause, hint)


def unknown_outcome(
    client: IggyClient, name: str, cause: str, hint: str | None = None
) -> OutcomeUnknown:
    """What a create with no usable answer did, as far as the server's list tells: `cause`
    says why the answer is missing; the error says whether NAME exists now, and what to do
    (`hint` replaces the advice when the caller has better, as `iggy login` does)."""
    import shlex

    spellings = (name, normalize_name(name)) if client.dialect.renames else (name,)
    delete = f"iggy pat delete {shlex.quote(name)}"
    try:
        on_server = {token.name for token in client.list_tokens()}
    except IggyCliError as error:
        return OutcomeUnknown(
            f"{cause}; whether it exists could not be checked ({error.message}), and its "
            "secret was not received",
            hint=hint
            or f"see `iggy pat list`: if {name!r} is there, `{delete}` and create it again",
        )
    found = next((spelling for spelling in spellings if spelling in on_server), None)
    if found is not None:
        return OutcomeUnknown(
            f"{cause}: a token named {found!r} now exists on the server, but its secret was "
            "not received",
            hint=hint or f"delete it (`{delete}`) and create it again",
        )
    return OutcomeUnknown(
        f"{cause}: no token named {name!r} exists yet, but it may still appear, without its secret",
        hint=hint
        or f"see `iggy pat list` in a moment: if it is there, `{delete}`; then create it again",
    )


def delete_checked(client: IggyClient, name: str, on_server: set[str]) -> str:
    """Delete `name`, listed a moment ago (in `on_server`); the name the server deleted comes
    back (up to 0.4.140 it deletes `deploy.key` for `Deploy Key`). Gone already is deleted:
    this run's own DELETE, sent again by the transport after its answer was lost on a
    kept-alive connection, or another run's. A lost answer is checked against the list, not
    guessed: fine if the server no longer lists the token, otherwise the error says what is
    known."""
    try:
        return client.delete_token(name)
    except NotFound:
        return name
    except AnswerLost as lost:
        spelled = spelling_on_server(client, name, on_server)
        _deleted_after_all(client, spelled, lost)
        return spelled


def _deleted_after_all(client: IggyClient, name: str, lost: AnswerLost) -> None:
    try:
        on_server = {token.name for token in client.list_tokens()}
    except IggyCliError as error:
        raise OutcomeUnknown(
            f"{client.url} sent no usable answer to deleting {name!r} ({lost.why}), and whether "
            f"it is gone could not be checked ({error.message})",
            hint="see `iggy pat list`",
        ) from None
    if name in on_server:
        raise AnswerLost(
            f"{client.url} sent no usable answer to deleting {name!r} ({lost.why}), and it "
            "still lists the token",
            why=lost.why,
            hint=f"try again: `iggy pat delete {name}`",
        )


def spelling_on_server(client: IggyClient, name: str, on_server: set[str]) -> str:
    """NAME as the server spells it: `Deploy Key` is `deploy.key` on a server that renames."""
    normalized = normalize_name(name)
    if name not in on_server and normalized in on_server and client.renames():
        return normalized
    return name


@contextmanager
def signed_in(ctx: AppContext, credential: Credential) -> Iterator[tuple[IggyClient, Identity]]:
    """A client logged in with `credential`, logged out again (JWT revoked) when done."""
    with ctx.client() as client:
        try:
            identity = _log_in_trying_each(ctx, client, credential)
        except AuthenticationError as ended:
            if not _renewable(ctx, credential):
                raise
            identity = _renew_session(ctx, client, ended)
        if credential.stored_copy and credential.token_name is not None:
            # the server just said whose this copy is (and, for a copy this tool did not
            # store as it is, that it works: from now on it is the copy `pat token` gives)
            unconfirmed = credential.unconfirmed and not credential.alternatives
            digest = fingerprint(credential.secret) if unconfirmed else None
            ctx.record_owner(credential.token_name, identity.user_id, digest)
            if unconfirmed:
                ctx.output.notice(
                    f"the stored copy of {credential.token_name!r} is not the one this tool "
                    "stored, but the server accepts it: it is kept as the token's copy"
                )
        try:
            yield client, identity
        finally:
            # The JWT expires by itself; a failed logout must not hide the real outcome.
            # Ctrl-C here is swallowed too: a token minted in this block must still be kept.
            with suppress(IggyCliError, KeyboardInterrupt):
                client.logout()


def start_session(ctx: AppContext, client: IggyClient, expiry: Expiry) -> bool:
    """With a signed-in client, mint a new session token and keep it as this server's login
    session (`iggy login`'s); True when it replaced one on the server."""
    from iggy_cli.secrets.stores import SESSION_TOKEN_NAME, session_service

    store = ctx.store()
    replaced = any(t.name == SESSION_TOKEN_NAME for t in client.list_tokens())
    if replaced:
        client.delete_token(SESSION_TOKEN_NAME)
    minted = mint(
        client,
        SESSION_TOKEN_NAME,
        expiry,
        hint="run `iggy login` again: it replaces any session token it finds",
    )
    try:
        store.set(session_service(ctx.settings.keyring), SESSION_TOKEN_NAME, minted.token)
    except (Exception, KeyboardInterrupt) as error:
        # Nothing half-done: a session token we cannot keep must not live on the server.
        reason = _why(error)
        try:
            client.delete_token(SESSION_TOKEN_NAME)
            undone = "its token was deleted on the server"
        except IggyCliError:
            undone = f"delete the server token {SESSION_TOKEN_NAME!r} with `iggy pat delete`"
        raise StorageError(
            f"could not keep the session ({reason}); {undone}",
            hint=getattr(error, "hint", None),
        ) from None
    ctx.sessions.put(
        ctx.settings.keyring, SESSION_TOKEN_NAME, owned=True, store=ctx.store_choice.kind
    )
    return replaced


def _why(error: BaseException) -> str:
    from iggy_cli import signals

    if isinstance(error, StorageError):
        return error.message
    if isinstance(error, KeyboardInterrupt):
        return f"interrupted ({signals.describe()})"
    return type(error).__name__


def _renewable(ctx: AppContext, credential: Credential) -> bool:
    """A login session of `iggy login`, and someone at the terminal to type the password."""
    from iggy_cli.secrets.stores import SESSION_TOKEN_NAME

    login_session = credential.entry is not None and credential.entry[0].startswith(
        f"{SESSION_TOKEN_NAME}:"
    )
    return credential.kind == "session" and login_session and ctx.interactive


def _renew_session(ctx: AppContext, client: IggyClient, ended: AuthenticationError) -> Identity:
    """An ended session on a terminal is no dead end: ask for the password, sign in with it,
    and start a new session of the usual length, as `iggy login` would."""
    from iggy_cli.usecases import credential_choice

    ctx.output.notice(f"{ended.message}; log in again to start a new one")
    password = credential_choice.ask_password(ctx)
    identity = _log_in(client, password, ctx.settings.url)
    start_session(ctx, client, session_expiry(ctx))
    return identity


def _log_in_trying_each(ctx: AppContext, client: IggyClient, credential: Credential) -> Identity:
    """Log in; when the credential's keyring entry holds several different secrets (items
    written by different tools), try each and keep the one the server accepts as the only
    one, so the next run, and Iggy's own CLI, find one item."""
    if not credential.alternatives or credential.entry is None:
        return _log_in(client, credential, ctx.settings.url)
    service, username = credential.entry
    candidates = (credential.secret, *credential.alternatives)
    held = f"the keyring held {len(candidates)} different secrets for {service} / {username}"
    refusal: AuthenticationError | None = None
    for secret in candidates:
        try:
            identity = _log_in(client, credential._replace(secret=secret), ctx.settings.url)
        except AuthenticationError as error:
            refusal = refusal or error
            continue
        try:
            # back into the store it was read from (a session's may not be this run's)
            ctx.store_for(credential.store).set(service, username, secret)
            if credential.stored_copy and credential.token_name is not None:
                ctx.record_owner(credential.token_name, None, fingerprint(secret))
        except StorageError as error:
            ctx.output.notice(f"{held}; one works, but keeping it failed: {error.message}")
        else:
            ctx.output.notice(f"{held}; kept the one the server accepts")
        return identity
    assert refusal is not None
    raise AuthenticationError(
        f"{refusal.message} ({held}; the server accepts none of them)", hint=refusal.hint
    )


def _log_in(client: IggyClient, credential: Credential, url: str) -> Identity:
    if credential.kind == "password":
        assert credential.username is not None
        try:
            return client.login_with_password(credential.username, credential.secret)
        except TokenExpired:
            raise
        except AuthenticationError as error:
            source = "the prompt" if credential.source == "prompt" else credential.source
            # The server's own words ("Invalid credentials (error 42, HTTP 400)") say neither
            # who was refused nor where the password came from.
            raise AuthenticationError(
                f"{url} refused user {credential.username!r} with that password "
                f"({error.message.removeprefix('server: ')})",
                hint=f"check the username (-u, IGGY_USERNAME) and the password (from {source})",
            ) from None
    what = f"token {credential.token_name!r}" if credential.token_name else "the token"
    if credential.unconfirmed:
        what += (
            " (its stored copy is not the one this tool stored: damaged, or rewritten by "
            "another program)"
        )
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


def withdrawn(client: IggyClient, name: str) -> str:
    """Delete a token whose secret reached no one; in words, what became of it."""
    try:
        client.delete_token(name)
    except (IggyCliError, KeyboardInterrupt):
        return f"delete it with `iggy pat delete {name}`, nobody has its secret"
    return "it was deleted on the server"

"""Which credential a run uses, and where it came from.

The most explicit wins: a token flag (`--token-stdin`, `-n NAME`), then `IGGY_TOKEN`, then a
username with a password (flags, then environment), then this server's stored session, then
what the context in force holds, in the order Iggy's own CLI uses for its contexts
(core/cli/src/credentials.rs, server-0.8.0): its `token_name` (a token in the keyring), its
`token`, its user's password.

Every keyring entry is named by the server's keyring address (`Settings.keyring`).
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from iggy_cli.errors import AuthenticationError, NotFound, StorageError, UsageError
from iggy_cli.models import masked_repr
from iggy_cli.runtime import AppContext
from iggy_cli.secrets.stores import (
    SESSION_TOKEN_NAME,
    CredentialStore,
    DuplicateEntry,
    adopted_service,
    password_service,
    session_service,
    token_service,
)
from iggy_cli.server.names import ANY_NAME_BYTES, check_token_name
from iggy_cli.settings import check_utf8
from iggy_cli.state.indexes import fingerprint

CredentialKind = Literal["token", "password", "session"]


class Credential(NamedTuple):
    kind: CredentialKind
    source: str
    secret: str
    username: str | None = None
    token_name: str | None = None
    # The store entry (service, username) the secret was read from, and the other secrets
    # that entry holds when tools left it several items (see credentials.DuplicateEntry):
    # signing in tries each and keeps the one the server accepts.
    entry: tuple[str, str] | None = None
    alternatives: tuple[str, ...] = ()
    # read from this run's store under token_name: signing in with it learns whose it is
    stored_copy: bool = False
    # the kind of store the secret was read from, when not this run's (a session's)
    store: str | None = None
    # a stored copy that is not the one this tool last wrote there (its digest differs):
    # damaged, or rewritten by another program; only the server can tell if it works
    unconfirmed: bool = False

    def __repr__(self) -> str:
        return masked_repr(self, "secret", "alternatives")


class SessionEntry(NamedTuple):
    """Where this server's session secret lives, per the sessions index.

    `iggy login` (and Iggy's own CLI) keep it at `iggy-cli-session:<address>`. A token adopted
    with `pat login` is kept apart from that entry, because Iggy's `iggy logout` deletes the
    server token named 'iggy-cli-session' of whoever the session signs in as
    (core/cli/src/commands/binary_system/logout.rs): adopted by name, the session is the
    stored token itself (`iggy:<address>` / NAME, so it follows `pat rotate`); a raw token
    is kept at `iggy-cli-adopted-session:<address>`.
    """

    service: str
    username: str
    token_name: str | None
    adopted: bool
    # the kind of store it was kept in (`keyring`, `file`); None: unrecorded, this run's
    store: str | None = None


def resolve(ctx: AppContext, allow_session: bool = True) -> Credential | None:
    """The credential to log in with, or None when nothing was given and no session is kept."""
    inputs = ctx.auth
    if inputs.token_stdin and inputs.password_stdin:
        raise UsageError("--token-stdin and --password-stdin both want stdin; use one")
    if inputs.password is not None and inputs.password_stdin:
        raise UsageError("give the password once: --password or --password-stdin")
    if inputs.token_stdin:
        token = _checked_secret(ctx.read_stdin_secret("--token-stdin"), "--token-stdin")
        return Credential("token", "--token-stdin", token)
    if inputs.token_name is not None:
        return stored_token(ctx, inputs.token_name)
    if token := ctx.environ.get("IGGY_TOKEN", "").strip():
        return Credential("token", "IGGY_TOKEN", _checked_secret(token, "IGGY_TOKEN"))
    if credential := _password_credential(ctx):
        return credential
    if allow_session and (session := stored_session(ctx)) is not None:
        return session
    return _context_credential(ctx)


def require(ctx: AppContext) -> Credential:
    credential = resolve(ctx)
    if credential is None:
        if ctx.interactive:
            return ask_password(ctx)
        # A server that is down is said as such (exit 6) whether or not a credential was
        # given: a CI job branching on "not logged in" (4) must not take that branch for it.
        with ctx.client() as client:
            client.ping()
        raise AuthenticationError(
            f"not logged in to {ctx.settings.url}",
            hint="run `iggy login`, set IGGY_TOKEN, or give -u USER with IGGY_PASSWORD",
        )
    return credential


def ask_password(ctx: AppContext, username: str | None = None) -> Credential:
    # The server first: a password typed for a server that is down, or a wrong --url, is a
    # password typed for nothing (and the error would come only after it).
    with ctx.client() as client:
        client.ping()
    user = username or ctx.settings.username or ctx.prompt("Username")
    password = ctx.prompt(f"Password for {user}", hidden=True)
    return Credential("password", "prompt", password, username=user)


def stored_token(ctx: AppContext, name: str) -> Credential:
    check_token_name(name, ANY_NAME_BYTES)
    address = ctx.settings.keyring
    service = token_service(address)
    secret, alternatives = _read(ctx, service, name)
    if secret is None:
        ctx.names.forget(address, name)
        spelled, secret = _other_spelling(ctx, service, name)
        name = spelled if secret is not None else name
    if secret is None:
        from iggy_cli.server.names import look_alike, look_alike_hint

        other = look_alike(name, ctx.names.stored(address, ctx.store_choice.kind))
        raise NotFound(
            f"no token named {name!r} is stored for {address}",
            hint=look_alike_hint(name, other)
            if other is not None
            else "`iggy pat list` shows which tokens have a stored copy",
        )
    # perhaps stored by another tool (Iggy's Rust CLI): from now on `pat list` knows
    ctx.names.add_stored(address, ctx.store_choice.kind, name)
    return Credential(
        "token",
        f"keyring entry {service} / {name}",
        secret,
        token_name=name,
        entry=(service, name),
        alternatives=alternatives,
        stored_copy=True,
        unconfirmed=not _as_stored(ctx, name, secret),
    )


def _as_stored(ctx: AppContext, name: str, secret: str) -> bool:
    """Whether `secret` is what this tool last stored under `name` (by the digest the names
    index keeps, or one an unfinished rotation of it recorded); a copy with no digest
    recorded (stored by another tool, or before digests were kept) is taken as it is."""
    recorded = ctx.names.digest(ctx.settings.keyring, ctx.store_choice.kind, name)
    if recorded is None:
        return True
    digest = fingerprint(secret)
    if digest == recorded:
        return True
    entry = ctx.rotations.get(ctx.settings.address, name)
    return entry is not None and digest in (entry.stand_in_sha256, entry.new_sha256)


def session_entry(ctx: AppContext) -> SessionEntry:
    address = ctx.settings.keyring
    record = ctx.sessions.get(address) or {}
    name = record.get("token_name")
    kept = record.get("kept")
    store = _store_kind(record)
    if kept == "token" and isinstance(name, str):
        return SessionEntry(token_service(address), name, name, True, store)
    if kept == "adopted":
        return SessionEntry(adopted_service(address), SESSION_TOKEN_NAME, name, True, store)
    # `iggy login`'s, Iggy's own, or one adopted before adopted tokens were kept apart
    name = name if isinstance(name, str) else SESSION_TOKEN_NAME
    return SessionEntry(session_service(address), SESSION_TOKEN_NAME, name, False, store)


def _other_spelling(ctx: AppContext, service: str, name: str) -> tuple[str, str | None]:
    """`Deploy Key` for the copy of `deploy.key` on a server known to rename (up to 0.4.140),
    where both spellings name one token."""
    from iggy_cli.server.dialect import normalize_name

    normalized = normalize_name(name)
    if normalized == name or not ctx.dialect().renames:
        return name, None
    return normalized, ctx.store().get(service, normalized)


def stored_session(ctx: AppContext) -> Credential | None:
    where = session_entry(ctx)
    credential = _session_at(ctx, where)
    if credential is None and where.adopted:
        # the adopted token's stored copy is gone (deleted, pruned): a login session may remain
        return login_session(ctx)
    return credential


def login_session(ctx: AppContext) -> Credential | None:
    """The session `iggy login` (or Iggy's own CLI) keeps, whatever was adopted since."""
    address = ctx.settings.keyring
    record = ctx.sessions.get(address) or {}
    where = SessionEntry(session_service(address), SESSION_TOKEN_NAME, None, False)
    if record.get("kept") is None and isinstance(record.get("token_name"), str):
        where = where._replace(token_name=record["token_name"])
    return _session_at(ctx, where._replace(store=_store_kind(record)))


def session_store(ctx: AppContext, record: dict[str, Any] | None = None) -> CredentialStore:
    """The store this server's session was kept in (the sessions index says, or `record`, its
    entry already read), else this run's."""
    if record is None:
        record = ctx.sessions.get(ctx.settings.keyring) or {}
    return ctx.store_for(_store_kind(record))


def _store_kind(record: dict[str, Any]) -> str | None:
    kind = record.get("store")
    return kind if isinstance(kind, str) else None


def _session_at(ctx: AppContext, where: SessionEntry) -> Credential | None:
    kind = where.store
    try:
        secret, alternatives = _read(ctx, where.service, where.username, ctx.store_for(kind))
    except StorageError as error:
        raise AuthenticationError(
            f"not logged in: cannot read a session ({error.message})",
            hint="set IGGY_TOKEN, or give -u USER with IGGY_PASSWORD",
        ) from None
    if secret is None:
        return None
    if kind == "file" and not alternatives and _moved_to_keyring(ctx, where, secret):
        kind = "keyring"
    # Read as "session from <source>" by status: where the secret is, in the store it is in.
    kind = kind or ctx.store_choice.kind
    place = f"{'the token file' if kind == 'file' else 'the keyring'} ({where.service})"
    if where.service.startswith(token_service("")):
        source = f"token {where.token_name!r} in {place}"
    else:
        source = place
    return Credential(
        "session",
        source,
        secret,
        # an adopted raw token has no name this tool knows; a login session is its own token
        token_name=where.token_name if where.adopted else where.token_name or SESSION_TOKEN_NAME,
        entry=(where.service, where.username),
        alternatives=alternatives,
        store=kind,
    )


def _moved_to_keyring(ctx: AppContext, where: SessionEntry, secret: str) -> bool:
    """A session kept in the token file while this run's store is the keyring: the user has
    left the file store (`config unset store`), so the session follows, instead of warning on
    every run that tokens are kept unencrypted. A token stored by name stays where it is (it is
    the user's copy, not the session's); if the keyring fails, the file copy stays in use."""
    if ctx.store_choice.kind != "keyring" or where.service.startswith(token_service("")):
        return False
    address = ctx.settings.keyring
    try:
        ctx.store().set(where.service, where.username, secret)
        ctx.store_for("file").delete(where.service, where.username)
    except StorageError:
        return False  # no keyring here (a headless box): the file stays in use, quietly
    record = ctx.sessions.get(address) or {}
    owned = bool(record.get("owned", True))
    kept = record.get("kept")
    ctx.sessions.put(address, record.get("token_name"), owned, kept, store="keyring")
    ctx.output.notice(
        f"moved the session for {address} from the token file to the keyring (the store now)"
    )
    return True


def _read(
    ctx: AppContext, service: str, username: str, store: CredentialStore | None = None
) -> tuple[str | None, tuple[str, ...]]:
    """An entry's secret, and any other secrets the entry holds (to be tried at sign-in)."""
    try:
        return (store or ctx.store()).get(service, username), ()
    except DuplicateEntry as duplicate:
        first, *others = duplicate.secrets
        return first, tuple(others)


def _password_credential(ctx: AppContext) -> Credential | None:
    inputs = ctx.auth
    username = ctx.settings.username
    if not username:
        if inputs.password is not None or inputs.password_stdin:
            raise UsageError("a password needs a username: add -u USER (or set IGGY_USERNAME)")
        return None
    if inputs.password is not None:
        password = _checked_secret(inputs.password, "--password")
        return Credential("password", "--password", password, username=username)
    if inputs.password_stdin:
        password = _checked_secret(ctx.read_stdin_secret("--password-stdin"), "--password-stdin")
        return Credential("password", "--password-stdin", password, username=username)
    if from_env := ctx.environ.get("IGGY_PASSWORD"):
        password = _checked_secret(from_env, "IGGY_PASSWORD")
        return Credential("password", "IGGY_PASSWORD", password, username=username)
    if ctx.settings.origin("username") == "--username":
        if found := _context_password(ctx, username):
            return found
        # A username typed on the command line means "log in as this user": ask, or say how.
        if ctx.interactive:
            return ask_password(ctx, username)
        raise UsageError(
            f"no password for {username}",
            hint="set IGGY_PASSWORD or pipe it with --password-stdin",
        )
    return None  # IGGY_USERNAME alone: a stored session, if any, is still the better guess


def _context_credential(ctx: AppContext) -> Credential | None:
    """What the context in force holds, in the order of Iggy's CLI: an imported Iggy
    context's `token_name`, then its `token` (read from Iggy's file now, where they stay),
    then the password of the context's user."""
    if ctx.settings.context is None:
        return None
    if (linked := _iggy_context(ctx)) is not None:
        path, name, secrets = linked
        if secrets.token_name:
            return stored_token(ctx, secrets.token_name)
        if secrets.token:
            return Credential("token", f"token of Iggy's context {name!r} in {path}", secrets.token)
    username = ctx.settings.username
    return _context_password(ctx, username, linked) if username else None


def _context_password(
    ctx: AppContext, username: str, linked: tuple[str, str, Any] | None = None
) -> Credential | None:
    """The password the context in force holds for `username`: in the imported Iggy context
    (for its own user only), else a copy in the keyring (`context import --copy-secrets`)."""
    if ctx.settings.context is None:
        return None
    linked = linked or _iggy_context(ctx)
    if linked is not None:
        path, name, secrets = linked
        if secrets.password and secrets.username == username:
            source = f"password of Iggy's context {name!r} in {path}"
            return Credential("password", source, secrets.password, username=username)
    if stored := _stored_password(ctx, username):
        return Credential("password", "password in keyring (imported)", stored, username=username)
    return None


def _iggy_context(ctx: AppContext) -> tuple[str, str, Any] | None:
    """(file, name, secrets) of the Iggy context the context in force was imported from."""
    profile = ctx.settings.profile
    path, name = profile.get("iggy_contexts_file"), profile.get("iggy_context")
    if not isinstance(path, str) or not isinstance(name, str):
        return None
    from iggy_cli.state import rust_cli_contexts

    return path, name, rust_cli_contexts.secrets(path, name)


def _checked_secret(secret: str, what: str) -> str:
    """A token or password as given: never echoed, but refused before it is sent if it cannot
    be one (bytes that are not UTF-8 arrive as lone surrogates, which cannot even be encoded;
    a control character is a paste gone wrong, such as an ANSI colour code or a \r)."""
    check_utf8(secret, what)
    if any(ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F for character in secret):
        raise UsageError(f"{what} holds control characters; it cannot be a token or password")
    return secret


def _stored_password(ctx: AppContext, username: str) -> str | None:
    """A password copied (or, by earlier versions, moved) to the keyring from Iggy's
    contexts, if any (contexts only)."""
    try:
        return ctx.store().get(password_service(ctx.settings.keyring), username)
    except StorageError:
        return None

"""Which credential a run uses, and where it came from.

The most explicit wins: a token flag (`--token-stdin`, `-n NAME`), then `IGGY_TOKEN`, then a
username with a password (flags, then environment), then this server's stored session.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from iggy_cli.context import AppContext
from iggy_cli.credentials import (
    SESSION_TOKEN_NAME,
    password_service,
    session_service,
    token_service,
)
from iggy_cli.errors import AuthenticationError, NotFound, StorageError, UsageError
from iggy_cli.models import masked_repr

CredentialKind = Literal["token", "password", "session"]


class Credential(NamedTuple):
    kind: CredentialKind
    source: str
    secret: str
    username: str | None = None
    token_name: str | None = None

    def __repr__(self) -> str:
        return masked_repr(self, "secret")


def resolve(ctx: AppContext, allow_session: bool = True) -> Credential | None:
    """The credential to log in with, or None when nothing was given and no session is kept."""
    inputs = ctx.auth
    if inputs.token_stdin and inputs.password_stdin:
        raise UsageError("--token-stdin and --password-stdin both want stdin; use one")
    if inputs.password is not None and inputs.password_stdin:
        raise UsageError("give the password once: --password or --password-stdin")
    if inputs.token_stdin:
        return Credential("token", "--token-stdin", ctx.read_stdin_secret("--token-stdin"))
    if inputs.token_name is not None:
        return stored_token(ctx, inputs.token_name)
    if token := ctx.environ.get("IGGY_TOKEN", "").strip():
        return Credential("token", "IGGY_TOKEN", token)
    if credential := _password_credential(ctx):
        return credential
    if allow_session:
        return stored_session(ctx)
    return None


def require(ctx: AppContext) -> Credential:
    credential = resolve(ctx)
    if credential is None:
        if ctx.interactive:
            return ask_password(ctx)
        raise AuthenticationError(
            f"not logged in to {ctx.settings.url}",
            hint="run `iggy login`, set IGGY_TOKEN, or give -u USER with IGGY_PASSWORD",
        )
    return credential


def ask_password(ctx: AppContext, username: str | None = None) -> Credential:
    user = username or ctx.settings.username or ctx.prompt("Username")
    password = ctx.prompt(f"Password for {user}", hidden=True)
    return Credential("password", "prompt", password, username=user)


def stored_token(ctx: AppContext, name: str) -> Credential:
    service = token_service(ctx.settings.address)
    secret = ctx.store().get(service, name)
    if secret is None:
        ctx.names.forget(ctx.settings.address, name)
        spelled, secret = _other_spelling(ctx, service, name)
        name = spelled if secret is not None else name
    if secret is None:
        raise NotFound(
            f"no token named {name!r} is stored for {ctx.settings.address}",
            hint="`iggy pat list` shows which tokens have a stored copy",
        )
    # perhaps stored by another tool (Iggy's Rust CLI): from now on `pat list` knows
    ctx.names.add_stored(ctx.settings.address, ctx.store_choice.kind, name)
    return Credential("token", f"keyring entry {service} / {name}", secret, token_name=name)


def _other_spelling(ctx: AppContext, service: str, name: str) -> tuple[str, str | None]:
    """`Deploy Key` for the copy of `deploy.key` on a server known to rename (up to 0.4.140),
    where both spellings name one token."""
    from iggy_cli.dialect import normalize_name

    normalized = normalize_name(name)
    if normalized == name or not ctx.dialect().renames:
        return name, None
    return normalized, ctx.store().get(service, normalized)


def stored_session(ctx: AppContext) -> Credential | None:
    service = session_service(ctx.settings.address)
    try:
        secret = ctx.store().get(service, SESSION_TOKEN_NAME)
    except StorageError as error:
        raise AuthenticationError(
            f"not logged in: cannot read a session ({error.message})",
            hint="set IGGY_TOKEN, or give -u USER with IGGY_PASSWORD",
        ) from None
    if secret is None:
        return None
    record = ctx.sessions.get(ctx.settings.address) or {}
    name = record.get("token_name") or SESSION_TOKEN_NAME
    return Credential("session", f"session in keyring ({service})", secret, token_name=name)


def _password_credential(ctx: AppContext) -> Credential | None:
    inputs = ctx.auth
    username = ctx.settings.username
    if not username:
        if inputs.password is not None or inputs.password_stdin:
            raise UsageError("a password needs a username: add -u USER (or set IGGY_USERNAME)")
        return None
    if inputs.password is not None:
        return Credential("password", "--password", inputs.password, username=username)
    if inputs.password_stdin:
        password = ctx.read_stdin_secret("--password-stdin")
        return Credential("password", "--password-stdin", password, username=username)
    if from_env := ctx.environ.get("IGGY_PASSWORD"):
        return Credential("password", "IGGY_PASSWORD", from_env, username=username)
    if ctx.settings.context is not None and (stored := _stored_password(ctx, username)):
        return Credential("password", "password in keyring (imported)", stored, username=username)
    if ctx.settings.origin("username") == "--username":
        # A username typed on the command line means "log in as this user": ask, or say how.
        if ctx.interactive:
            return ask_password(ctx, username)
        raise UsageError(
            f"no password for {username}",
            hint="set IGGY_PASSWORD or pipe it with --password-stdin",
        )
    return None  # IGGY_USERNAME alone: a stored session, if any, is still the better guess


def _stored_password(ctx: AppContext, username: str) -> str | None:
    """A password `iggy context import` moved to the keyring, if any (contexts only)."""
    try:
        return ctx.store().get(password_service(ctx.settings.address), username)
    except StorageError:
        return None

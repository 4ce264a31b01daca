"""`iggy login` and `iggy logout`: this server's login session, kept in the keyring."""

# No `from __future__ import annotations`: typer would eval every annotation string again.

from typing import Annotated

import typer

from iggy_cli.cli.commands import app_context
from iggy_cli.cli.commands.render import expires, stored_words
from iggy_cli.expiry import EXPIRY_HELP, iso_utc, parse_expiry


def login(
    typer_ctx: typer.Context,
    expiry: Annotated[
        list[str] | None,
        typer.Argument(
            help=f"{EXPIRY_HELP} Default: 15m, or session_expiry (`iggy config set "
            "session_expiry 8h`, IGGY_SESSION_EXPIRY).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Log in with a password and keep a session token in the keyring.

    As Iggy's own CLI does, this creates the server token 'iggy-cli-session' (replacing
    an older one) and keeps it in the keyring; later commands sign in with it when given
    no other credential.

    \b
    Examples:
      iggy -u iggy login
      iggy -u iggy login 8h
      printf %s "$PASS" | iggy -u admin --password-stdin login 8h
    """
    from iggy_cli.usecases import sessions
    from iggy_cli.usecases.common import session_expiry

    ctx = app_context(typer_ctx)
    chosen = parse_expiry(expiry or [], default=session_expiry(ctx), now=ctx.now(), zone=ctx.zone)
    outcome = sessions.login(ctx, chosen)
    payload = {
        "url": ctx.settings.url,
        "user_id": outcome.user_id,
        "session_expires_at": iso_utc(outcome.expires_at),
        "replaced": outcome.replaced,
    }
    if ctx.output.emit(payload, primary=("user_id",)):
        return
    who = f"user {outcome.user_id}"
    if outcome.username is not None:
        who = f"{outcome.username!r} ({who})"
    ctx.output.message(
        f"Logged in to {ctx.settings.url} as {who}; the session "
        f"{expires(outcome.expires_at, ctx.now(), zone=ctx.zone)}, "
        f"kept in {stored_words(outcome.stored_in)}."
    )


def logout(
    typer_ctx: typer.Context,
    local: Annotated[
        bool, typer.Option("--local", help="Forget the session here without asking the server.")
    ] = False,
) -> None:
    """Delete the session token on the server and in the keyring.

    \b
    Examples:
      iggy logout
      iggy logout --local
    """
    from iggy_cli.usecases import sessions

    ctx = app_context(typer_ctx)
    outcome = sessions.logout(ctx, local_only=local)
    payload = {
        "logged_out": outcome.had_session,
        "server": outcome.server,
        "keyring": outcome.local,
    }
    if ctx.output.emit(payload, primary=("logged_out",)):
        return
    if not outcome.had_session:
        ctx.output.message(f"Not logged in to {ctx.settings.url}; nothing to do.")
        return
    ctx.output.message(f"Server {ctx.settings.url}: {outcome.server}.")
    where = "the token file" if outcome.store_kind == "file" else "the keyring"
    ctx.output.message(f"Session in {where}: {outcome.local}.")

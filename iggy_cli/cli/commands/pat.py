"""`iggy pat create|list|delete|login`: personal access tokens.

Each command imports its use cases (and so httpx) only when it runs: help and completion never
pay for it. app.py wires these functions into the command tree."""

# No `from __future__ import annotations`: typer would eval every annotation string again.

from typing import TYPE_CHECKING, Annotated

import typer

from iggy_cli.cli.commands import app_context, env_name
from iggy_cli.cli.commands.render import (
    TOKEN_COLUMNS,
    expires,
    stored_json,
    stored_words,
    token_row_cells,
    token_row_json,
    token_row_urgency,
    when,
)
from iggy_cli.console.output import Output
from iggy_cli.errors import (
    Declined,
    NotFound,
    StorageError,
    TokenNotStored,
    TokensNeedAttention,
    UsageError,
)
from iggy_cli.expiry import EXPIRY_HELP, iso_utc, parse_duration, parse_expiry

if TYPE_CHECKING:
    from iggy_cli.usecases.tokens import CreateOutcome

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import timedelta

    from iggy_cli.models import Expiry
    from iggy_cli.runtime import AppContext
    from iggy_cli.usecases.rotation import RotateOutcome
    from iggy_cli.usecases.tokens import PruneOutcome

PAT_HELP = "Create, list, rotate, delete and log in with personal access tokens."

NameArg = Annotated[str, typer.Argument(help="Token name, 3 to 30 bytes.", show_default=False)]
EnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        metavar="VAR",
        help="The variable -o env sets (default IGGY_TOKEN).",
        show_default=False,
    ),
]
ExpiryArg = Annotated[list[str] | None, typer.Argument(help=EXPIRY_HELP, show_default=False)]


def create(
    typer_ctx: typer.Context,
    name: NameArg,
    expiry: ExpiryArg = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Print the token instead of storing it.")
    ] = False,
    env: EnvOpt = None,
) -> None:
    """Create a token and store it in the OS keyring.

    Without EXPIRY the token never expires, as with Iggy's own CLI.

    \b
    Examples:
      iggy pat create deploy 30d
      iggy pat create release 2027-01-31
      TOKEN=$(iggy pat create ci-job 1h 30m -q --no-store)
      iggy pat create ci-job 1h --no-store -o env >> "$GITHUB_ENV"
    """
    from iggy_cli.usecases import tokens

    ctx = app_context(typer_ctx)
    env_name(ctx, env)
    if ctx.output.format == "env" and not no_store and ctx.store_choice.kind != "none":
        raise UsageError(
            "-o env prints the new token, and a stored one is not printed: add --no-store"
        )
    lifetime = parse_expiry(expiry or [], now=ctx.now(), zone=ctx.zone)
    with tokens.create_token(ctx, name, lifetime, keep=not no_store) as outcome:
        renamed_from = _hand_over(ctx.output, outcome)
    out = ctx.output
    name = outcome.minted.name  # the server's spelling: servers up to 0.4.140 rename
    ends = expires(outcome.expires_at, ctx.now(), zone=ctx.zone)
    if renamed_from is not None:
        out.message(f"The server renamed {renamed_from!r} to {name!r}, as Iggy up to 0.4.140 does.")
    if outcome.store_error is not None:
        raise TokenNotStored(
            f"token {name!r} was created ({ends}) but not stored: "
            f"{outcome.store_error.message}; it is printed above, save it now",
            hint=outcome.store_error.hint,
        )
    if outcome.stored_in is not None:
        out.message(f"Created token {name!r}, {ends}; stored in {stored_words(outcome.stored_in)}.")
    else:
        ctx.output.message(f"Created token {name!r}, {ends}. It is shown only this once.")


def _hand_over(out: Output, outcome: "CreateOutcome") -> str | None:
    """The new token's record on stdout (and the name asked for, if the server renamed it); a
    token that was not stored exists nowhere else, so whatever the format or --field, and even
    when --field is wrong, it reaches stdout once."""
    show_token = outcome.stored_in is None
    minted = outcome.minted
    renamed_from = minted.requested_name if minted.renamed else None
    payload = {
        "name": minted.name,
        "renamed_from": renamed_from,
        "expiry_at": iso_utc(outcome.expires_at),
        "stored": outcome.stored_in is not None,
        "store": None if outcome.stored_in is None else stored_json(outcome.stored_in),
        "token": minted.token if show_token else None,
    }
    try:
        emitted = out.emit(payload, primary=("token",) if show_token else ("name",))
    except UsageError:
        if show_token:
            out.token(minted.token)
        raise
    if show_token and not (emitted and out.field in (None, "token")):
        out.token(minted.token)
    return renamed_from


def list_(
    typer_ctx: typer.Context,
    expiring_within: Annotated[
        str | None,
        typer.Option(
            "--expiring-within",
            metavar="DURATION",
            help="Only tokens that expire within DURATION (7d, 12h); exit 8 if any.",
        ),
    ] = None,
    expired: Annotated[
        bool, typer.Option("--expired", help="Only expired tokens; exit 8 if any.")
    ] = False,
    include_session: Annotated[
        bool,
        typer.Option(
            "--include-session",
            help="Let the login session's own token (15 minutes) count for the filters too.",
        ),
    ] = False,
) -> None:
    """List your tokens with their expiry and whether a copy is stored.

    \b
    Examples:
      iggy pat list
      iggy pat list -o json
      iggy pat list --expiring-within 7d || echo "rotate soon"
    """
    from iggy_cli.server.names import look_alikes
    from iggy_cli.usecases import tokens

    window = parse_duration(expiring_within) if expiring_within is not None else None
    ctx = app_context(typer_ctx)
    rows = tokens.list_tokens(ctx)
    filtered = window is not None or expired
    if filtered:
        rows = tokens.needing_attention(rows, ctx.now(), window, expired, include_session)
    if ctx.output.emit([token_row_json(row) for row in rows], primary=("name",)):
        pass
    elif not rows:
        ctx.output.message("No tokens.")
    else:
        now = ctx.now()
        ctx.output.table(
            TOKEN_COLUMNS,
            [token_row_cells(row, now, zone=ctx.zone) for row in rows],
            [token_row_urgency(row, now) for row in rows],
        )
        for group in look_alikes(row.token.name for row in rows):
            # ascii() spells each with escapes, where the table cannot tell them apart
            spelled = " and ".join(ascii(name) for name in group)
            ctx.output.message(
                f"Note: {spelled} look alike but are different names (Unicode spells them "
                "differently)."
            )
    if filtered and rows:
        count = "1 token needs" if len(rows) == 1 else f"{len(rows)} tokens need"
        raise TokensNeedAttention(f"{count} attention (exit code 8)", quiet=ctx.output.quiet)


def delete(
    typer_ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Token names.", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete tokens on the server and their keyring copies.

    \b
    Examples:
      iggy pat delete deploy
      iggy pat delete old-ci old-deploy --yes
    """
    from iggy_cli.server.names import ANY_NAME_BYTES, check_token_name, look_alike_hint
    from iggy_cli.usecases import tokens

    for name in names:  # what can be checked here is checked first
        check_token_name(name, ANY_NAME_BYTES)
    ctx = app_context(typer_ctx)
    needs_yes(ctx, yes, "pat delete")

    def confirm(present: list[str]) -> bool:
        listed = ", ".join(repr(name) for name in present)
        return yes or typer.confirm(
            f"Delete {listed} on {ctx.settings.url}?", default=False, err=True
        )

    store = _store_words(ctx)
    results, missing, local_failures, hints = [], [], [], []
    for outcome in tokens.delete_tokens(ctx, names, confirm):
        results.append(
            {
                "name": outcome.name,
                "deleted": outcome.deleted_on_server,
                "removed_local_copy": outcome.removed_locally,
            }
        )
        if not outcome.deleted_on_server:
            missing.append(outcome.name)
            if outcome.look_alike is not None:
                hints.append(look_alike_hint(outcome.name, outcome.look_alike))
        if outcome.local_error:
            local_failures.append(f"{outcome.name!r}: {outcome.local_error}")
        local = f"and its copy in the {store}" if outcome.removed_locally else ""
        if outcome.kept is not None:
            local = f"(kept the stored copy: {outcome.kept.words()})"
        if outcome.deleted_on_server:
            ctx.output.message(f"Deleted token {outcome.name!r} {local}".rstrip() + ".")
        elif outcome.removed_locally:
            ctx.output.message(
                f"Removed the stale copy of {outcome.name!r} from the {store}: "
                "the server has no such token."
            )
        elif outcome.kept is not None:
            ctx.output.message(f"Kept the stored copy of {outcome.name!r}: {outcome.kept.words()}.")
    ctx.output.emit(results, primary=("name",))
    if local_failures:
        raise StorageError(
            f"could not remove copies from the {store}: " + "; ".join(local_failures)
        )
    if missing:
        raise NotFound(
            "no token named " + ", ".join(repr(n) for n in missing) + " on the server",
            hint="; ".join(hints) or "`iggy pat list` shows your tokens",
        )


def needs_yes(ctx: "AppContext", yes: bool, command: str) -> None:
    """A destructive command asks on a terminal; off one, it needs --yes said outright (as
    gh does), so a script never deletes by falling through a prompt nobody saw."""
    if not yes and not ctx.interactive:
        raise UsageError(
            f"{command} deletes tokens: add --yes to confirm (no one can answer a prompt here)",
            hint="nothing was deleted",
        )


def _prune_question(ctx: "AppContext", planned: "PruneOutcome") -> str:
    """What a yes does, and where: tokens go on the server, an orphan's copy only here."""
    parts = []
    on_server = [*planned.stand_ins, *planned.expired]
    if on_server:
        listed = ", ".join(repr(name) for name in on_server)
        parts.append(f"delete {listed} on {ctx.settings.url}")
    if planned.orphans:
        listed = ", ".join(repr(name) for name in planned.orphans)
        copies = "copy" if len(planned.orphans) == 1 else "copies"
        parts.append(f"remove the stored {copies} of {listed} (the server has no such token)")
    return f"Prune: {' and '.join(parts)}?"


def _store_words(ctx: "AppContext") -> str:
    """Where copies are kept, in words: 'keyring', or 'token file' with --store file."""
    return {"file": "token file", "none": "store"}.get(ctx.store_choice.kind, "keyring")


def login(
    typer_ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="A stored token's name.", show_default=False)
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Replace a login session without asking.")
    ] = False,
) -> None:
    """Log in with a token and make it this server's session.

    `iggy logout` never deletes a token adopted this way. A session of `iggy login` is
    replaced (its server token deleted): on a terminal, after asking.

    \b
    Examples:
      iggy pat login deploy
      IGGY_TOKEN=... iggy pat login
    """
    from iggy_cli.usecases import sessions

    ctx = app_context(typer_ctx)

    def confirm_replace() -> bool:
        # Off a terminal it goes on as it always did: scripts that adopt a token keep working.
        if yes or not ctx.interactive:
            return True
        return typer.confirm(
            f"Replace the login session of `iggy login` for {ctx.settings.url} "
            "(its server token is deleted)?",
            default=False,
            err=True,
        )

    outcome = sessions.pat_login(ctx, name, confirm_replace)
    identity = outcome.identity
    payload = {
        "user_id": identity.user_id,
        "token_name": outcome.token_name,
        "source": outcome.source,
        "access_token_expires_at": iso_utc(identity.access_token_expires_at),
    }
    if ctx.output.emit(payload, primary=("user_id",)):
        return
    label = repr(outcome.token_name) if outcome.token_name else "the token"
    ctx.output.message(
        f"Logged in to {ctx.settings.url} as user {identity.user_id} with {label} "
        f"(from {outcome.source})."
    )
    # Not the server's JWT lifetime ("the access token expires in 1 hour"): read beside a
    # personal access token, it says the wrong token's end. Each run signs in again with it.
    ctx.output.message(
        f"{label[0].upper()}{label[1:]} is now this server's session: later commands sign in "
        "with it until it expires or `iggy logout`."
    )
    if outcome.replaced_session:
        ctx.output.message("The previous login session's token was deleted on the server.")


def token(
    typer_ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A stored token's name.", show_default=False)],
    env: EnvOpt = None,
) -> None:
    """Print the stored raw token NAME and nothing else, for `$(...)`.

    With -o env, a VAR=token line for $GITHUB_ENV or a .env file. Under GitHub Actions the
    runner is told to mask the token first. `iggy pat exec` prints nothing at all.

    \b
    Examples:
      IGGY_TOKEN=$(iggy pat token deploy) ./deploy.sh
      iggy pat token deploy -o env >> "$GITHUB_ENV"
    """
    from iggy_cli.usecases import tokens

    ctx = app_context(typer_ctx)
    env_name(ctx, env)
    ctx.output.token(tokens.stored_token(ctx, name))


def exec_(
    typer_ctx: typer.Context,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME] -- COMMAND [ARGS]...",
            help="The stored token's name, then the command and its arguments.",
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            metavar="VAR[=NAME]",
            help="The variable for NAME (default IGGY_TOKEN); VAR=NAME adds token NAME as VAR "
            "(repeatable).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run COMMAND with a stored token in its environment only.

    The token is read first (a missing one: exit 5, and COMMAND never starts); then iggy
    becomes COMMAND, so the exit status, and a signal that ends it, are COMMAND's own.
    Put -- before COMMAND. Nothing is printed and nothing is written.

    \b
    Examples:
      iggy pat exec deploy -- ./deploy.sh
      iggy pat exec deploy --env DEPLOY_TOKEN -- ./deploy.sh
      iggy pat exec --env A_TOKEN=deploy --env B_TOKEN=ci -- ./both.sh
    """
    from iggy_cli.usecases import tokens

    variables, command = _exec_plan(words or [], env or [])
    ctx = app_context(typer_ctx)
    tokens.exec_with_tokens(ctx, variables, command)


def _exec_plan(words: list[str], env: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(VARIABLE, NAME) pairs and the command: NAME comes first in `words` unless every
    --env is VAR=NAME."""
    from iggy_cli.cli.commands import check_env_name
    from iggy_cli.console.output import DEFAULT_ENV_NAME

    bare = [given for given in env if "=" not in given]
    variables = [tuple(given.split("=", 1)) for given in env if "=" in given]
    if len(bare) > 1:
        raise UsageError(
            "--env VAR names NAME's variable once; add more tokens with --env VAR=NAME"
        )
    if bare or not variables:
        if not words:
            raise UsageError("which token? iggy pat exec NAME -- COMMAND")
        variables.insert(0, (bare[0] if bare else DEFAULT_ENV_NAME, words[0]))
        words = words[1:]
    seen: set[str] = set()
    for variable, name in variables:
        check_env_name(variable)
        if variable in seen:
            raise UsageError(f"--env {variable} is given twice")
        seen.add(variable)
        if not name:
            raise UsageError(f"--env {variable}= names no token")
    if not words:
        raise UsageError("no command to run", hint="iggy pat exec NAME -- COMMAND [ARGS...]")
    return [(variable, name) for variable, name in variables], words


def prune(
    typer_ctx: typer.Context,
    expired: Annotated[
        bool, typer.Option("--expired", help="Also delete expired tokens and their copies.")
    ] = False,
    orphans: Annotated[
        bool,
        typer.Option("--orphans", help="Also remove stored copies of tokens the server lacks."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would go; change nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete rotation leftovers; with flags, expired tokens or orphans.

    A stand-in (iggy-cli-standin-...) is left over when a rotation that made it was cut
    short and nothing stores it any more; one an unfinished rotation still needs is kept
    (`iggy pat rotate NAME` finishes that rotation). An old token that `pat rotate --grace`
    kept alive is deleted once its grace is over.

    \b
    Examples:
      iggy pat prune --dry-run
      iggy pat prune --expired --orphans --yes
    """
    from iggy_cli.usecases import tokens

    ctx = app_context(typer_ctx)
    if not dry_run:
        needs_yes(ctx, yes, "pat prune")
    if not dry_run and not yes:  # on a terminal: show what would go, then ask
        planned = tokens.prune(ctx, expired, orphans, dry_run=True)
        doomed = [*planned.stand_ins, *planned.expired, *planned.orphans, *planned.retired]
        if not doomed:
            ctx.output.message("Nothing to prune.")
            return
        if not typer.confirm(_prune_question(ctx, planned), default=False, err=True):
            raise Declined("Nothing pruned.")
    outcome = tokens.prune(ctx, expired, orphans, dry_run)
    payload = {
        "expired": outcome.expired,
        "orphans": outcome.orphans,
        "stand_ins": outcome.stand_ins,
        "retired": list(outcome.retired),
        "dry_run": outcome.dry_run,
    }
    if ctx.output.emit(payload, primary=("expired", "orphans", "stand_ins", "retired")):
        return
    verb = "Would delete" if dry_run else "Deleted"
    for name in outcome.retired:
        ctx.output.message(f"{verb} {name!r}: its grace after a rotation is over.")
    for name in outcome.stand_ins:
        ctx.output.message(f"{verb} the leftover rotation stand-in {name!r}.")
    for name in outcome.expired:
        ctx.output.message(f"{verb} expired token {name!r}.")
    verb = "Would remove" if dry_run else "Removed"
    for name in outcome.orphans:
        ctx.output.message(f"{verb} the stored copy of {name!r}: the server has no such token.")
    for name, copy in outcome.kept:
        ctx.output.message(f"Kept the stored copy of {name!r}: {copy.words()}.")
    if any(copy.whose == "unknown" for _, copy in outcome.kept):
        ctx.output.message(
            "A copy is removed only once it is known to be yours: signing in with it once "
            "(`iggy -n NAME pat list`) records whose it is."
        )
    if not (outcome.expired or outcome.orphans or outcome.stand_ins or outcome.retired):
        ctx.output.message("Nothing to prune.")


def show(
    typer_ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The token's name.", show_default=False)],
) -> None:
    """Show one token: its expiry, and where its copy is stored.

    \b
    Examples:
      iggy pat show deploy
      iggy pat show deploy -o json
    """
    from iggy_cli.usecases import tokens

    ctx = app_context(typer_ctx)
    detail = tokens.show_token(ctx, name)
    token = detail.token
    settings = ctx.settings
    payload = {
        "name": token.name,
        "expiry_at": iso_utc(token.expiry_at),
        "expiry_at_us": token.expiry_at_us,
        "expired": detail.expired,
        "stored": detail.stored,
        "store": {"kind": detail.store_kind, "service": detail.service, "username": token.name},
        "keyring_address": settings.keyring,
        "owner_user_id": detail.owner,
        "problem": detail.problem,
    }
    if ctx.output.emit(payload, primary=("name",)):
        return
    where = f"{_store_words(ctx)} ({detail.service} / {token.name})"
    if detail.stored is None:
        stored = f"unknown ({detail.problem})"
    elif detail.stored:
        stored = f"yes, in the {where}"
    else:
        stored = f"no (it would be in the {where})"
    ctx.output.fields(
        [
            ("Name", token.name),
            ("Expires", when(token.expiry_at, ctx.now(), zone=ctx.zone)),
            ("Stored", stored),
            ("Keyring address", f"{settings.keyring} ({settings.keyring_origin})"),
        ]
    )


def rotate(
    typer_ctx: typer.Context,
    name: NameArg,
    expiry: ExpiryArg = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Rotate a token with no stored copy here too.")
    ] = False,
    no_store: Annotated[
        bool,
        typer.Option("--no-store", help="Print the new token instead of storing it; keep nothing."),
    ] = False,
    grace: Annotated[
        str | None,
        typer.Option(
            "--grace",
            metavar="DURATION",
            help="With --no-store: keep the old token working for DURATION (10m, 1h); the new "
            "one takes the name's twin (NAME.b). `pat prune` deletes the old one after.",
            show_default=False,
        ),
    ] = None,
    env: EnvOpt = None,
) -> None:
    """Replace a token's secret and keep its name.

    The stored copy works at every moment: a stand-in token that lives 10 minutes bridges
    the gap. Without EXPIRY the new token ends when the old one would have. If a rotation
    was cut short, running it again carries it through from where it stopped.

    With --no-store the new token is printed and nothing is kept; a token created here with
    --no-store rotates that way by default.

    \b
    Examples:
      iggy pat rotate deploy
      iggy pat rotate deploy 30d
      iggy pat rotate ci-deploy --no-store --yes -o env >> "$GITHUB_ENV"
      iggy pat rotate ci-deploy --no-store --grace 1h --yes
    """
    from iggy_cli.usecases import printed_rotation
    from iggy_cli.usecases.rotation import rotate as rotate_token
    from iggy_cli.usecases.rotation_plan import MINT_NEW

    overlap = parse_duration(grace) if grace is not None else None
    ctx = app_context(typer_ctx)
    env_name(ctx, env)
    lifetime = parse_expiry(expiry, now=ctx.now(), zone=ctx.zone) if expiry else None
    printing = printed_rotation.prints(ctx, name, keep=not no_store)
    if not printing and (overlap is not None or ctx.output.format == "env"):
        what = "--grace" if overlap is not None else "-o env"
        raise UsageError(
            f"{what} is for a rotation that prints the new token: add --no-store",
            hint="a stored token's copy is replaced at once; a stand-in bridges the gap",
        )

    def confirm_unstored(server_name: str) -> bool:
        if yes:
            return True
        cut_off = (
            f"no copy of {server_name!r} is stored here, so its secret is someone else's "
            "(a CI job's?), and rotating it ends that secret"
        )
        if not ctx.interactive:
            hint = "nothing changed"
            if not printing:
                hint += "; with --no-store too, the new token is printed, not stored here"
            raise UsageError(f"{cut_off}: add --yes to rotate it anyway", hint=hint)
        return typer.confirm(f"{cut_off[0].upper()}{cut_off[1:]}. Rotate?", default=False, err=True)

    if printing:
        _rotate_printed(ctx, name, lifetime, overlap, confirm_unstored)
        return
    # A new token that could not be stored reaches stdout alone, whatever -o or --field say.
    outcome = rotate_token(
        ctx,
        name,
        lifetime,
        hand_over=lambda token: _print_token(ctx, token),
        confirm_unstored=confirm_unstored,
    )
    for warning in outcome.warnings:
        ctx.output.warning(warning)
    payload = {
        "name": name,
        "rotated": True,
        "expiry_at": iso_utc(outcome.expires_at),
        "resumed": outcome.resumed is not None,
    }
    if ctx.output.emit(payload, primary=("name",)):
        return
    if outcome.resumed is not None:
        ctx.output.message(f"Resumed an interrupted rotation of {name!r}: {_resumed(outcome)}.")
    ends = expires(outcome.expires_at, ctx.now(), zone=ctx.zone)
    if MINT_NEW in outcome.steps:
        ctx.output.message(
            f"Rotated {name!r}: a new secret is stored and {ends}; the old one no longer works."
        )
    else:
        ctx.output.message(f"Rotated {name!r}: the new secret was already stored; it {ends}.")


def _rotate_printed(
    ctx: "AppContext",
    name: str,
    lifetime: "Expiry | None",
    grace: "timedelta | None",
    confirm_unstored: "Callable[[str], bool]",
) -> None:
    from iggy_cli.usecases import printed_rotation

    with printed_rotation.rotate_printed(ctx, name, lifetime, grace, confirm_unstored) as done:
        new = done.minted
        payload = {
            "name": new.name,
            "rotated": True,
            "expiry_at": iso_utc(done.expires_at),
            "resumed": False,
            "token": new.token,
            "replaced": done.old_name,
            "replaced_works_until": iso_utc(done.retiring_until),
        }
        if not ctx.output.emit(payload, primary=("token",)):
            ctx.output.token(new.token)
    ends = expires(done.expires_at, ctx.now(), zone=ctx.zone)
    if done.retiring_until is None:
        ctx.output.message(
            f"Rotated {done.old_name!r}: the new token is printed above and {ends}; the old "
            "one no longer works. Nothing is stored."
        )
        return
    grace_ends = when(done.retiring_until, ctx.now(), zone=ctx.zone)
    ctx.output.message(
        f"Rotated {done.old_name!r}: the new token, {new.name!r}, is printed above and {ends}; "
        f"{done.old_name!r} works until {grace_ends}, then `iggy pat prune` deletes it. "
        "Nothing is stored."
    )


def _print_token(ctx: "AppContext", token: str) -> None:
    """Print a token; if stdout cannot take it (closed, full), point stdout at /dev/null before
    saying so, or Python's flush at exit fails again on the same bytes (exit 120)."""
    import os

    try:
        ctx.output.token(token)  # stdout is guarded: closed or full, it raises OutputFailed
    except (OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        raise


def _resumed(outcome: "RotateOutcome") -> str:
    from iggy_cli.usecases import rotation_plan as rp

    found = {
        rp.STAND_IN: "the stored copy was its stand-in",
        rp.NEW: "the new secret was already stored",
    }.get(outcome.resumed or "", "it had not got past its stand-in, so it started again")
    return f"{found}; now: {', '.join(outcome.steps) or 'nothing left to do'}"

"""`pat rotate --no-store` (and `--grace`): a rotation for a pipeline, whose new token is
printed for its owner to keep, never stored here.

Nothing is stored, so no stand-in is needed to bridge a stored copy (usecases/rotation.py):
the old token is deleted and the new one minted under its name. A token created here with
`pat create --no-store` rotates this way by default (the names index records it).

With `--grace`, consumers that still hold the old token keep working for a while. Iggy cannot
rename a token and a user's token names are unique, so the old token keeps its name until its
grace is over and the new one takes the name's twin: `deploy` <-> `deploy.b`. Either name finds
the pair, so a pipeline that always says `pat rotate deploy --grace 1h` keeps working; the old
one is recorded as retiring in the journal, where `pat prune` (and the next rotation of the
pair) finds it once its grace is over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import NamedTuple

from iggy_cli.errors import (
    IggyCliError,
    Interrupted,
    NotFound,
    OutputFailed,
    StorageError,
    TokenNotDelivered,
    UsageError,
    quoted,
)
from iggy_cli.expiry import iso_utc
from iggy_cli.models import Expiry, MintedToken, PersonalAccessToken, us_from_datetime
from iggy_cli.runtime import AppContext
from iggy_cli.server.client import IggyClient
from iggy_cli.state.rotation_journal import Retiring
from iggy_cli.usecases import credential_choice
from iggy_cli.usecases import rotation_plan as rp
from iggy_cli.usecases.common import (
    ANY_NAME_BYTES,
    check_for_server,
    check_token_name,
    delete_checked,
    expires_at,
    mint,
    signed_in,
    spelling_on_server,
    withdrawn,
)
from iggy_cli.usecases.rotation import RotationFailed

TWIN_SUFFIX = ".b"


class PrintedRotation(NamedTuple):
    old_name: str
    minted: MintedToken  # the new token: under the old name, or with a grace under its twin
    expires_at: datetime | None
    retiring_until: datetime | None  # with a grace: until when the old token still works


def prints(ctx: AppContext, name: str, keep: bool) -> bool:
    """Whether rotating `name` prints the new token: asked (--no-store, or --store none), or
    a token created here with --no-store, whose rotation is not already under way, and of
    whose name no copy is stored (names are unique per user: another user's may be)."""
    if not keep or not ctx.keeps_tokens:
        return True
    address = ctx.settings.keyring
    if name not in ctx.names.printed(address):
        return False
    if name in ctx.names.stored(address, ctx.store_choice.kind):
        return False
    return ctx.rotations.get(ctx.settings.address, name) is None


def twins(name: str) -> tuple[str, str]:
    """The pair of names a token alternates between when rotated with a grace."""
    base = name.removesuffix(TWIN_SUFFIX) if name.endswith(TWIN_SUFFIX) else name
    return base, base + TWIN_SUFFIX


@contextmanager
def rotate_printed(
    ctx: AppContext,
    name: str,
    expiry: Expiry | None,
    grace: timedelta | None,
    confirm_unstored: Callable[[str], bool],
) -> Iterator[PrintedRotation]:
    """Rotate `name` and hand the new token to the caller, who prints it inside the block; a
    token that cannot be printed (OutputFailed) is deleted again, and with a grace the old
    one stays current. `expiry` None: the new token ends when the old one would have."""
    check_token_name(name, ANY_NAME_BYTES)
    if rp.is_stand_in(name):
        raise UsageError(f"{name!r} is a stand-in of a rotation, not a token to rotate")
    if expiry is not None:
        check_for_server(ctx, name, expiry)
    if not ctx.output.stdout_open:
        raise UsageError(
            "stdout is closed: a new token that is not stored would have nowhere to go",
            hint="keep stdout open, or rotate without --no-store to store it",
        )
    credential = credential_choice.require(ctx)
    address = ctx.settings.address
    with ctx.rotations.running(), signed_in(ctx, credential) as (client, identity):
        listed = {token.name: token for token in client.list_tokens()}
        name = spelling_on_server(client, name, set(listed))
        retiring = ctx.rotations.retiring(address)
        now = ctx.now()
        if grace is None:
            current = successor = name
            if name in retiring:
                raise UsageError(
                    f"{name!r} is retiring: a rotation with --grace replaced it by "
                    f"{retiring[name].successor!r}",
                    hint=f"rotate {retiring[name].successor!r} instead",
                )
        else:
            current, successor = _pair(ctx, client, name, listed, retiring, now)
        if current not in listed:
            raise NotFound(f"no token named {current!r} on the server to rotate")
        if not confirm_unstored(current):
            raise Interrupted("nothing was rotated")
        lifetime = expiry or rp.left_of(
            listed[current].expiry_at_us, us_from_datetime(now), current
        )
        until = None if grace is None else now + grace
        if until is None:
            # gone since the list counts as deleted; a lost answer is checked against the list
            delete_checked(client, current, set(listed))
        else:
            # recorded before the new token exists: a grace is never left unrecorded
            record = Retiring(us_from_datetime(until), successor, identity.user_id)
            ctx.rotations.retire(address, current, record)
        try:
            minted = mint(client, successor, lifetime)
        except (IggyCliError, KeyboardInterrupt) as error:
            raise _mint_failed(ctx, current, successor, until, error) from None
        ctx.names.add_printed(ctx.settings.keyring, minted.name)
        outcome = PrintedRotation(current, minted, expires_at(lifetime, ctx.now()), until)
        try:
            yield outcome
        except OutputFailed as failure:
            raise _withdraw(ctx, client, outcome, failure) from None


def _pair(
    ctx: AppContext,
    client: IggyClient,
    name: str,
    listed: dict[str, PersonalAccessToken],
    retiring: dict[str, Retiring],
    now: datetime,
) -> tuple[str, str]:
    """(the current token, the name its successor takes) for a rotation with a grace. A twin
    whose grace is over is deleted first, as `pat prune` would."""
    address = ctx.settings.address
    present = [twin for twin in twins(name) if twin in listed]
    for twin in list(present):
        record = retiring.get(twin)
        if record is not None and record.until_us <= us_from_datetime(now):
            delete_checked(client, twin, set(listed))
            ctx.rotations.retired(address, twin)
            present.remove(twin)
            del listed[twin]
    live = [twin for twin in present if twin not in retiring]
    if len(live) == 2:
        first, second = live
        raise UsageError(
            f"both {first!r} and {second!r} exist, and this machine's journal does not say "
            "which one a rotation with --grace replaced",
            hint="delete the one nothing uses (`iggy pat delete NAME --yes`), then rotate",
        )
    if not live:
        raise NotFound(f"no token named {name!r} on the server to rotate")
    current = live[0]
    successor = next(twin for twin in twins(name) if twin != current)
    if successor in present:
        ends = iso_utc(retiring[successor].until_us)
        raise UsageError(
            f"{successor!r}, which the last rotation replaced, is in its grace until {ends}",
            hint=f"`iggy pat prune --yes` deletes it once that is over; "
            f"`iggy pat delete {successor} --yes` ends it now",
        )
    try:
        check_token_name(successor)
    except UsageError as error:
        raise UsageError(
            f"with --grace the new token is named {quoted(successor)}: {error.message}",
            hint="rotate without --grace, or use a shorter name",
        ) from None
    return current, successor


def _mint_failed(
    ctx: AppContext,
    old: str,
    successor: str,
    until: datetime | None,
    error: IggyCliError | KeyboardInterrupt,
) -> IggyCliError:
    why = error.message if isinstance(error, IggyCliError) else "interrupted"
    code = error.exit_code if isinstance(error, IggyCliError) else Interrupted.exit_code
    if until is not None:
        with suppress(StorageError):
            ctx.rotations.retired(ctx.settings.address, old)
        return RotationFailed(
            f"rotation of {old!r} failed at minting {successor!r}: {why}; the old token "
            "works as before",
            getattr(error, "hint", None),
            code,
        )
    return RotationFailed(
        f"rotation of {old!r} failed at minting the new token: {why}; the old token was "
        "already deleted",
        f"`iggy pat create {old} EXPIRY --no-store` makes its successor",
        code,
    )


def _withdraw(
    ctx: AppContext, client: IggyClient, outcome: PrintedRotation, failure: OutputFailed
) -> TokenNotDelivered:
    """The new token reached no one: delete it; with a grace the old one stays current."""
    name = outcome.minted.name
    undone = withdrawn(client, name)
    if outcome.retiring_until is not None:
        with suppress(StorageError):
            ctx.rotations.retired(ctx.settings.address, outcome.old_name)
        undone += f"; {outcome.old_name!r} works as before"
    return TokenNotDelivered(
        f"the new token {name!r} could not be shown ({failure.message}); {undone}"
    )

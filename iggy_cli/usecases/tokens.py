"""`pat create`, `pat list`, `pat delete`: tokens on the server and their stored copies.

Order matters where a secret is at stake: the store is checked before the server mints
anything, and a minted token that could not be stored is handed back, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from iggy_cli.errors import (
    Declined,
    NotFound,
    OutputFailed,
    StorageError,
    TokenAlreadyExists,
    TokenNotDelivered,
    UsageError,
)
from iggy_cli.models import Expiry, MintedToken, PersonalAccessToken, us_from_datetime
from iggy_cli.runtime import AppContext
from iggy_cli.secrets.stores import (
    SESSION_TOKEN_NAME,
    CredentialStore,
    DuplicateEntry,
    NotKeptAsWritten,
    any_secret,
    token_service,
)
from iggy_cli.server.client import IggyClient
from iggy_cli.server.dialect import normalize_name
from iggy_cli.server.names import look_alike
from iggy_cli.state.indexes import fingerprint
from iggy_cli.usecases import credential_choice, ownership
from iggy_cli.usecases.common import (
    ANY_NAME_BYTES,
    check_data_folder,
    check_for_server,
    check_token_name,
    delete_checked,
    expires_at,
    mint,
    signed_in,
    spelling_on_server,
    withdrawn,
)

if TYPE_CHECKING:
    from iggy_cli.state.rotation_journal import JournalEntry

# --- pat create -------------------------------------------------------------------------------


class StoredEntry(NamedTuple):
    """Where a secret was stored: the store's kind, the entry (service, username), and for
    the token file its path."""

    kind: str
    service: str
    username: str
    path: str | None = None


class CreateOutcome(NamedTuple):
    minted: MintedToken
    expires_at: datetime | None
    stored_in: StoredEntry | None = None
    store_error: StorageError | None = None


@contextmanager
def create_token(ctx: AppContext, name: str, expiry: Expiry, keep: bool) -> Iterator[CreateOutcome]:
    """Mint a token and store it (with `keep` false or --store none it is only handed back);
    the caller shows it inside the block.

    A minted token is never lost: the store is checked before anything is minted (stdout too,
    when the token is only to be shown); a token that could not be stored is shown by the
    caller; and one that can be neither stored nor shown (stdout closed, full, or its reader
    gone) is deleted on the server again, while still signed in, and TokenNotDelivered says so.
    """
    check_token_name(name)
    check_for_server(ctx, name, expiry)
    keep = keep and ctx.keeps_tokens
    store = ctx.store() if keep else None
    if store is not None:
        store.check()
        check_data_folder(ctx)
    elif not ctx.output.stdout_open:
        raise UsageError(
            "stdout is closed: a new token that is not stored would have nowhere to go",
            hint="keep stdout open, or let the tool store the token (without --no-store)",
        )
    credential = credential_choice.require(ctx)
    with signed_in(ctx, credential) as (client, identity):
        if store is not None:
            ownership.check_replaceable(ctx, name, identity.user_id)
        try:
            minted = mint(client, name, expiry)
        except TokenAlreadyExists as error:
            import shlex

            rotate = f"iggy pat rotate {shlex.quote(name)}"
            raise TokenAlreadyExists(error.message, hint=f"for a new secret: `{rotate}`") from None
        outcome = _keep(ctx, store, minted, expires_at(expiry, ctx.now()), identity.user_id)
        try:
            yield outcome
        except OutputFailed as failure:
            if outcome.stored_in is not None:
                raise  # kept in the store: nothing is lost
            raise _withdraw(client, outcome, failure) from None


def _keep(
    ctx: AppContext,
    store: CredentialStore | None,
    minted: MintedToken,
    ends: datetime | None,
    user_id: int,
) -> CreateOutcome:
    if store is None:
        # its successor is to be printed too (pat rotate): it is someone else's to keep
        ctx.names.add_printed(ctx.settings.keyring, minted.name)
        return CreateOutcome(minted, ends)
    from iggy_cli import signals

    # Under the name the server created: `Deploy Key` is `deploy.key` up to 0.4.140.
    name = minted.name
    service = token_service(ctx.settings.keyring)
    try:
        store.set(service, name, minted.token)
    except NotKeptAsWritten as error:
        with suppress(StorageError):  # a damaged copy must not pass for the token later
            store.delete(service, name)
        return CreateOutcome(minted, ends, store_error=error)
    except StorageError as error:
        return CreateOutcome(minted, ends, store_error=error)
    except KeyboardInterrupt:
        failure = StorageError(f"storing it was interrupted ({signals.describe()})")
        return CreateOutcome(minted, ends, store_error=failure)
    except Exception as error:
        failure = StorageError(f"storing it failed: {type(error).__name__}")
        return CreateOutcome(minted, ends, store_error=failure)
    ctx.record_owner(name, user_id, fingerprint(minted.token))
    return CreateOutcome(minted, ends, stored_in=stored_entry(ctx, service, name))


def _withdraw(
    client: IggyClient, outcome: CreateOutcome, failure: OutputFailed
) -> TokenNotDelivered:
    """Delete a token that reached no one; the error says what happened to it."""
    name = outcome.minted.name
    undone = withdrawn(client, name)
    if outcome.store_error is None:
        what = f"was created but could not be shown ({failure.message}) and is not stored"
    else:
        what = (
            f"was created but could be neither stored ({outcome.store_error.message}) "
            f"nor shown ({failure.message})"
        )
    hint = outcome.store_error.hint if outcome.store_error else None
    return TokenNotDelivered(f"token {name!r} {what}; {undone}", hint=hint)


def stored_entry(ctx: AppContext, service: str, username: str) -> StoredEntry:
    kind = ctx.store_choice.kind
    if kind == "file" and ctx.store_factory is None:
        from iggy_cli.state.paths import token_file

        return StoredEntry(kind, service, username, token_file(ctx.environ))
    return StoredEntry(kind, service, username)


# --- pat list ---------------------------------------------------------------------------------


class TokenRow(NamedTuple):
    token: PersonalAccessToken
    expired: bool
    stored: bool
    retiring_until_us: int | None = None  # replaced by `pat rotate --grace`: works until then


def list_tokens(ctx: AppContext) -> list[TokenRow]:
    """The server's tokens; "stored" comes from the local names index, not the keyring, which
    cannot be listed and is slow to open."""
    credential = credential_choice.require(ctx)
    with signed_in(ctx, credential) as (client, identity):
        tokens = client.list_tokens()
    ctx.names.saw(ctx.settings.keyring, [token.name for token in tokens])
    # another user's copy of the same name is not a copy of this token
    copies = ownership.recorded(ctx)
    stored = ownership.mine(copies, identity.user_id) | ownership.unclaimed(copies)
    if _login_session_kept(ctx):
        stored.add(SESSION_TOKEN_NAME)  # kept as the session, not under its name
    now = ctx.now()
    try:
        retiring = ctx.rotations.retiring(ctx.settings.address)
    except StorageError:
        retiring = {}  # a list is still worth showing without it
    ends = {
        name: record.until_us
        for name, record in retiring.items()
        if record.user_id in (None, identity.user_id)
    }
    return [
        TokenRow(token, token.is_expired(now), token.name in stored, ends.get(token.name))
        for token in tokens
    ]


def _login_session_kept(ctx: AppContext) -> bool:
    """Whether `iggy login` keeps this server's session here (from the sessions index: no
    keyring read, which `pat list` avoids)."""
    record = ctx.sessions.get(ctx.settings.keyring)
    return record is not None and bool(record.get("owned")) and record.get("kept") is None


class TokenDetail(NamedTuple):
    """One token, for `pat show`: the server's view and the stored copy's."""

    token: PersonalAccessToken
    expired: bool
    store_kind: str
    service: str  # the stored copy's entry: service and username (the token's name)
    stored: bool | None  # None: the store could not be read (see problem)
    owner: int | None  # whose the copy is, when known (names index)
    problem: str | None


def show_token(ctx: AppContext, name: str) -> TokenDetail:
    """One token as the server lists it, and whether a copy is stored here (read from the
    store itself, not the names index: one entry costs little, and this is the exact answer)."""
    check_token_name(name, ANY_NAME_BYTES)
    credential = credential_choice.require(ctx)
    with signed_in(ctx, credential) as (client, _):
        tokens = {token.name: token for token in client.list_tokens()}
        name = spelling_on_server(client, name, set(tokens))
    if name not in tokens:
        raise NotFound(f"no token named {name!r} on the server", hint="`iggy pat list` shows yours")
    service = token_service(ctx.settings.keyring)
    stored: bool | None
    problem = None
    try:
        stored = any_secret(ctx.store(), service, name) is not None
    except StorageError as error:
        stored, problem = None, error.message
    owner = ctx.names.owners(ctx.settings.keyring, ctx.store_choice.kind).get(name)
    token = tokens[name]
    return TokenDetail(
        token, token.is_expired(ctx.now()), ctx.store_choice.kind, service, stored, owner, problem
    )


def needing_attention(
    rows: list[TokenRow],
    now: datetime,
    window: timedelta | None,
    expired: bool,
    include_session: bool = False,
) -> list[TokenRow]:
    """Rows that expire within `window` (not yet expired), and, with `expired`, expired rows.
    The login session's own token (`iggy-cli-session`, 15 minutes by default) is left out
    unless `include_session`: it is meant to expire soon, and would alert every time."""
    chosen = []
    now_us = us_from_datetime(now)
    window_us = None if window is None else window // timedelta(microseconds=1)
    for row in rows:
        if row.token.name == SESSION_TOKEN_NAME and not include_session:
            continue
        ends = row.token.expiry_at_us  # exact: a datetime would clamp at year 9999
        soon = window_us is not None and ends is not None and now_us < ends <= now_us + window_us
        if soon or (expired and row.expired):
            chosen.append(row)
    return chosen


# --- pat delete -------------------------------------------------------------------------------


class DeleteOutcome(NamedTuple):
    name: str
    deleted_on_server: bool
    removed_locally: bool
    local_error: str | None = None
    kept: ownership.Copy | None = None  # a stored copy left alone: whose it is
    look_alike: str | None = None  # a name on the server that looks the same (server/names.py)


def delete_tokens(
    ctx: AppContext, names: list[str], confirm: Callable[[list[str]], bool]
) -> Iterator[DeleteOutcome]:
    """Delete each token on the server, then its stored copy if it is the signed-in user's
    (or dead); yields as it goes. `confirm` is asked, once, about the names the server has,
    after checking that it has them; declining raises Declined, with nothing deleted."""
    for name in names:
        check_token_name(name, ANY_NAME_BYTES)
    credential = credential_choice.require(ctx)
    with signed_in(ctx, credential) as (client, identity):
        on_server = {token.name for token in client.list_tokens()}
        present = [
            name for name in names if spelling_on_server(client, name, on_server) in on_server
        ]
        if present and not confirm(present):
            raise Declined("Nothing deleted.")
        for name in names:
            spellings = [name]
            deleted = False
            if name in present:
                spellings = list(dict.fromkeys((name, delete_checked(client, name, on_server))))
                deleted = True
            outcome = _delete_copies(ctx, name, spellings, deleted, identity.user_id)
            yield outcome._replace(look_alike=None if deleted else look_alike(name, on_server))


def _delete_copies(
    ctx: AppContext, name: str, spellings: list[str], deleted: bool, user_id: int
) -> DeleteOutcome:
    """The stored copies of a token, removed if they are the user's (or dead). A store that
    cannot be opened (no keyring) is only an error when the names index says a copy of that
    name was kept there: otherwise there was simply nothing local to remove."""
    kept_here = ctx.names.stored(ctx.settings.keyring, ctx.store_choice.kind)
    removed, local_error, kept = False, None, None
    for spelling in spellings:
        try:
            copy = ownership.copy_of(ctx, spelling, user_id)
            if not copy.replaceable:
                kept = copy
                continue
            removed = _remove_copy(ctx, spelling, copy) or removed
        except StorageError as error:
            if spelling in kept_here:
                local_error = error.message
    return DeleteOutcome(name, deleted, removed, local_error, kept)


def _remove_copy(ctx: AppContext, name: str, copy: ownership.Copy | None = None) -> bool:
    """Remove the stored copy (when `copy` says there is one) and its record."""
    absent = copy is not None and copy.whose == "none"
    removed = not absent and ctx.store().delete(token_service(ctx.settings.keyring), name)
    ctx.names.forget(ctx.settings.keyring, name)
    return removed


# --- pat token, pat prune -----------------------------------------------------------------------


def stored_token(ctx: AppContext, name: str) -> str:
    """The raw token stored under `name` for this server (no request is sent, so of several
    different secrets in one entry none can be told right: that is an error)."""
    credential = credential_choice.stored_token(ctx, name)
    if credential.alternatives and credential.entry is not None:
        secrets = (credential.secret, *credential.alternatives)
        raise DuplicateEntry(*credential.entry, secrets)
    if credential.unconfirmed:
        shown = credential.token_name or name
        raise StorageError(
            f"the stored copy of {shown!r} is not the one this tool stored (damaged, or "
            "rewritten by another program since); it is not printed",
            hint=f"`iggy -n {shown} status` tries it on the server, and keeps it if it works",
        )
    return credential.secret


def exec_with_tokens(ctx: AppContext, variables: list[tuple[str, str]], command: list[str]) -> None:
    """`pat exec`: every token (VARIABLE, NAME) is read from the store first, so a missing one
    fails before the command starts; then the tool becomes the command, the tokens in its
    environment only (never its arguments, the screen or a file)."""
    added = {variable: stored_token(ctx, name) for variable, name in variables}
    ctx.exec_command(command, {**ctx.environ, **added})


class PruneOutcome(NamedTuple):
    expired: list[str]
    orphans: list[str]
    stand_ins: list[str]
    dry_run: bool
    # stored copies left alone, with whose they are: an expired token's copy that is not the
    # signed-in user's, and --orphans candidates whose owner is unknown
    kept: tuple[tuple[str, ownership.Copy], ...] = ()
    # old tokens whose grace after `pat rotate --grace` is over
    retired: tuple[str, ...] = ()


def prune(ctx: AppContext, expired: bool, orphans: bool, dry_run: bool) -> PruneOutcome:
    """Delete leftover stand-ins of rotations, expired tokens (with `expired`; server and local
    copy), and local copies of tokens the server no longer has (with `orphans`; known from the
    names index, since a keyring cannot be listed). Only the signed-in user's copies are
    removed (usecases/ownership.py). Old tokens kept alive by `pat rotate --grace` are deleted
    once their grace is over, whatever the flags: that is what the grace promised."""
    from iggy_cli.usecases import rotation_plan

    credential = credential_choice.require(ctx)
    address = ctx.settings.keyring
    service = token_service(address)
    # Holding the rotation lock: no rotation is half-way through minting or storing a stand-in
    # while this run decides which stand-ins nothing needs.
    with ctx.rotations.running(), signed_in(ctx, credential) as (client, identity):
        tokens = client.list_tokens()
        now = ctx.now()
        in_progress = ctx.rotations.entries(ctx.settings.address)  # keyed as rotate keys it
        needed = _stand_ins_in_use(ctx, service, in_progress)
        leftovers = sorted(
            token.name
            for token in tokens
            # A stand-in always expires: a never-expiring namesake is someone's own token.
            if rotation_plan.is_stand_in(token.name)
            and token.expiry_at_us is not None
            and token.name not in needed
        )
        on_server = {token.name for token in tokens}
        retiring = ctx.rotations.retiring(ctx.settings.address)
        now_us = us_from_datetime(now)
        retired = sorted(
            name
            for name, record in retiring.items()
            if name in on_server
            and record.until_us <= now_us
            and record.user_id in (None, identity.user_id)  # names are unique per user only
        )
        doomed = [
            token.name
            for token in tokens
            if expired
            and token.is_expired(now)
            and token.name not in leftovers
            and token.name not in retired
        ]
        copies = ownership.recorded(ctx) if orphans else {}
        # A copy stored as `Deploy Key` is the copy of `deploy.key` on a server that renames
        # (and may be, on one that was upgraded since): never an orphan.
        orphaned = sorted(
            name
            for name in ownership.mine(copies, identity.user_id) - on_server
            if normalize_name(name) not in on_server
        )
        kept = [(name, ownership.Copy("unknown")) for name in sorted(ownership.unclaimed(copies))]
        kept = [(name, copy) for name, copy in kept if name not in on_server]
        if dry_run:
            return PruneOutcome(doomed, orphaned, leftovers, True, tuple(kept), tuple(retired))
        for name in [*leftovers, *doomed, *retired]:
            delete_checked(client, name, on_server)  # gone already: the server's cleaner, say
        for name, record in retiring.items():
            mine = record.user_id in (None, identity.user_id)
            if name in retired or (name not in on_server and mine):
                ctx.rotations.retired(ctx.settings.address, name)
        for name, entry in in_progress.items():
            if entry.stand_in not in needed:  # nothing left to resume: its stand-in is gone
                ctx.rotations.drop(ctx.settings.address, name)
        local = list(orphaned)
        for name in doomed:
            copy = ownership.copy_of(ctx, name, identity.user_id)
            if copy.replaceable:
                local.append(name)
            else:
                kept.append((name, copy))
    for name in local:
        _remove_copy(ctx, name)
    gone = set(doomed) | set(leftovers) | set(retired)
    ctx.names.saw(ctx.settings.keyring, sorted(on_server - gone))
    for name in retired:
        ctx.names.forget(ctx.settings.keyring, name)
    return PruneOutcome(doomed, orphaned, leftovers, False, tuple(kept), tuple(retired))


def _stand_ins_in_use(
    ctx: AppContext, service: str, in_progress: dict[str, JournalEntry]
) -> set[str]:
    """Stand-ins that interrupted rotations still need: each one that is its NAME's stored copy
    (a copy that cannot be read counts as needed: better kept than a stranded user)."""
    from iggy_cli.usecases import rotation_plan

    digests: dict[str, str | None] = {}
    for name in in_progress:
        with suppress(StorageError):
            secret = ctx.store().get(service, name)
            digests[name] = None if secret is None else fingerprint(secret)
    return rotation_plan.stand_ins_in_use(in_progress, digests)

"""`pat rotate`: a new secret under the same name, and never a moment without a working copy.

The steps, and how an interrupted rotation is resumed, are in rotation_plan.py; this
module carries them out. What it promises, whatever fails (a refusal, an answer lost after the
server acted, a dead or hung keyring, Ctrl-C, SIGTERM, SIGHUP):

- the stored copy works at every moment: it is the old token until the stand-in is stored, the
  stand-in until the new token is stored;
- the new secret is stored or, if storing it fails, printed once on stdout (exit 7);
- a failed delete of the old token puts the old secret back only when the server still has
  the old token (the delete may have been carried out with its answer lost);
- a journal entry (rotation_journal.py) is written before each step that changes anything and
  removed at the end, so `iggy pat rotate NAME` run again carries an interrupted rotation
  through; every failure says what the stored copy is, and advice that works.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import ExitStack, suppress
from datetime import datetime, timedelta
from typing import NamedTuple

from iggy_cli import signals
from iggy_cli.errors import (
    Declined,
    IggyCliError,
    NotFound,
    StorageError,
    TokenNotStored,
    UsageError,
)
from iggy_cli.expiry import iso_utc, local_time, relative_words
from iggy_cli.models import Expiry, MintedToken, PersonalAccessToken, us_from_datetime
from iggy_cli.runtime import AppContext
from iggy_cli.secrets.stores import (
    SESSION_TOKEN_NAME,
    CredentialStore,
    NotKeptAsWritten,
    session_service,
    token_service,
)
from iggy_cli.server.client import IggyClient
from iggy_cli.signals import Interrupt
from iggy_cli.state.rotation_journal import JournalEntry
from iggy_cli.usecases import credential_choice, ownership
from iggy_cli.usecases import rotation_plan as rp
from iggy_cli.usecases.common import (
    ANY_NAME_BYTES,
    check_data_folder,
    check_for_server,
    check_token_name,
    expires_at,
    mint,
    signed_in,
    spelling_on_server,
)


class RotationFailed(IggyCliError):
    """A step failed; the message says what the stored copy is now, the hint what to do."""

    def __init__(self, message: str, hint: str | None, exit_code: int) -> None:
        super().__init__(message, hint)
        self.exit_code = exit_code


class RotateOutcome(NamedTuple):
    name: str
    expires_at: datetime | None  # when the new token ends; None: never (or the server decides)
    resumed: str | None  # what the stored copy was when an interrupted rotation was resumed
    steps: tuple[str, ...]  # the steps this run carried out (rotation_plan's names)
    warnings: list[str]


def rotate(
    ctx: AppContext,
    name: str,
    expiry: Expiry | None,
    hand_over: Callable[[str], None],
    confirm_unstored: Callable[[str], bool] = lambda name: True,
) -> RotateOutcome:
    """Rotate `name`, or carry an interrupted rotation of it through. `expiry` None: the new
    token ends when the old one would have. `hand_over` prints a new token that could not be
    stored; it is called at most once, with signals held. `confirm_unstored` is asked before
    rotating a token with no stored copy here: its secret is someone else's (a CI job's), and
    the rotation ends it; declining raises Declined with nothing changed."""
    check_token_name(name, ANY_NAME_BYTES)
    if rp.is_stand_in(name):
        raise UsageError(
            f"{name!r} is a stand-in of a rotation, not a token to rotate",
            hint="`iggy pat prune --yes` removes stand-ins that nothing needs",
        )
    if expiry is not None:
        check_for_server(ctx, name, expiry)
    store = ctx.store()
    store.check()
    check_data_folder(ctx)
    credential = credential_choice.require(ctx)
    address = ctx.settings.address
    with signals.guard() as held, ExitStack() as stack:
        with held.interruptible():
            stack.enter_context(ctx.rotations.running())
            client, identity = stack.enter_context(signed_in(ctx, credential))
            listed = {token.name: token for token in client.list_tokens()}
            # a server that renames tokens (up to 0.4.140) knows `Deploy Key` as `deploy.key`
            name = spelling_on_server(client, name, set(listed))
            ownership.check_replaceable(ctx, name, identity.user_id)
            stored = store.get(token_service(ctx.settings.keyring), name)
            entry = ctx.rotations.get(address, name)
            unstored = stored is None and entry is None and name in listed
            if unstored and not confirm_unstored(name):
                raise Declined("Nothing rotated.")
        digest = rp.fingerprint(stored) if stored is not None else None
        decided = rp.plan(name, entry, digest, listed)
        rotation = _Rotation(ctx, held, client, store, name, hand_over)
        rotation.stored = stored
        rotation.user_id = identity.user_id
        return rotation.carry_out(decided, entry, listed, expiry)


class _Rotation:
    """One run's state: what it knows of the secrets in play, and the journal entry."""

    def __init__(
        self,
        ctx: AppContext,
        held: signals.Held,
        client: IggyClient,
        store: CredentialStore,
        name: str,
        hand_over: Callable[[str], None],
    ) -> None:
        self.ctx = ctx
        self.signals = held
        self.client = client
        self.store = store
        self.name = name
        self.hand_over = hand_over
        self.address = ctx.settings.address
        self.service = token_service(ctx.settings.keyring)
        self.user_id: int | None = None
        self.stored: str | None = None  # the stored copy, as far as this run knows
        self.held = rp.OLD  # what the stored copy is (rotation_plan's words)
        self.old: str | None = None  # the old secret, when this run started the rotation
        self.old_known = False
        self.entry: JournalEntry | None = None
        self.stand_in_secret: str | None = None
        self.stand_in_ends: datetime | None = None
        self.expires_at: datetime | None = None
        self.warnings: list[str] = []

    # --- the plan ---------------------------------------------------------------------------

    def carry_out(
        self,
        decided: rp.Plan,
        entry: JournalEntry | None,
        listed: dict[str, PersonalAccessToken],
        expiry: Expiry | None,
    ) -> RotateOutcome:
        self.entry = entry
        self.held = decided.held or rp.OLD
        if entry is not None and entry.stand_in in listed:
            self.stand_in_ends = listed[entry.stand_in].expiry_at
        if self.name in listed:
            self.expires_at = listed[self.name].expiry_at
        target = None
        if rp.MINT_STAND_IN in decided.steps:
            target = self._target(expiry, listed[self.name])
            rp.lifetime(
                target, us_from_datetime(self.ctx.now()), self.name
            )  # a lifetime already over: say so now
        elif rp.MINT_NEW in decided.steps and entry is not None:
            if expiry is not None:  # asked for now: it wins over the one recorded
                entry = entry._replace(lifetime_us=expiry.microseconds, label=expiry.label)
                try:
                    self._write_journal(entry)
                except StorageError as error:
                    raise self._failed(
                        "updating the journal", error, "nothing changed", self._run_again("")
                    ) from None
            rp.lifetime(entry, us_from_datetime(self.ctx.now()), self.name)
        steps = {
            rp.FORGET_PREVIOUS: self._forget_previous,
            rp.MINT_STAND_IN: lambda: self._mint_stand_in(target),
            rp.STORE_STAND_IN: self._store_stand_in,
            rp.DELETE_OLD: self._delete_old,
            rp.MINT_NEW: self._mint_and_store_new,
            rp.STORE_NEW: lambda: None,  # done by MINT_NEW's function: the secret must not wait
            rp.DROP_STAND_IN: self._drop_stand_in,
        }
        for step in decided.steps:
            steps[step]()
        self._close_journal()
        if not decided.found:
            raise NotFound(f"no token named {self.name!r} on the server to rotate")
        return RotateOutcome(self.name, self.expires_at, decided.held, decided.steps, self.warnings)

    def _target(self, expiry: Expiry | None, old: PersonalAccessToken) -> JournalEntry:
        """A journal entry for a rotation starting now (its stand-in not yet named)."""
        return JournalEntry(
            stand_in="",
            started_at=iso_utc(self.ctx.now()) or "",
            user_id=self.user_id,
            lifetime_us=None if expiry is None else expiry.microseconds,
            label="as before" if expiry is None else expiry.label,
            ends_at_us=old.expiry_at_us if expiry is None else None,
            old_sha256=rp.fingerprint(self.stored) if self.stored is not None else None,
        )

    # --- the steps --------------------------------------------------------------------------

    def _forget_previous(self) -> None:
        """An earlier rotation's stand-in that nothing stores any more: delete it."""
        assert self.entry is not None
        previous = self.entry.stand_in
        if not self._delete_quietly(previous):
            self.warnings.append(
                f"the stand-in {previous!r} of an earlier rotation may still be on the server; "
                f"it expires by itself, and `iggy pat prune --yes` removes it now"
            )
        self.stand_in_ends = None

    def _mint_stand_in(self, target: JournalEntry | None) -> None:
        assert target is not None
        self.old, self.old_known = self.stored, True
        entry = target._replace(stand_in=rp.stand_in_name(secrets.token_hex(4)))
        try:
            self._write_journal(entry)
        except StorageError as error:
            raise self._failed(
                "starting the journal", error, "nothing changed", self._run_again("")
            ) from None
        step = "minting a stand-in"
        try:
            with self.signals.interruptible():
                minted = self.client.create_token(entry.stand_in, rp.STAND_IN_LIFETIME_US)
                self.stand_in_ends = self.ctx.now() + timedelta(
                    microseconds=rp.STAND_IN_LIFETIME_US
                )
                step = "checking the stand-in"
                self._prove(minted)
        except (IggyCliError, Interrupt) as error:
            # The create may have been carried out with its answer lost: remove what may be.
            raise self._abandon_stand_in(step, error) from None
        self.stand_in_secret = minted.token

    def _store_stand_in(self) -> None:
        assert self.entry is not None and self.stand_in_secret is not None
        entry = self.entry._replace(stand_in_sha256=rp.fingerprint(self.stand_in_secret))
        try:  # a stand-in is stored only once the journal can recognise it
            self._write_journal(entry)
        except StorageError as error:
            raise self._abandon_stand_in("updating the journal", error) from None
        try:
            with self.signals.interruptible():
                self.store.set(self.service, self.name, self.stand_in_secret)
        except NotKeptAsWritten as error:
            raise self._stand_in_not_kept(error) from None
        except (IggyCliError, Interrupt) as error:
            # A timeout or a signal abandons the keyring call, not the write: it may land yet,
            # so the stand-in stays (it expires by itself) and so does the journal.
            raise self._failed(
                "storing the stand-in",
                error,
                f"the stored copy is the old token or, if the keyring completes the write late, "
                f"the stand-in {self._stand_in_name()!r}{self._until(self.stand_in_ends)}",
                f"run `iggy pat rotate {self.name}` again to finish the rotation, or "
                "`iggy pat prune --yes` to drop the stand-in",
            ) from None
        self._record(self.stand_in_secret)
        self._follow_session(self.stored, self.stand_in_secret)
        self.stored, self.held = self.stand_in_secret, rp.STAND_IN

    def _delete_old(self) -> None:
        try:
            with self.signals.interruptible():
                self.client.delete_token(self.name)
            return
        except NotFound:
            return  # gone already: a repeated DELETE, or someone else
        except (IggyCliError, Interrupt) as error:
            failure = error
        if not isinstance(failure, Interrupt):
            still_there = self._on_server(self.name)
            if still_there is False:
                return  # carried out, its answer lost
            if still_there and self.old_known:
                raise self._put_back(failure) from None
        raise self._failed(
            "deleting the old token", failure, self._holds(), self._run_again()
        ) from None

    def _mint_and_store_new(self) -> None:
        """MINT_NEW and STORE_NEW. From the mint until the token is stored or printed, its
        secret exists only in this process: signals are held, except while storing (a hung
        keyring must stay interruptible), and any failure hands the token over."""
        assert self.entry is not None
        lifetime = rp.lifetime(self.entry, us_from_datetime(self.ctx.now()), self.name)
        try:
            # An answer lost here (mint says so, exit 9) leaves a new NAME whose secret never
            # arrived; running the rotation again deletes it (the stored copy is the stand-in)
            # and mints another.
            minted = mint(self.client, self.name, lifetime)
        except IggyCliError as error:
            raise self._failed(
                "minting the new token", error, self._holds(), self._run_again()
            ) from None
        self.expires_at = expires_at(lifetime, self.ctx.now())
        entry = self.entry._replace(new_sha256=rp.fingerprint(minted.token))
        # Best effort: without the digest, a later run cannot tell the stored copy is the new
        # token and rotates once more instead of only tidying up. The token must not wait.
        with suppress(StorageError):
            self._write_journal(entry)
        try:
            with self.signals.interruptible():
                self.store.set(self.service, self.name, minted.token)
        except (IggyCliError, Interrupt) as error:
            raise self._hand_over(minted, error) from None
        self._follow_session(self.stored, minted.token)
        self.stored, self.held = minted.token, rp.NEW
        self._record(minted.token, self.user_id)

    def _drop_stand_in(self) -> None:
        assert self.entry is not None
        name = self.entry.stand_in
        try:
            with self.signals.interruptible():
                self.client.delete_token(name)
        except NotFound:
            pass
        except (IggyCliError, Interrupt) as error:
            ends = self.stand_in_ends
            when = "" if ends is None else f" at {self._at(ends)}"
            self.warnings.append(
                f"could not make sure the stand-in {name!r} was deleted ({_cause(error)}); "
                f"it stops working by itself{when}, and `iggy pat prune --yes` removes it now"
            )

    # --- failures ---------------------------------------------------------------------------

    def _failed(
        self, step: str, error: IggyCliError | Interrupt, holds: str, hint: str | None
    ) -> RotationFailed:
        code = signals.exit_code(error) if isinstance(error, Interrupt) else error.exit_code
        message = f"rotation of {self.name!r} failed at {step}: {_cause(error)}; {holds}"
        return RotationFailed(message, hint, code)

    def _abandon_stand_in(self, step: str, error: IggyCliError | Interrupt) -> RotationFailed:
        """Before the stand-in is stored: remove it (if it exists) and the journal entry."""
        assert self.entry is not None
        if self._delete_quietly(self.entry.stand_in):
            self._drop_journal()
            return self._failed(step, error, "nothing changed", self._run_again(""))
        return self._failed(
            step,
            error,
            f"the stored copy is the old token, unchanged; the stand-in "
            f"{self.entry.stand_in!r} may be on the server{self._by(self.stand_in_ends)}",
            f"run `iggy pat rotate {self.name}` again, or `iggy pat prune --yes` to remove the "
            "stand-in",
        )

    def _put_back(self, error: IggyCliError) -> RotationFailed:
        """The old token survived a failed delete: store it again, drop the stand-in."""
        step = "deleting the old token"
        try:
            with self.signals.interruptible():
                if self.old is None:
                    self.store.delete(self.service, self.name)
                else:
                    self.store.set(self.service, self.name, self.old)
        except (IggyCliError, Interrupt):
            return self._failed(step, error, self._holds(), self._run_again())
        if self.old is not None:
            self._record(self.old)
            self._follow_session(self.stored, self.old)
        self.stored, self.held = self.old, rp.OLD
        holds = (
            "the stored copy is the old token again" if self.old else "nothing is stored, as before"
        )
        assert self.entry is not None
        if self._delete_quietly(self.entry.stand_in):
            self._drop_journal()
        else:
            holds += f"; the unused stand-in {self.entry.stand_in!r} expires by itself"
        return self._failed(step, error, holds, self._run_again(""))

    def _hand_over(self, minted: MintedToken, error: IggyCliError | Interrupt) -> IggyCliError:
        """The new token could not be stored: print it (signals are held while it is)."""
        if isinstance(error, NotKeptAsWritten):
            self._write_back_stand_in()
        holds = self._holds()
        try:
            self.hand_over(minted.token)
        except Exception as failure:  # a closed or full stdout
            # A token nobody can have is deleted, as `pat create` does; if that fails too,
            # running the rotation again deletes it (the stored copy is the stand-in).
            gone = "deleted it" if self._delete_quietly(self.name) else "could not delete it"
            why = failure.message if isinstance(failure, IggyCliError) else type(failure).__name__
            return self._failed(
                "storing the new token",
                error,
                f"printing it failed too ({why}), so the tool {gone} on the server; {holds}",
                self._run_again(),
            )
        ends = "never expires" if self.expires_at is None else f"ends {self._at(self.expires_at)}"
        return TokenNotStored(
            f"rotation of {self.name!r}: the new token was created ({ends}) but not stored: "
            f"{_cause(error)}; it is printed above, save it now; {holds}",
            hint=f"if you do not keep it, run `iggy pat rotate {self.name}` again once the "
            "keyring works: that replaces the printed token with one it stores",
        )

    def _stand_in_not_kept(self, error: NotKeptAsWritten) -> IggyCliError:
        """The keyring holds a damaged stand-in: put the old token back (read back too), then
        drop the stand-in; if the old token cannot be kept either, print it, since the store
        no longer holds it."""
        assert self.entry is not None
        step = "storing the stand-in"
        try:
            with self.signals.interruptible():
                if self.old is None:
                    self.store.delete(self.service, self.name)
                else:
                    self.store.set(self.service, self.name, self.old)
        except (IggyCliError, Interrupt) as failure:
            if self.old is None:
                holds = f"the keyring holds a damaged copy under {self.name!r} ({_cause(failure)})"
            else:
                try:
                    self.hand_over(self.old)
                    holds = (
                        f"putting the old token back failed too ({_cause(failure)}): it still "
                        "works, and is printed above; save it now"
                    )
                except Exception:  # a closed or full stdout: the old token is still on the server
                    holds = (
                        f"putting the old token back failed too ({_cause(failure)}); the old "
                        "token still works on the server"
                    )
            if self._delete_quietly(self.entry.stand_in):
                self._drop_journal()
            return self._failed(step, error, holds, self._run_again(" once the keyring works"))
        if self._delete_quietly(self.entry.stand_in):
            self._drop_journal()
            holds = "the stored copy is the old token again; nothing changed"
        else:
            holds = (
                f"the stored copy is the old token again; the unused stand-in "
                f"{self.entry.stand_in!r} expires by itself"
            )
        return self._failed(step, error, holds, self._run_again(" once the keyring works"))

    def _write_back_stand_in(self) -> None:
        """After the keyring damaged the new token's copy: the stand-in, which still works,
        goes back in its place (read back too), so a working copy stays stored."""
        if self.held != rp.STAND_IN or self.stored is None:
            return
        try:
            with self.signals.interruptible():
                self.store.set(self.service, self.name, self.stored)
        except (IggyCliError, Interrupt):
            self.held = rp.DAMAGED
            return
        self._record(self.stored)

    def _record(self, secret: str, user_id: int | None = None) -> None:
        """The copy this run just stored, by digest (`pat token` checks it against this)."""
        self.ctx.record_owner(self.name, user_id, rp.fingerprint(secret))

    def _holds(self) -> str:
        """What the stored copy is now, in words."""
        if self.held == rp.STAND_IN:
            name = self._stand_in_name()
            return f"the stored copy is the stand-in {name!r}{self._until(self.stand_in_ends)}"
        return {
            rp.OLD: "the stored copy is the old token, unchanged",
            rp.NEW: "the stored copy is the new token",
            rp.NOTHING: f"nothing is stored under {self.name!r}",
            rp.DAMAGED: f"the keyring holds a damaged copy under {self.name!r}",
        }.get(self.held, "the stored copy is unchanged")

    def _run_again(self, to: str = " to finish the rotation") -> str:
        return f"run `iggy pat rotate {self.name}` again{to}"

    def _stand_in_name(self) -> str:
        return self.entry.stand_in if self.entry is not None else "?"

    def _until(self, ends: datetime | None) -> str:
        if ends is None:
            return ""
        verb = "works until" if ends > self.ctx.now() else "expired at"
        return f", which {verb} {self._at(ends)}"

    def _by(self, ends: datetime | None) -> str:
        return "" if ends is None else f" until {self._at(ends)}"

    def _at(self, instant: datetime) -> str:
        now = self.ctx.now()
        return f"{local_time(instant, zone=self.ctx.zone)} ({relative_words(instant, now)})"

    # --- small helpers ----------------------------------------------------------------------

    def _prove(self, minted: MintedToken) -> None:
        """Log in (and out) with a fresh token, on a connection of its own."""
        credential = credential_choice.Credential(
            "token", "rotation", minted.token, token_name=minted.name
        )
        with signed_in(self.ctx, credential):
            pass

    def _on_server(self, name: str) -> bool | None:
        """Whether the server lists `name`; None when it cannot be asked."""
        try:
            with self.signals.interruptible():
                return name in {token.name for token in self.client.list_tokens()}
        except (IggyCliError, Interrupt):
            return None

    def _delete_quietly(self, name: str) -> bool:
        """Delete `name` on the server; True when it is gone (or was never there)."""
        try:
            with self.signals.interruptible():
                self.client.delete_token(name)
        except NotFound:
            return True
        except (IggyCliError, Interrupt):
            return False
        return True

    def _follow_session(self, previous: str | None, new: str) -> None:
        """If this server's session is the token being rotated (`pat login NAME`), keep it so."""
        service = session_service(self.ctx.settings.keyring)
        # Not interruptible: a signal here waits for the next step, which says what it cut.
        with suppress(IggyCliError):
            if previous is not None and self.store.get(service, SESSION_TOKEN_NAME) == previous:
                self.store.set(service, SESSION_TOKEN_NAME, new)

    def _write_journal(self, entry: JournalEntry) -> None:
        self.ctx.rotations.put(self.address, self.name, entry)
        self.entry = entry

    def _drop_journal(self) -> bool:
        try:
            self.ctx.rotations.drop(self.address, self.name)
        except StorageError:
            return False
        return True

    def _close_journal(self) -> None:
        if self.entry is not None and not self._drop_journal():
            self.warnings.append(
                f"could not remove the finished rotation from {self.ctx.rotations.path}"
            )


def _cause(error: IggyCliError | Interrupt) -> str:
    return f"interrupted ({error.words})" if isinstance(error, Interrupt) else error.message

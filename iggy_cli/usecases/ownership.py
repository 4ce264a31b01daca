"""Whose a stored copy is: nothing run as one user removes or replaces another user's copy.

Token names are unique per user, not per server (two users can each have `deploy`), but a
keyring entry is named by server and token name only (`iggy:<address>` / NAME, where Iggy's
own CLI looks, so it stays so). The names index therefore records, for each stored copy, the
user it belongs to (state/indexes.py, NameIndex). The rules:

- `pat delete`, `pat prune --expired`, `pat rotate` and `pat create` remove or replace a
  stored copy only when it is the signed-in user's, or no longer signs in at all.
- `pat prune --orphans` removes only the signed-in user's copies; a copy whose owner is
  unknown is never removed by it (`mine` and `unclaimed` below are the two sets it works with).
- A copy whose owner is unknown (stored before owners were recorded, or by another tool) is
  asked about where a command must decide on it (`copy_of`): the tool signs in with the
  copy, on a connection of its own, and so learns its owner; a copy the server does not know
  at all is dead, and removing it harms no one. Signing in with a stored copy for any reason
  (`-n NAME`, `pat login NAME`) records its owner too (common.signed_in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

from iggy_cli.errors import (
    AuthenticationError,
    IggyCliError,
    NotFound,
    StorageError,
    TokenExpired,
)
from iggy_cli.runtime import AppContext
from iggy_cli.secrets.stores import token_service
from iggy_cli.usecases.common import signed_in
from iggy_cli.usecases.credential_choice import Credential

Whose = Literal["none", "mine", "other", "unknown", "dead"]


class Copy(NamedTuple):
    """What is known of the stored copy of one name, seen from the signed-in user."""

    whose: Whose
    owner: int | None = None  # the user it belongs to, when known

    @property
    def replaceable(self) -> bool:
        """The signed-in user may remove or overwrite it: theirs, absent, or dead."""
        return self.whose in ("none", "mine", "dead")

    def words(self) -> str:
        if self.whose == "other":
            return f"it belongs to user {self.owner}"
        if self.whose == "unknown":
            return "its owner is unknown"
        return {"none": "there is none", "mine": "it is yours", "dead": "it no longer signs in"}[
            self.whose
        ]


def mine(owners: Mapping[str, int | None], user_id: int) -> set[str]:
    """The names whose stored copy is recorded as `user_id`'s."""
    return {name for name, owner in owners.items() if owner == user_id}


def unclaimed(owners: Mapping[str, int | None]) -> set[str]:
    """The names whose stored copy has no recorded owner."""
    return {name for name, owner in owners.items() if owner is None}


def recorded(ctx: AppContext) -> dict[str, int | None]:
    """This server's stored copies in this run's store, name -> owner (None: unknown)."""
    return ctx.names.owners(ctx.settings.keyring, ctx.store_choice.kind)


def copy_of(ctx: AppContext, name: str, user_id: int) -> Copy:
    """Whose the stored copy of `name` is; an unknown owner is asked of the server."""
    owner = recorded(ctx).get(name)
    if owner is not None:
        return Copy("mine" if owner == user_id else "other", owner)
    secret = ctx.store().get(token_service(ctx.settings.keyring), name)
    if secret is None:
        return Copy("none")
    found = _sign_in_with(ctx, name, secret)
    if found is None:
        return Copy("dead")
    if found == "unknown":
        return Copy("unknown")
    ctx.record_owner(name, found)
    return Copy("mine" if found == user_id else "other", found)


def check_replaceable(ctx: AppContext, name: str, user_id: int) -> None:
    """Before a token is minted to be stored under `name` (create, rotate): it must not
    replace another user's copy."""
    copy = copy_of(ctx, name, user_id)
    if not copy.replaceable:
        raise StorageError(
            f"a copy of {name!r} is stored here and {copy.words()}; "
            "storing your token under that name would replace it",
            hint="sign in as its owner, or use --no-store (create) to print a new token instead",
        )


def _sign_in_with(ctx: AppContext, name: str, secret: str) -> int | Literal["unknown"] | None:
    """The copy's owner by signing in with it; None when the server does not know the token.
    An expired token, a busy or unreachable server: "unknown" (never read as dead)."""
    probe = Credential("token", f"the stored copy of {name!r}", secret, token_name=name)
    try:
        with signed_in(ctx, probe) as (_, identity):
            return identity.user_id
    except TokenExpired:
        return "unknown"
    except (NotFound, AuthenticationError):
        return None
    except IggyCliError:
        return "unknown"

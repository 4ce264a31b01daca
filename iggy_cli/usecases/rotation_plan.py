"""What a rotation does next, worked out from the journal, the stored copy and the server's list.

Pure functions over values, so every case is tested in-process in milliseconds
(tests/test_rotation_plan.py); usecases/rotation.py carries the steps out.

A rotation, start to end (Iggy cannot rename a token, and names are unique, so the new NAME can
only be minted once the old one is gone; a stand-in bridges the gap):

    MINT_STAND_IN   mint a stand-in that lives STAND_IN_LIFETIME_US, and log in with it
    STORE_STAND_IN  store it under NAME                   the stored copy: old -> stand-in
    DELETE_OLD      delete NAME on the server             (the point of no return)
    MINT_NEW        mint the new NAME
    STORE_NEW       store it under NAME                   the stored copy: stand-in -> new
    DROP_STAND_IN   delete the stand-in on the server

Where an interrupted rotation stopped follows from what the stored copy is (`held`: compared
with the digests in the journal) and what the server has:

    stored copy   NAME on server   then
    -----------   --------------   ---------------------------------------------------------
    stand-in      yes              DELETE_OLD, MINT_NEW, STORE_NEW, DROP_STAND_IN
                                   (NAME is the old token, or a new one whose answer was lost:
                                   either way its secret is not stored, so it goes)
    stand-in      no               MINT_NEW, STORE_NEW, DROP_STAND_IN
    new           yes              DROP_STAND_IN (the rotation only has to tidy up)
    new           no               MINT_NEW, STORE_NEW, DROP_STAND_IN (deleted since: mint it)
    old, nothing  yes              FORGET_PREVIOUS, then a rotation from the start
    or another    no               FORGET_PREVIOUS, then "no token NAME on the server"

DROP_STAND_IN and FORGET_PREVIOUS are left out when the stand-in is not on the server (deleted,
or expired and removed by the server's cleaner).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import NamedTuple

from iggy_cli.errors import UsageError
from iggy_cli.models import NEVER_EXPIRES_US, Expiry
from iggy_cli.state.indexes import fingerprint as fingerprint  # rotation.py says rp.fingerprint
from iggy_cli.state.rotation_journal import JournalEntry

# Lowercase letters, digits and '-' only: servers up to 0.4.140 lowercase names and refuse any
# outside `^[\w.\-\s]+$` (sdk/src/utils/text.rs at server-0.4.140); 25 bytes, within the
# 30-byte limit.
STAND_IN_PREFIX = "iggy-cli-standin-"
_STAND_IN = re.compile(r"iggy-cli-standin-[0-9a-f]{8}")
# Long enough to finish the rotation (a few requests) or to run it again after a failure; short
# enough that a rotation left unfinished does not leave a working secret behind for long.
STAND_IN_LIFETIME_US = 10 * 60 * 1_000_000

# What the stored copy is, measured against the journal.
OLD = "old"  # the copy stored when the rotation started (or, then and now, none)
STAND_IN = "stand-in"
NEW = "new"
NOTHING = "nothing"  # nothing is stored, though something was at the start
DAMAGED = "damaged"  # the store holds something else than was written to it
OTHER = "other"  # a secret this rotation never saw

FORGET_PREVIOUS = "forget the previous stand-in"
MINT_STAND_IN = "mint a stand-in"
STORE_STAND_IN = "store the stand-in"
DELETE_OLD = "delete the old token"
MINT_NEW = "mint the new token"
STORE_NEW = "store the new token"
DROP_STAND_IN = "delete the stand-in"
FROM_THE_START = (MINT_STAND_IN, STORE_STAND_IN, DELETE_OLD, MINT_NEW, STORE_NEW, DROP_STAND_IN)


class Plan(NamedTuple):
    """The steps still to do. `held` is what the stored copy was found to be (None: there was
    no rotation in progress); `found` is false when NAME is not on the server and the rotation
    cannot go on (after its steps, which only tidy up, the caller says "not found")."""

    steps: tuple[str, ...]
    held: str | None
    found: bool = True


def stand_in_name(random_hex: str) -> str:
    return STAND_IN_PREFIX + random_hex


def is_stand_in(name: str) -> bool:
    """A name `pat rotate` gives its stand-ins (and, in practice, nothing else does)."""
    return _STAND_IN.fullmatch(name) is not None


def held(entry: JournalEntry, stored_sha256: str | None) -> str:
    """What the stored copy (given by its digest; None: nothing stored) is to this rotation."""
    if stored_sha256 is not None and stored_sha256 == entry.stand_in_sha256:
        return STAND_IN
    if stored_sha256 is not None and stored_sha256 == entry.new_sha256:
        return NEW
    if stored_sha256 == entry.old_sha256:
        return OLD
    return NOTHING if stored_sha256 is None else OTHER


def plan(
    name: str,
    entry: JournalEntry | None,
    stored_sha256: str | None,
    on_server: Collection[str],
) -> Plan:
    """The steps that carry the rotation of `name` through (see the table in the docstring)."""
    there = name in on_server
    if entry is None:
        return Plan(FROM_THE_START if there else (), None, there)
    found = held(entry, stored_sha256)
    drop = (DROP_STAND_IN,) if entry.stand_in in on_server else ()
    if found == STAND_IN:
        return Plan(((DELETE_OLD,) if there else ()) + (MINT_NEW, STORE_NEW) + drop, found)
    if found == NEW:
        return Plan(drop if there else (MINT_NEW, STORE_NEW, *drop), found)
    # It never got past storing its stand-in, or the stored copy has changed since: the
    # stand-in is no one's, and the rotation starts again from what is stored now.
    forget = (FORGET_PREVIOUS,) if entry.stand_in in on_server else ()
    return Plan(forget + (FROM_THE_START if there else ()), found, there)


def lifetime(entry: JournalEntry, now_us: int, name: str) -> Expiry:
    """The new token's lifetime if it were minted at `now_us`: the EXPIRY asked for, or else
    what is left of the old token's (recorded when the rotation started, since the old token
    may be gone by the time the new one is minted)."""
    if entry.lifetime_us is not None:
        return Expiry(entry.lifetime_us, entry.label)
    return left_of(entry.ends_at_us, now_us, name)


def left_of(ends_at_us: int | None, now_us: int, name: str) -> Expiry:
    """What is left at `now_us` of the lifetime of a token that ends at `ends_at_us` (None:
    never), as the new token's lifetime ("as before")."""
    if ends_at_us is None:
        return Expiry(NEVER_EXPIRES_US, "never")
    left = ends_at_us - now_us
    if left <= 0:
        raise UsageError(
            "the old token's lifetime is over, so the new one cannot end when it would have",
            hint=f"give the new token an EXPIRY, such as `iggy pat rotate {name} 30d`",
        )
    return Expiry(left, "as before")


def stand_ins_in_use(
    entries: dict[str, JournalEntry], stored_sha256: dict[str, str | None]
) -> set[str]:
    """The stand-ins that rotations in progress still need: those that are their NAME's stored
    copy (given as digests by name; a name whose copy could not be read counts as in use)."""
    needed = set()
    for name, entry in entries.items():
        if name not in stored_sha256 or held(entry, stored_sha256[name]) == STAND_IN:
            needed.add(entry.stand_in)
    return needed

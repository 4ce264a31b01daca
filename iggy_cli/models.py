"""Typed values passed between layers. The server's microseconds become datetimes here only.

Values are typed NamedTuples: immutable and typed, and cheaper to define than dataclasses,
which every run would pay for at import.
Fields that hold a secret are left out of repr().
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

# The server's "never expires" on create; 0 means "server default", which for PATs is also never.
NEVER_EXPIRES_US = 2**64 - 1
SERVER_DEFAULT_US = 0


# The calendar a datetime can hold (years 1 to 9999), in microseconds since the Unix epoch.
# The wire can carry any u64, and a hostile or buggy server any integer: an instant outside
# this range is real (2**64 - 2 is year 586,512; -10**18 is 31,690 BC) but has no datetime.
FIRST_US = -62_135_596_800_000_000
LAST_US = 253_402_300_799_999_999
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Instant = datetime | int
"""An aware datetime, or microseconds since the Unix epoch exactly as a server sent them (any
integer: the wire carries u64s, and a hostile server anything)."""


def datetime_from_us(microseconds: int) -> datetime:
    """A UTC datetime from microseconds since the Unix epoch: exact within the calendar (no
    float rounding); beyond it, the calendar's first or last instant (see `beyond_calendar`)."""
    clamped = min(max(microseconds, FIRST_US), LAST_US)
    return _EPOCH + timedelta(microseconds=clamped)


def us_from_datetime(instant: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact integer arithmetic)."""
    return (instant - _EPOCH) // timedelta(microseconds=1)


def masked_repr(value: tuple[Any, ...], *secret_fields: str) -> str:
    """repr() of a NamedTuple with its secret fields shown as ***."""
    fields = ", ".join(
        f"{name}=***" if name in secret_fields else f"{name}={item!r}"
        for name, item in zip(value._fields, value, strict=True)  # type: ignore[attr-defined]
    )
    return f"{type(value).__name__}({fields})"


class Identity(NamedTuple):
    """Who a login made us: the user id and the short-lived JWT the server issued (whose
    expiry servers up to 0.0.43 do not say)."""

    user_id: int
    access_token: str
    access_token_expires_at: datetime | None

    def __repr__(self) -> str:
        return masked_repr(self, "access_token")


class PersonalAccessToken(NamedTuple):
    """One entry of the server's PAT list; the raw token is never in it."""

    name: str
    expiry_at_us: int | None

    @property
    def expiry_at(self) -> datetime | None:
        """Clamped to the calendar; render and compare with `expiry_at_us`, which is exact."""
        return None if self.expiry_at_us is None else datetime_from_us(self.expiry_at_us)

    def is_expired(self, now: datetime) -> bool:
        """Decided on the exact microseconds, as the server decides it (`expiry_at <= now`):
        a datetime would clamp -10**18 to year 9999 and call it alive."""
        return self.expiry_at_us is not None and self.expiry_at_us <= us_from_datetime(now)


class MintedToken(NamedTuple):
    """A PAT the server just created: the only moment its raw value exists anywhere. `name`
    is the name the server created, `requested_name` the one asked for (servers up to
    0.4.140 rename: `Deploy Key` becomes `deploy.key`)."""

    name: str
    token: str
    requested_name: str | None = None

    @property
    def renamed(self) -> bool:
        return self.requested_name is not None and self.requested_name != self.name

    def __repr__(self) -> str:
        return masked_repr(self, "token")


class Expiry(NamedTuple):
    """A requested PAT lifetime, as the server's `expiry` field wants it (microseconds); `until`
    is the instant it was worked out from, when a date or time was given."""

    microseconds: int
    label: str
    until: datetime | None = None

    @property
    def never(self) -> bool:
        return self.microseconds == NEVER_EXPIRES_US

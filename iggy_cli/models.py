"""Typed values passed between layers. The server's microseconds become datetimes here only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# The server's "never expires" on create; 0 means "server default", which for PATs is also never.
NEVER_EXPIRES_US = 2**64 - 1
SERVER_DEFAULT_US = 0


def datetime_from_us(microseconds: int) -> datetime:
    """A UTC datetime from microseconds since the Unix epoch (exact: no float rounding)."""
    seconds, micros = divmod(microseconds, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a login made us: the user id and the short-lived JWT the server issued."""

    user_id: int
    access_token: str = field(repr=False)
    access_token_expires_at: datetime


@dataclass(frozen=True, slots=True)
class PersonalAccessToken:
    """One entry of the server's PAT list; the raw token is never in it."""

    name: str
    expiry_at_us: int | None

    @property
    def expiry_at(self) -> datetime | None:
        return None if self.expiry_at_us is None else datetime_from_us(self.expiry_at_us)

    def is_expired(self, now: datetime) -> bool:
        expiry_at = self.expiry_at
        return expiry_at is not None and expiry_at <= now


@dataclass(frozen=True, slots=True)
class MintedToken:
    """A PAT the server just created: the only moment its raw value exists anywhere."""

    name: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Expiry:
    """A requested PAT lifetime, as the server's `expiry` field wants it (microseconds)."""

    microseconds: int
    label: str

    @property
    def never(self) -> bool:
        return self.microseconds == NEVER_EXPIRES_US

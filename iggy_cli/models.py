"""Typed values passed between layers. The server's microseconds become datetimes here only.

Values are typed NamedTuples, not dataclasses: immutable and typed alike, but a dataclass costs
~0.45 ms to define against ~0.05 ms, and a dozen of them were a tenth of a run's start-up.
Fields that hold a secret are left out of repr().
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

# The server's "never expires" on create; 0 means "server default", which for PATs is also never.
NEVER_EXPIRES_US = 2**64 - 1
SERVER_DEFAULT_US = 0


def datetime_from_us(microseconds: int) -> datetime:
    """A UTC datetime from microseconds since the Unix epoch (exact: no float rounding)."""
    seconds, micros = divmod(microseconds, 1_000_000)
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
    except (OverflowError, ValueError, OSError):
        # Another tool may have asked for a lifetime past year 9999: show the latest instant.
        return datetime.max.replace(tzinfo=UTC)


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
        return None if self.expiry_at_us is None else datetime_from_us(self.expiry_at_us)

    def is_expired(self, now: datetime) -> bool:
        expiry_at = self.expiry_at
        return expiry_at is not None and expiry_at <= now


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
    """A requested PAT lifetime, as the server's `expiry` field wants it (microseconds)."""

    microseconds: int
    label: str

    @property
    def never(self) -> bool:
        return self.microseconds == NEVER_EXPIRES_US

"""Human durations to the server's microseconds, and instants to words a person reads.

The words follow the humantime crate that Iggy's own CLI parses with (`1h 30m`, `15days 2min`,
`3weeks`, `1h30m`): units from nanoseconds to years, a month being 30.44 days and a year
365.25 days, several terms summed. Iggy's `IggyExpiry::from_str` (core/common/src/utils/expiry.rs)
also takes `none`/`unlimited`/`never_expire` for never and `default`/`server_default` for the
server's default; we add `never`. Unlike Iggy, which lets `never` absorb a duration, mixing a
keyword with durations is refused here: `1h never` is more likely a typo than a wish.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from iggy_cli.errors import UsageError
from iggy_cli.models import NEVER_EXPIRES_US, SERVER_DEFAULT_US, Expiry

_US_PER_SECOND = 1_000_000
_UNIT_US: dict[str, float] = {}
for _names, _us in (
    (("nsec", "ns"), 0.001),
    (("usec", "us"), 1),
    (("msec", "ms"), 1_000),
    (("seconds", "second", "secs", "sec", "s"), _US_PER_SECOND),
    (("minutes", "minute", "mins", "min", "m"), 60 * _US_PER_SECOND),
    (("hours", "hour", "hrs", "hr", "h"), 3_600 * _US_PER_SECOND),
    (("days", "day", "d"), 86_400 * _US_PER_SECOND),
    (("weeks", "week", "w"), 7 * 86_400 * _US_PER_SECOND),
    (("months", "month", "M"), 2_630_016 * _US_PER_SECOND),
    (("years", "year", "y"), 31_557_600 * _US_PER_SECOND),
):
    for _name in _names:
        _UNIT_US[_name] = _us

_NEVER_WORDS = {"none", "never", "unlimited", "never_expire"}
_DEFAULT_WORDS = {"default", "server_default"}
_TERM = re.compile(r"(\d+)\s*([A-Za-z]+)")
# A thousand years: far beyond any real need, and short of what a datetime can hold (year 9999).
_MAX_LIFETIME_US = 1000 * 31_557_600 * _US_PER_SECOND

EXPIRY_HELP = (
    "Lifetime as words that are summed: 30d, '1h 30m', 2weeks, 90min; "
    "never/none/unlimited for no expiry; server_default for the server's default."
)


def parse_expiry(words: list[str] | tuple[str, ...], default: Expiry | None = None) -> Expiry:
    """Parse EXPIRY words; no words gives `default`, or never (as Iggy's CLI does)."""
    text = " ".join(words).strip()
    if not text:
        return default or Expiry(NEVER_EXPIRES_US, "never")
    lowered = text.lower()
    if lowered in _NEVER_WORDS:
        return Expiry(NEVER_EXPIRES_US, "never")
    if lowered in _DEFAULT_WORDS:
        return Expiry(SERVER_DEFAULT_US, "server default")
    return Expiry(_parse_duration_us(text), text)


def parse_duration(text: str) -> timedelta:
    """A span of time such as `7d` or `12h 30m` (no never/default keywords)."""
    return timedelta(microseconds=_parse_duration_us(text.strip()))


def _parse_duration_us(text: str) -> int:
    position, total = 0, 0.0
    for match in _TERM.finditer(text):
        if text[position : match.start()].strip():
            break
        number, unit = match.groups()
        # Exact spelling first: `M` is months and `m` minutes, as in humantime.
        unit_us = _UNIT_US.get(unit, _UNIT_US.get(unit.lower()))
        if unit_us is None:
            raise UsageError(f"unknown time unit {unit!r} in expiry {text!r}", hint=EXPIRY_HELP)
        total += int(number) * unit_us
        position = match.end()
    if position == 0 or text[position:].strip():
        raise UsageError(f"cannot read expiry {text!r}", hint=EXPIRY_HELP)
    microseconds = int(total)
    if microseconds < 1:
        raise UsageError(f"expiry {text!r} is shorter than one microsecond", hint=EXPIRY_HELP)
    if microseconds > _MAX_LIFETIME_US:
        raise UsageError(f"expiry {text!r} is too long; use 'never'", hint=EXPIRY_HELP)
    return microseconds


def relative_words(instant: datetime | None, now: datetime) -> str:
    """'in 29 days', 'expired 3 hours ago', or 'never' for no expiry."""
    if instant is None:
        return "never"
    delta = instant - now
    if delta > timedelta(0):
        return f"in {_span(delta)}"
    return f"expired {_span(-delta)} ago"


def _span(delta: timedelta) -> str:
    """The span in words a person reads at a glance, exact to its smaller unit: '15 minutes',
    '1 hour 55 minutes', '1 day 12 hours', '30 days'. One unit alone ('115 minutes',
    '48 hours') makes the reader do the arithmetic; more than two is noise."""
    seconds = delta.total_seconds()
    if _nearest(seconds) < 60:
        return _count(_nearest(seconds), "second")
    minutes = _nearest(seconds / 60)
    if minutes < 60:
        return _count(minutes, "minute")
    hours, minute = divmod(minutes, 60)
    if hours < 24:
        return _pair(hours, "hour", minute, "minute")
    days, hour = divmod(_nearest(seconds / 3_600), 24)
    if days < 7:
        return _pair(days, "day", hour, "hour")
    return _count(_nearest(seconds / 86_400), "day")


def _nearest(value: float) -> int:
    return int(value + 0.5)  # halves up; round() would make 2.5 minutes '2 minutes'


def _count(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")


def _pair(big: int, big_unit: str, small: int, small_unit: str) -> str:
    words = _count(big, big_unit)
    return f"{words} {_count(small, small_unit)}" if small else words


def local_time(instant: datetime | None, utc: bool = False) -> str:
    """The instant in the machine's local time zone (or UTC), with the zone's name, so it is
    never ambiguous: in a zone with daylight saving, 01:30 EDT and 01:30 EST differ."""
    if instant is None:
        return "never"
    return instant.astimezone(UTC if utc else None).strftime("%Y-%m-%d %H:%M:%S %Z")


def urgency(instant: datetime | None, now: datetime) -> str | None:
    """How soon a token ends: 'expired', 'day' (within a day), 'week', or None."""
    if instant is None:
        return None
    left = instant - now
    if left <= timedelta(0):
        return "expired"
    if left < timedelta(days=1):
        return "day"
    if left < timedelta(days=7):
        return "week"
    return None


def iso_utc(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.isoformat().replace("+00:00", "Z")

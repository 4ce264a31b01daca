"""Human durations to the server's microseconds, and instants to words a person reads.

The words follow the humantime crate that Iggy's own CLI parses with (`1h 30m`, `15days 2min`,
`3weeks`, `1h30m`): units from nanoseconds to years, a month being 30.44 days and a year
365.25 days, several terms summed. Iggy's `IggyExpiry::from_str` (core/common/src/utils/expiry.rs)
also takes `none`/`unlimited`/`never_expire` for never and `default`/`server_default` for the
server's default; we add `never`. Unlike Iggy, which lets `never` absorb a duration, mixing a
keyword with durations is refused here: `1h never` is more likely a typo than a wish.

A month and a year are fixed lengths, not calendar ones, because humantime counts them so and a
`1M` must mean to this tool what it means to Iggy's; for a calendar date, a date is taken too:
`2027-01-31` (the start of that day in the zone in use) or an RFC 3339 time
(`2027-01-31T12:00:00+01:00`), turned into the lifetime left from now, since the server's API
takes only a lifetime.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo

from iggy_cli.errors import UsageError, quoted
from iggy_cli.models import (
    FIRST_US,
    LAST_US,
    NEVER_EXPIRES_US,
    SERVER_DEFAULT_US,
    Expiry,
    Instant,
    datetime_from_us,
    us_from_datetime,
)

_US_PER_SECOND = 1_000_000
_NS_PER_SECOND = 1_000_000_000
# Whole nanoseconds per unit: integer arithmetic, so `400 digits of days` is a number too big
# to want, never a float overflow.
_UNIT_NS: dict[str, int] = {}
for _names, _ns in (
    (("nsec", "ns"), 1),
    (("usec", "us"), 1_000),
    (("msec", "ms"), 1_000_000),
    (("seconds", "second", "secs", "sec", "s"), _NS_PER_SECOND),
    (("minutes", "minute", "mins", "min", "m"), 60 * _NS_PER_SECOND),
    (("hours", "hour", "hrs", "hr", "h"), 3_600 * _NS_PER_SECOND),
    (("days", "day", "d"), 86_400 * _NS_PER_SECOND),
    (("weeks", "week", "w"), 7 * 86_400 * _NS_PER_SECOND),
    (("months", "month", "M"), 2_630_016 * _NS_PER_SECOND),
    (("years", "year", "y"), 31_557_600 * _NS_PER_SECOND),
):
    for _name in _names:
        _UNIT_NS[_name] = _ns

_NEVER_WORDS = {"none", "never", "unlimited", "never_expire"}
_DEFAULT_WORDS = {"default", "server_default"}
# ASCII digits only, as humantime reads them (\d would take ٣٠ and other scripts' digits).
_TERM = re.compile(r"([0-9]+)\s*([A-Za-z]+)")
# More digits than this is past any lifetime accepted below, in any unit (and int() refuses
# strings past 4300 digits).
_MAX_DIGITS = 30
# A thousand years: far beyond any real need, and short of what a datetime can hold (year 9999).
_MAX_LIFETIME_US = 1000 * 31_557_600 * _US_PER_SECOND

EXPIRY_HELP = (
    "Lifetime as words that are summed: 30d, '1h 30m', 2weeks, 90min (1M is 30.44 days, 1y "
    "365.25, as in Iggy's CLI); a date, 2027-01-31 (the start of that day), or an RFC 3339 "
    "time, 2027-01-31T12:00:00+01:00; never/none/unlimited for no expiry; server_default for "
    "the server's default."
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# RFC 3339 section 5.6: `T` or, as its note allows, a space; `t` and `z` in either case.
_DATE_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


def parse_expiry(
    words: list[str] | tuple[str, ...],
    default: Expiry | None = None,
    *,
    now: datetime | None = None,
    utc: bool = False,
    zone: tzinfo | None = None,
) -> Expiry:
    """Parse EXPIRY words; no words gives `default`, or never (as Iggy's CLI does). A date or
    time becomes the lifetime left from `now` until it (a date: the start of that day, local
    or, with `utc`, in UTC; `zone`: the run's zone, None for the machine's); one that is not in
    the future is refused."""
    text = " ".join(words).strip()
    if not text:
        return default or Expiry(NEVER_EXPIRES_US, "never")
    lowered = text.lower()
    if lowered in _NEVER_WORDS:
        return Expiry(NEVER_EXPIRES_US, "never")
    if lowered in _DEFAULT_WORDS:
        return Expiry(SERVER_DEFAULT_US, "server default")
    instant = _instant(text, UTC if utc else zone)
    if instant is not None:
        left = us_from_datetime(instant) - us_from_datetime(now or datetime.now(UTC))
        if left < 1:
            raise UsageError(
                f"expiry {quoted(text)} is in the past ({iso_utc(instant)})",
                hint="give a later date or time, or a lifetime such as 30d",
            )
        if left > _MAX_LIFETIME_US:
            raise UsageError(f"expiry {quoted(text)} is too far off; use 'never'", hint=EXPIRY_HELP)
        return Expiry(left, text, instant.astimezone(UTC))
    return Expiry(_parse_duration_us(text), text)


def _instant(text: str, zone: tzinfo | None) -> datetime | None:
    """The instant a date or an RFC 3339 date-time names; None when `text` is neither."""
    if (date := _DATE.fullmatch(text)) is not None:
        year, month, day = (int(part) for part in date.groups())
        try:
            start = datetime(year, month, day)
        except ValueError:
            raise UsageError(f"no such date: {quoted(text)}", hint=EXPIRY_HELP) from None
        # Where the user is, as `pat list` shows times: the run's zone, or UTC with --utc.
        return start.astimezone() if zone is None else start.replace(tzinfo=zone)
    if (moment := _DATE_TIME.fullmatch(text)) is None:
        return None
    calendar_day, hour, minute, second, fraction, named = moment.groups()
    if named is None:
        raise UsageError(
            f"the time {quoted(text)} names no time zone",
            hint="add Z for UTC or an offset such as +01:00, as RFC 3339 requires",
        )
    micro = (fraction or ".0")[1:7].ljust(6, "0")
    offset = "+00:00" if named in "Zz" else named
    try:
        return datetime.fromisoformat(f"{calendar_day}T{hour}:{minute}:{second}.{micro}{offset}")
    except ValueError:
        raise UsageError(f"no such time: {quoted(text)}", hint=EXPIRY_HELP) from None


def parse_duration(text: str) -> timedelta:
    """A span of time such as `7d` or `12h 30m` (no never/default keywords)."""
    return timedelta(microseconds=_parse_duration_us(text.strip()))


def _parse_duration_us(text: str) -> int:
    position, total_ns, too_long = 0, 0, False
    for match in _TERM.finditer(text):
        if text[position : match.start()].strip():
            break
        number, unit = match.groups()
        # Exact spelling first: `M` is months and `m` minutes, as in humantime.
        unit_ns = _UNIT_NS.get(unit, _UNIT_NS.get(unit.lower()))
        if unit_ns is None:
            raise UsageError(
                f"unknown time unit {quoted(unit)} in expiry {quoted(text)}", hint=EXPIRY_HELP
            )
        digits = number.lstrip("0")
        if len(digits) > _MAX_DIGITS:
            too_long = True
        else:
            total_ns += int(digits or "0") * unit_ns
        position = match.end()
    if position == 0 or text[position:].strip():
        raise UsageError(f"cannot read expiry {quoted(text)}", hint=EXPIRY_HELP)
    if too_long:
        raise UsageError(f"expiry {quoted(text)} is too long; use 'never'", hint=EXPIRY_HELP)
    microseconds = total_ns // 1_000
    if microseconds < 1:
        raise UsageError(f"expiry {quoted(text)} is shorter than one microsecond", hint=EXPIRY_HELP)
    if microseconds > _MAX_LIFETIME_US:
        raise UsageError(f"expiry {quoted(text)} is too long; use 'never'", hint=EXPIRY_HELP)
    return microseconds


_AFTER_CALENDAR = "after 9999-12-31"
_BEFORE_CALENDAR = "before 0001-01-01"


def relative_words(instant: Instant | None, now: datetime) -> str:
    """'in 29 days', 'expired 3 hours ago', or 'never' for no expiry. Exact for microseconds
    beyond the calendar; a datetime clamped to its edge gives 'more than'."""
    if instant is None:
        return "never"
    clamped = isinstance(instant, datetime) and _beyond_calendar(_us(instant)) != 0
    more = "more than " if clamped else ""
    delta_us = _us(instant) - us_from_datetime(now)
    if delta_us > 0:
        return f"in {more}{_span(delta_us)}"
    return f"expired {more}{_span(-delta_us)} ago"


def short_words(instant: Instant | None, now: datetime) -> str:
    """relative_words for a table column: 'in 7h 59m', 'in 30d', 'expired 3h ago', 'never'.
    A `pat list` row must fit 80 columns beside a 30-byte name; the exact instant is in the
    EXPIRES column, `pat show` and the JSON. Past, one unit: how long ago matters less."""
    if instant is None:
        return "never"
    clamped = isinstance(instant, datetime) and _beyond_calendar(_us(instant)) != 0
    more = ">" if clamped else ""
    delta_us = _us(instant) - us_from_datetime(now)
    if delta_us > 0:
        return f"in {more}{_short_span(delta_us)}"
    return f"expired {more}{_short_span(-delta_us).split()[0]} ago"


def _short_span(microseconds: int) -> str:
    """_span's two units, as letters: '45s', '15m', '1h 55m', '1d 12h', '30d', '2y 10d'."""
    seconds = microseconds / _US_PER_SECOND
    if _nearest(seconds) < 60:
        return f"{_nearest(seconds)}s"
    minutes = _nearest(seconds / 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minute = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minute}m" if minute else f"{hours}h"
    days, hour = divmod(_nearest(seconds / 3_600), 24)
    if days < 7:
        return f"{days}d {hour}h" if hour else f"{days}d"
    years, day = divmod(_nearest(seconds / 86_400), 365)
    if years == 0:
        return f"{day}d"
    return f"{years}y {day}d" if day else f"{years}y"


def _span(microseconds: int) -> str:
    """The span in words a person reads at a glance, exact to its smaller unit: '15 minutes',
    '1 hour 55 minutes', '1 day 12 hours', '30 days'. One unit alone ('115 minutes',
    '48 hours') makes the reader do the arithmetic; more than two is noise."""
    seconds = microseconds / _US_PER_SECOND
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


def zone_named(environ: Mapping[str, str]) -> tzinfo | None:
    """The time zone TZ names in a run's environment (`Asia/Kolkata`, `:UTC`), from the tz
    database; None (the machine's own zone, as the C library reads TZ) when TZ is unset or is
    no name in that database (a POSIX rule such as `<+03>-3`)."""
    name = environ.get("TZ", "").removeprefix(":")
    if not name:
        return None
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError: not caught here
        return None
    except KeyError:
        return None


def local_time(
    instant: Instant | None, utc: bool = False, zone: tzinfo | None = None, seconds: bool = True
) -> str:
    """The instant in `zone` (None: the machine's local time zone; UTC with `utc`), with the
    zone's name, so it is
    never ambiguous: in a zone with daylight saving, 01:30 EDT and 01:30 EST differ. An
    instant the calendar cannot hold in that zone (year 9999 in Tokyo is year 10000 there, year
    1 in New York year 0) is said as such: 'after 9999-12-31', 'before 0001-01-01'."""
    if instant is None:
        return "never"
    microseconds = _us(instant)
    side = _beyond_calendar(microseconds)
    if side == 0:
        try:
            shown = datetime_from_us(microseconds).astimezone(UTC if utc else zone)
        except (OverflowError, ValueError, OSError):
            side = 1 if microseconds > 0 else -1
        else:
            # %Y is not zero-padded below year 1000 on every C library
            clock = "%H:%M:%S" if seconds else "%H:%M"
            return f"{shown.year:04d}-" + shown.strftime(f"%m-%d {clock} %Z")
    return _AFTER_CALENDAR if side > 0 else _BEFORE_CALENDAR


def urgency(instant: Instant | None, now: datetime) -> str | None:
    """How soon a token ends: 'expired', 'day' (within a day), 'week', or None."""
    if instant is None:
        return None
    left = _us(instant) - us_from_datetime(now)
    if left <= 0:
        return "expired"
    if left < 86_400 * _US_PER_SECOND:
        return "day"
    if left < 7 * 86_400 * _US_PER_SECOND:
        return "week"
    return None


def iso_utc(instant: Instant | None) -> str | None:
    """ISO-8601 in UTC with a Z. Beyond the calendar, its first or last instant
    (`0001-01-01T00:00:00Z`, `9999-12-31T23:59:59.999999Z`): still a valid timestamp that
    sorts and compares right; JSON carries the exact value in `expiry_at_us` beside it."""
    if instant is None:
        return None
    return datetime_from_us(_us(instant)).isoformat().replace("+00:00", "Z")


def _us(instant: Instant) -> int:
    return instant if isinstance(instant, int) else us_from_datetime(instant)


def _beyond_calendar(microseconds: int) -> int:
    """1 past the calendar's last instant, -1 before its first, else 0 (the edges count as
    beyond: a clamped datetime lands there)."""
    if microseconds >= LAST_US:
        return 1
    if microseconds <= FIRST_US:
        return -1
    return 0

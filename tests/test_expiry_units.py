"""expiry.py at its boundaries, as the mutation pass (`make mutate`) asked: labels, unit
spelling, the 1000-year cap, the empty duration, and the exact instants where a relative time
changes its words or a token its urgency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iggy_cli.errors import UsageError
from iggy_cli.expiry import parse_duration, parse_expiry, relative_words, urgency
from iggy_cli.models import NEVER_EXPIRES_US, SERVER_DEFAULT_US, Expiry

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
YEAR_US = 31_557_600 * 1_000_000


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ([], Expiry(NEVER_EXPIRES_US, "never")),
        (["never"], Expiry(NEVER_EXPIRES_US, "never")),
        (["server_default"], Expiry(SERVER_DEFAULT_US, "server default")),
        (["30d"], Expiry(30 * 86_400 * 1_000_000, "30d")),
        (["1h", "30m"], Expiry(5_400 * 1_000_000, "1h 30m")),
    ],
)
def test_an_expiry_keeps_a_label_for_people(words: list[str], expected: Expiry) -> None:
    assert parse_expiry(words) == expected


def test_units_are_matched_exactly_first_then_in_lower_case() -> None:
    assert parse_expiry(["2Hours"]).microseconds == 2 * 3_600 * 1_000_000
    assert parse_expiry(["1M"]).microseconds == 2_630_016 * 1_000_000  # months
    assert parse_expiry(["1m"]).microseconds == 60 * 1_000_000  # minutes
    assert parse_expiry(["1000ns"]).microseconds == 1  # nanoseconds, not microseconds
    assert parse_expiry(["1000us"]).microseconds == 1_000


def test_the_cap_is_a_thousand_years_exactly() -> None:
    assert parse_expiry(["1000y"]).microseconds == 1000 * YEAR_US
    with pytest.raises(UsageError, match="is too long; use 'never'"):
        parse_expiry(["1000y", "1s"])  # (1us would vanish: the sum is a float)


def test_an_empty_duration_cannot_be_read() -> None:
    with pytest.raises(UsageError, match="cannot read expiry"):
        parse_duration("   ")


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(days=6, hours=23), "in 6 days 23 hours"),
        (timedelta(days=7, hours=3), "in 7 days"),  # a week on: days only
        (timedelta(days=10, hours=12), "in 11 days"),  # halves round up
        (timedelta(days=10, hours=11), "in 10 days"),
    ],
)
def test_relative_words_switch_to_days_at_a_week(offset: timedelta, words: str) -> None:
    assert relative_words(NOW + offset, NOW) == words


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(seconds=-1), "expired"),
        (timedelta(0), "expired"),  # at the instant it ends, a token is expired
        (timedelta(microseconds=1), "day"),
        (timedelta(days=1) - timedelta(microseconds=1), "day"),
        (timedelta(days=1), "week"),
        (timedelta(days=1, seconds=1), "week"),
        (timedelta(days=7) - timedelta(microseconds=1), "week"),
        (timedelta(days=7), None),
        (timedelta(days=7, seconds=1), None),
    ],
)
def test_urgency_boundaries(offset: timedelta, expected: str | None) -> None:
    assert urgency(NOW + offset, NOW) == expected


def test_no_expiry_has_no_urgency() -> None:
    assert urgency(None, NOW) is None

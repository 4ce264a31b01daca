from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from iggy_cli.errors import UsageError
from iggy_cli.expiry import iso_utc, local_time, parse_expiry, relative_words, urgency
from iggy_cli.models import NEVER_EXPIRES_US, SERVER_DEFAULT_US

S = 1_000_000


@pytest.mark.parametrize(
    ("words", "microseconds"),
    [
        ([], NEVER_EXPIRES_US),
        (["30d"], 30 * 86_400 * S),
        (["1h", "30m"], 5_400 * S),
        (["1h 30m"], 5_400 * S),
        (["1h30m"], 5_400 * S),
        (["2weeks"], 14 * 86_400 * S),
        (["15days", "2min", "2s"], (15 * 86_400 + 122) * S),
        (["1M"], 2_630_016 * S),
        (["1m"], 60 * S),
        (["1y"], 31_557_600 * S),
        (["250ms"], 250_000),
        (["1us"], 1),
        (["1000ns"], 1),
        (["30D"], 30 * 86_400 * S),  # any case but M, which is months
        (["2HOURS"], 7_200 * S),
        (["1000y"], 1000 * 31_557_600 * S),  # the cap itself is accepted
        (["none"], NEVER_EXPIRES_US),
        (["never"], NEVER_EXPIRES_US),
        (["Unlimited"], NEVER_EXPIRES_US),
        (["never_expire"], NEVER_EXPIRES_US),
        (["server_default"], SERVER_DEFAULT_US),
        (["default"], SERVER_DEFAULT_US),
    ],
    ids=lambda value: repr(value),
)
def test_expiry_words_become_microseconds(words: list[str], microseconds: int) -> None:
    assert parse_expiry(words).microseconds == microseconds


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["soon"], "cannot read expiry 'soon'"),
        (["3", "fortnights"], "unknown time unit 'fortnights'"),
        (["1h", "later"], "cannot read expiry '1h later'"),
        (["0s"], "shorter than one microsecond"),
        (["1h", "never"], "cannot read expiry '1h never'"),
        (["-5m"], "cannot read expiry '-5m'"),
        (["600000y"], "too long"),
        (["1000y", "1us"], "too long"),
        (["1" + "0" * 30 + "ns"], "too long"),
        (["999ns"], "shorter than one microsecond"),
    ],
    ids=[
        "word",
        "unit",
        "trailing",
        "zero",
        "mixed-keyword",
        "negative",
        "overflow",
        "past-the-cap",
        "past-30-digits",
        "under-a-microsecond",
    ],
)
def test_bad_expiry_words_are_usage_errors(words: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")) as caught:
        parse_expiry(words)
    assert caught.value.exit_code == 2
    assert "30d" in (caught.value.hint or "")


NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(days=30) - timedelta(seconds=5), "in 30 days"),
        (timedelta(days=29, hours=11), "in 29 days"),
        (timedelta(days=1), "in 1 day"),
        (timedelta(hours=35, minutes=59), "in 1 day 12 hours"),
        (timedelta(hours=47, minutes=59), "in 2 days"),
        (timedelta(hours=48), "in 2 days"),
        (timedelta(days=6, hours=23), "in 6 days 23 hours"),
        (timedelta(days=6, hours=23, minutes=31), "in 7 days"),
        (timedelta(hours=1, minutes=30) + timedelta(seconds=1), "in 1 hour 30 minutes"),
        (timedelta(hours=1, minutes=55), "in 1 hour 55 minutes"),
        (timedelta(hours=2), "in 2 hours"),
        (timedelta(hours=1, minutes=59, seconds=31), "in 2 hours"),
        (timedelta(hours=23, minutes=59, seconds=31), "in 1 day"),
        (timedelta(hours=1, minutes=29), "in 1 hour 29 minutes"),
        (timedelta(minutes=59, seconds=31), "in 1 hour"),
        (timedelta(minutes=15) - timedelta(seconds=2), "in 15 minutes"),
        (timedelta(minutes=2, seconds=30), "in 3 minutes"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(seconds=59, milliseconds=600), "in 1 minute"),
        (timedelta(seconds=90), "in 2 minutes"),
        (timedelta(seconds=9), "in 9 seconds"),
        (timedelta(seconds=1), "in 1 second"),
        (-timedelta(hours=3, minutes=5), "expired 3 hours 5 minutes ago"),
        (-timedelta(days=400), "expired 400 days ago"),
        (timedelta(0), "expired 0 seconds ago"),
    ],
    ids=lambda value: str(value),
)
def test_relative_words(offset: timedelta, words: str) -> None:
    assert relative_words(NOW + offset, NOW) == words


def test_never_reads_never() -> None:
    assert relative_words(None, NOW) == "never"
    assert local_time(None) == "never"
    assert iso_utc(None) is None


def test_iso_utc_ends_in_z() -> None:
    assert iso_utc(NOW) == "2026-11-29T12:00:00Z"


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    import time

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()


@pytest.mark.parametrize(
    ("tz", "instant", "shown"),
    [
        ("UTC", datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "2026-11-01 05:30:00 UTC"),
        ("Asia/Kolkata", datetime(2026, 11, 29, 12, 0, tzinfo=UTC), "2026-11-29 17:30:00 IST"),
        # New York falls back at 06:00 UTC on 2026-11-01: 01:30 happens twice, EDT then EST.
        ("America/New_York", datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "2026-11-01 01:30:00 EDT"),
        ("America/New_York", datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "2026-11-01 01:30:00 EST"),
        ("America/New_York", datetime(2026, 7, 4, 16, 0, tzinfo=UTC), "2026-07-04 12:00:00 EDT"),
    ],
    ids=["utc", "kolkata", "new-york-before-fall-back", "new-york-after", "new-york-summer"],
)
def test_local_time_names_its_zone(
    zone: Callable[[str], None], tz: str, instant: datetime, shown: str
) -> None:
    zone(tz)
    assert local_time(instant) == shown
    assert local_time(instant, utc=True) == instant.strftime("%Y-%m-%d %H:%M:%S UTC")


def test_relative_time_across_a_dst_change_counts_real_hours(zone: Callable[[str], None]) -> None:
    zone("America/New_York")
    now = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)  # the day before clocks fall back
    assert relative_words(now + timedelta(hours=48), now) == "in 2 days"
    assert relative_words(now + timedelta(hours=25), now) == "in 1 day 1 hour"


@pytest.mark.parametrize(
    ("offset", "level"),
    [
        (-timedelta(seconds=1), "expired"),
        (timedelta(hours=23), "day"),
        (timedelta(days=6), "week"),
        (timedelta(days=8), None),
        # the boundaries, to the microsecond: a token ending now has ended
        (timedelta(0), "expired"),
        (timedelta(microseconds=1), "day"),
        (timedelta(days=1) - timedelta(microseconds=1), "day"),
        (timedelta(days=1), "week"),
        (timedelta(days=7) - timedelta(microseconds=1), "week"),
        (timedelta(days=7), None),
    ],
    ids=[
        "expired",
        "under-a-day",
        "under-a-week",
        "later",
        "now",
        "1us",
        "a-day-less-1us",
        "a-day",
        "a-week-less-1us",
        "a-week",
    ],
)
def test_urgency(offset: timedelta, level: str | None) -> None:
    assert urgency(NOW + offset, NOW) == level
    assert urgency(None, NOW) is None


@pytest.mark.parametrize(
    ("words", "label"),
    [
        ([], "never"),
        (["never"], "never"),
        (["default"], "server default"),
        (["1h", "30m"], "1h 30m"),
    ],
)
def test_an_expiry_keeps_words_to_show(words: list[str], label: str) -> None:
    assert parse_expiry(words).label == label


def test_a_week_or_more_reads_in_days_alone() -> None:
    assert relative_words(NOW + timedelta(days=6, hours=5), NOW) == "in 6 days 5 hours"
    assert relative_words(NOW + timedelta(days=7, hours=5), NOW) == "in 7 days"


def test_an_error_quotes_up_to_40_characters_of_the_words() -> None:
    for words, shown in (
        ("x" * 40, "'" + "x" * 40 + "'"),
        ("x" * 41, "'" + "x" * 37 + "...'"),
    ):
        with pytest.raises(UsageError) as caught:
            parse_expiry([words])
        assert caught.value.message == f"cannot read expiry {shown}"

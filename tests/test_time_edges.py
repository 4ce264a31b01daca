"""Times at the edges, in-process: any instant the wire can carry (a u64 of microseconds, or
any integer a hostile server sends) renders in any zone without a crash, and whether a token
has expired is decided on the exact microseconds. End to end: test_hostile.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from iggy_cli.cli.commands.render import expires, token_row_cells, token_row_json
from iggy_cli.errors import UsageError
from iggy_cli.expiry import (
    iso_utc,
    local_time,
    parse_duration,
    parse_expiry,
    relative_words,
    urgency,
)
from iggy_cli.models import FIRST_US, LAST_US, PersonalAccessToken, datetime_from_us
from iggy_cli.usecases.tokens import TokenRow, needing_attention

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NOW_US = 1_795_953_600_000_000
HOUR_US = 3_600 * 1_000_000
ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12"]
EDGES = [
    2**64 - 1,
    2**64 - 2,
    2**63,
    LAST_US + 1,
    LAST_US,
    LAST_US - HOUR_US,  # year 10000 east of UTC
    NOW_US,
    1,
    0,
    -1,
    FIRST_US + HOUR_US,  # year 0 west of UTC
    FIRST_US,
    FIRST_US - 1,
    -(10**18),
    -(2**63),
    -(2**64),
]


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()


def test_now_is_what_the_tests_say() -> None:
    assert datetime_from_us(NOW_US) == NOW


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("us", EDGES, ids=str)
def test_every_instant_renders_in_every_zone(zone: Callable[[str], None], tz: str, us: int) -> None:
    zone(tz)
    token = PersonalAccessToken("edge", us)
    row = TokenRow(token, token.is_expired(NOW), stored=False)
    cells = token_row_cells(row, NOW) + token_row_cells(row, NOW, zone=UTC)
    assert all(cell and cell.isprintable() for cell in cells)
    assert token_row_json(row)["expiry_at_us"] == us  # exact, whatever the calendar holds
    assert expires(us, NOW).startswith("expires ")
    assert row.expired == (us <= NOW_US)
    assert (urgency(us, NOW) == "expired") == (us <= NOW_US)
    iso = iso_utc(us)
    assert iso is not None and iso.endswith("Z")
    assert datetime.fromisoformat(iso) == datetime_from_us(us)


@pytest.mark.parametrize(
    ("tz", "us", "shown"),
    [
        ("Asia/Tokyo", 2**64 - 1, "after 9999-12-31"),
        ("Asia/Tokyo", 2**64 - 2, "after 9999-12-31"),
        ("America/New_York", 2**64 - 2, "after 9999-12-31"),
        ("UTC", LAST_US - HOUR_US, "9999-12-31 22:59:59 UTC"),
        ("Asia/Tokyo", LAST_US - HOUR_US, "after 9999-12-31"),  # 10000-01-01 07:59 JST
        ("America/New_York", LAST_US - HOUR_US, "9999-12-31 17:59:59 EST"),
        ("Asia/Tokyo", 0, "1970-01-01 09:00:00 JST"),
        ("America/New_York", 0, "1969-12-31 19:00:00 EST"),
        ("America/New_York", -1, "1969-12-31 18:59:59 EST"),
        ("UTC", FIRST_US + HOUR_US, "0001-01-01 01:00:00 UTC"),
        ("America/New_York", FIRST_US + HOUR_US, "before 0001-01-01"),  # year 0 there
        ("Asia/Tokyo", -(10**18), "before 0001-01-01"),
        ("America/New_York", -(10**18), "before 0001-01-01"),
    ],
    ids=lambda value: str(value),
)
def test_beyond_the_calendar_is_said_as_such(
    zone: Callable[[str], None], tz: str, us: int, shown: str
) -> None:
    zone(tz)
    assert local_time(us) == shown


@pytest.mark.parametrize(
    ("us", "words"),
    [
        (2**64 - 2, "in 213483196 days"),
        (-(10**18), "expired 11594861 days ago"),
        (0, "expired 20787 days ago"),
        (NOW_US, "expired 0 seconds ago"),
        (NOW_US + 1, "in 0 seconds"),
    ],
    ids=str,
)
def test_relative_words_count_from_the_exact_microseconds(us: int, words: str) -> None:
    assert relative_words(us, NOW) == words


def test_a_datetime_clamped_at_the_calendars_edge_says_more_than() -> None:
    # An access token's expiry arrives in seconds and becomes a datetime (models.Identity).
    clamped = datetime_from_us(10**20 * 1_000_000)
    assert local_time(clamped) == "after 9999-12-31"
    assert relative_words(clamped, NOW).startswith("in more than ")
    assert relative_words(datetime_from_us(-(10**26)), NOW).startswith("expired more than ")
    assert iso_utc(clamped) == "9999-12-31T23:59:59.999999Z"


def test_iso_utc_clamps_to_the_calendar() -> None:
    assert iso_utc(2**64 - 1) == "9999-12-31T23:59:59.999999Z"
    assert iso_utc(-(10**18)) == "0001-01-01T00:00:00Z"
    assert iso_utc(-1) == "1969-12-31T23:59:59.999999Z"


def test_a_token_long_past_is_expired_and_found_by_the_filters() -> None:
    rows = [
        TokenRow(token, token.is_expired(NOW), False)
        for token in (
            PersonalAccessToken("ancient", -(10**18)),
            PersonalAccessToken("epoch", 0),
            PersonalAccessToken("far", 2**64 - 2),
            PersonalAccessToken("soon", NOW_US + HOUR_US),
            PersonalAccessToken("never", None),
        )
    ]
    assert [row.token.name for row in rows if row.expired] == ["ancient", "epoch"]
    chosen = needing_attention(rows, NOW, timedelta(days=1), expired=True)
    assert [row.token.name for row in chosen] == ["ancient", "epoch", "soon"]
    window = parse_duration("999y")
    assert [row.token.name for row in needing_attention(rows, NOW, window, False)] == ["soon"]


@pytest.mark.parametrize(
    "words",
    [
        ["1" + "0" * 400 + "d"],
        ["9" * 5000 + "s"],  # past int()'s 4300-digit limit
        ["1" + "0" * 400 + "ns"],
        ["1000y", "1d"],
    ],
    ids=["400-digit-days", "5000-digit-seconds", "400-digit-ns", "just-over"],
)
def test_a_huge_expiry_is_a_usage_error(words: list[str]) -> None:
    with pytest.raises(UsageError, match="too long") as caught:
        parse_expiry(words)
    assert len(caught.value.message) < 120  # the words are cut short in the message
    with pytest.raises(UsageError, match="too long"):
        parse_duration(" ".join(words))


def test_leading_zeros_and_small_units_stay_exact() -> None:
    assert parse_expiry(["0" * 500 + "1d"]).microseconds == 86_400_000_000
    assert parse_expiry(["1500ns"]).microseconds == 1
    assert parse_expiry(["999999999ns", "1ns"]).microseconds == 1_000_000


def test_only_ascii_digits_are_digits() -> None:
    with pytest.raises(UsageError, match="cannot read expiry"):
        parse_expiry(["٣٠d"])  # noqa: RUF001 (Arabic-Indic 30: int() takes it, humantime not)

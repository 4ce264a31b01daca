"""Issue 21: tokens where CI needs them, never on screen. Expiry dates, `-o env`, GitHub
Actions masking, `pat exec`, rotation for pipelines and a headless first run.

The use cases run in-process against a sandbox whose clock is the test's (so an expiry date
comes back exact); the console script runs end to end where the wiring is the point."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Cli, new_sandbox, server_tokens

from iggy_cli.console.output import Output
from iggy_cli.errors import UsageError
from iggy_cli.expiry import parse_expiry
from iggy_cli.models import us_from_datetime
from iggy_cli.runtime import AppContext
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.secrets.stores import MemoryStore
from iggy_cli.settings import Settings, normalize_url
from iggy_cli.state.config_file import UserConfig
from iggy_cli.state.indexes import NameIndex, SessionIndex
from iggy_cli.state.rotation_journal import RotationJournal
from iggy_cli.usecases import tokens

NOW = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)
NOW_US = us_from_datetime(NOW)


class Clock:
    """The test's clock, shared by the tool (ctx.now) and the sandbox (its microseconds)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def us(self) -> int:
        return us_from_datetime(self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[SandboxServer]:
    with new_sandbox(clock=clock.us, cleaner_interval_s=None) as started:
        yield started


Build = Callable[..., AppContext]


@pytest.fixture
def build(server: SandboxServer, tmp_path: Path, clock: Clock) -> Build:
    def make(store: MemoryStore | None = None, **settings: object) -> AppContext:
        chosen = store if store is not None else MemoryStore()
        return AppContext(
            settings=Settings(
                normalize_url(server.url), timeout_s=5.0, username="iggy", **settings
            ),  # type: ignore[arg-type]
            output=Output(stdout=io.StringIO(), stderr=io.StringIO()),
            environ={"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"},
            now=clock,
            store_factory=lambda: chosen,
            sessions=SessionIndex(str(tmp_path / "sessions.json")),
            names=NameIndex(str(tmp_path / "names.json")),
            config=UserConfig(str(tmp_path / "config.toml")),
            rotations=RotationJournal(str(tmp_path / "rotations.json")),
        )

    return make


# --- expiry: dates and RFC 3339 times -----------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "utc", "until"),
    [
        (["2030-01-31"], True, datetime(2030, 1, 31, tzinfo=UTC)),
        (["2030-01-31T12:00:00+01:00"], False, datetime(2030, 1, 31, 11, tzinfo=UTC)),
        (["2030-01-31T11:00:00Z"], False, datetime(2030, 1, 31, 11, tzinfo=UTC)),
        (["2030-01-31t11:00:00.5z"], False, datetime(2030, 1, 31, 11, 0, 0, 500_000, tzinfo=UTC)),
        (["2030-01-31", "11:00:00-02:30"], False, datetime(2030, 1, 31, 13, 30, tzinfo=UTC)),
        (["2030-01-01T09:30:00.000001Z"], False, NOW + timedelta(microseconds=1)),
    ],
    ids=["date-utc", "offset", "z", "lowercase-fraction", "space", "one-microsecond-ahead"],
)
def test_a_date_or_time_is_the_lifetime_left_until_it(
    words: list[str], utc: bool, until: datetime
) -> None:
    expiry = parse_expiry(words, now=NOW, utc=utc)
    assert expiry.microseconds == us_from_datetime(until) - NOW_US
    assert expiry.until == until and expiry.label == " ".join(words)


def test_a_date_is_the_start_of_that_day_in_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")  # +05:30, no daylight saving
    time.tzset()
    try:
        expiry = parse_expiry(["2030-01-31"], now=NOW)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert expiry.until == datetime(2030, 1, 30, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["2029-12-31"], "expiry '2029-12-31' is in the past (2029-12-31T00:00:00Z)"),
        (
            ["2030-01-01T09:30:00Z"],
            "expiry '2030-01-01T09:30:00Z' is in the past (2030-01-01T09:30:00Z)",
        ),
        (["2030-02-30"], "no such date: '2030-02-30'"),
        (["2030-01-31T25:00:00Z"], "no such time: '2030-01-31T25:00:00Z'"),
        (["2030-01-31T12:00:00"], "the time '2030-01-31T12:00:00' names no time zone"),
        (["3999-01-01"], "expiry '3999-01-01' is too far off; use 'never'"),
        (["2030-1-31"], "cannot read expiry '2030-1-31'"),
    ],
    ids=["past-date", "now-exactly", "no-such-date", "no-such-hour", "no-zone", "too-far", "short"],
)
def test_dates_that_cannot_be_an_expiry(words: list[str], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_expiry(words, now=NOW, utc=True)
    assert raised.value.message == message


def test_a_token_created_until_a_date_ends_then_on_the_server(
    build: Build, server: SandboxServer
) -> None:
    until = datetime(2030, 1, 31, tzinfo=UTC)
    expiry = parse_expiry(["2030-01-31"], now=NOW, utc=True)
    with tokens.create_token(build(), "release", expiry, keep=True) as outcome:
        pass
    assert outcome.expires_at == until
    assert server_tokens(server.url) == {"release": us_from_datetime(until)}


def test_a_past_date_is_refused_before_anything_is_sent(cli: Cli, access_log: list[str]) -> None:
    result = cli("pat", "create", "release", "2001-01-31", "--utc", env=cli.as_admin())
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == (
        "error: expiry '2001-01-31' is in the past (2001-01-31T00:00:00Z)"
    )
    assert access_log == []


def test_create_until_a_date_says_that_date(cli: Cli, sandbox: SandboxServer) -> None:
    created = cli(
        "--utc",
        "pat",
        "create",
        "release",
        "2099-01-31T12:00:00+01:00",
        "-o",
        "json",
        env=cli.as_admin(),
    )
    assert created.code == 0, created.stderr
    assert created.json["expiry_at"] == "2099-01-31T11:00:00Z"  # type: ignore[index]
    assert list(server_tokens(sandbox.url)) == ["release"]

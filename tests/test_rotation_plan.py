"""The rotation's decisions, in-process and in milliseconds: what to do next given the journal,
the stored copy and the server's list; the new token's lifetime; which stand-ins are in use;
the journal's format; and how signals are held or raised (signals.py)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from iggy_cli import signals
from iggy_cli.errors import StorageError, UsageError
from iggy_cli.models import NEVER_EXPIRES_US, Expiry
from iggy_cli.state.rotation_journal import JournalEntry, RotationJournal
from iggy_cli.usecases import rotation_plan as rp

OLD, STAND_IN, NEW, OTHER = (rp.fingerprint(word) for word in ("old", "stand-in", "new", "x"))
S = "iggy-cli-standin-0123abcd"


def entry(**changes: object) -> JournalEntry:
    base = JournalEntry(
        stand_in=S,
        started_at="2026-11-29T03:00:00Z",
        user_id=0,
        lifetime_us=None,
        label="as before",
        ends_at_us=None,
        old_sha256=OLD,
        stand_in_sha256=STAND_IN,
        new_sha256=NEW,
    )
    return base._replace(**changes)


FULL = rp.FROM_THE_START
D, MN, SN, DS, FP = rp.DELETE_OLD, rp.MINT_NEW, rp.STORE_NEW, rp.DROP_STAND_IN, rp.FORGET_PREVIOUS

PLANS = [
    # (journal, stored copy's digest, names on the server) -> (steps, held, found)
    ("fresh", None, OLD, {"deploy"}, FULL, None, True),
    ("fresh, nothing stored", None, None, {"deploy"}, FULL, None, True),
    ("fresh, not on the server", None, OLD, {"other"}, (), None, False),
    (
        "stand-in stored, old still there",
        entry(),
        STAND_IN,
        {"deploy", S},
        (D, MN, SN, DS),
        "stand-in",
        True,
    ),
    ("stand-in stored, old deleted", entry(), STAND_IN, {S}, (MN, SN, DS), "stand-in", True),
    ("stand-in stored and expired", entry(), STAND_IN, {"deploy"}, (D, MN, SN), "stand-in", True),
    (
        "stand-in stored, before its new digest",
        entry(new_sha256=None),
        STAND_IN,
        {"deploy", S},
        (D, MN, SN, DS),
        "stand-in",
        True,
    ),
    ("new stored, stand-in left", entry(), NEW, {"deploy", S}, (DS,), "new", True),
    ("new stored, all done", entry(), NEW, {"deploy"}, (), "new", True),
    ("new stored, then deleted", entry(), NEW, {S}, (MN, SN, DS), "new", True),
    ("old stored, stand-in minted", entry(), OLD, {"deploy", S}, (FP, *FULL), "old", True),
    ("old stored, stand-in gone", entry(), OLD, {"deploy"}, FULL, "old", True),
    ("old stored, nothing on the server", entry(), OLD, {S}, (FP,), "old", False),
    ("none at the start, none now", entry(old_sha256=None), None, {"deploy"}, FULL, "old", True),
    ("copy removed since", entry(), None, {"deploy", S}, (FP, *FULL), "nothing", True),
    ("another secret stored since", entry(), OTHER, {"deploy", S}, (FP, *FULL), "other", True),
]


@pytest.mark.parametrize(
    ("journal", "stored", "listed", "steps", "held", "found"),
    [case[1:] for case in PLANS],
    ids=[case[0] for case in PLANS],
)
def test_plan(
    journal: JournalEntry | None,
    stored: str | None,
    listed: set[str],
    steps: tuple[str, ...],
    held: str | None,
    found: bool,
) -> None:
    assert rp.plan("deploy", journal, stored, listed) == rp.Plan(steps, held, found)


def test_a_plan_never_deletes_the_old_token_unless_a_stand_in_is_stored() -> None:
    """The one irreversible step comes after the stand-in is stored, in every plan."""
    for _, journal, stored, listed, *_ in PLANS:
        steps = rp.plan("deploy", journal, stored, listed).steps
        if rp.DELETE_OLD in steps:
            held = journal is not None and rp.held(journal, stored) == rp.STAND_IN
            assert held or steps.index(rp.STORE_STAND_IN) < steps.index(rp.DELETE_OLD)


def test_held_compares_digests_only_where_there_are_some() -> None:
    nothing_recorded = entry(old_sha256=None, stand_in_sha256=None, new_sha256=None)
    assert rp.held(nothing_recorded, None) == rp.OLD
    assert rp.held(nothing_recorded, OTHER) == rp.OTHER
    assert rp.held(entry(), None) == rp.NOTHING


NOW_US = 1_800_000_000_000_000


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        (entry(lifetime_us=30 * 86_400_000_000, label="30d"), Expiry(30 * 86_400_000_000, "30d")),
        (entry(lifetime_us=0, label="server default"), Expiry(0, "server default")),
        (entry(ends_at_us=None), Expiry(NEVER_EXPIRES_US, "never")),
        (entry(ends_at_us=NOW_US + 1), Expiry(1, "as before")),
        (entry(ends_at_us=NOW_US + 7_000_000), Expiry(7_000_000, "as before")),
    ],
    ids=["asked", "server-default", "never-as-before", "one-us-left", "as-before"],
)
def test_lifetime(recorded: JournalEntry, expected: Expiry) -> None:
    assert rp.lifetime(recorded, NOW_US, "deploy") == expected


@pytest.mark.parametrize("left", [0, -1], ids=["ends-now", "ended"])
def test_a_lifetime_that_is_over_asks_for_an_expiry(left: int) -> None:
    with pytest.raises(UsageError) as caught:
        rp.lifetime(entry(ends_at_us=NOW_US + left), NOW_US, "deploy")
    assert caught.value.hint == "give the new token an EXPIRY, such as `iggy pat rotate deploy 30d`"


def test_stand_ins_in_use() -> None:
    journal = {
        "a": entry(stand_in="iggy-cli-standin-0000000a"),
        "b": entry(stand_in="iggy-cli-standin-0000000b"),
        "c": entry(stand_in="iggy-cli-standin-0000000c"),
        "d": entry(stand_in="iggy-cli-standin-0000000d"),
    }
    digests = {"a": STAND_IN, "b": OLD, "c": NEW}  # d's copy could not be read
    assert rp.stand_ins_in_use(journal, digests) == {
        "iggy-cli-standin-0000000a",
        "iggy-cli-standin-0000000d",
    }


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        ("iggy-cli-standin-0123abcd", True),
        ("iggy-cli-standin-0123ABCD", False),
        ("iggy-cli-standin-0123abc", False),
        ("iggy-cli-standin-0123abcde", False),
        ("x-iggy-cli-standin-0123abcd", False),
        ("rotating-0123abcd", False),
    ],
)
def test_is_stand_in(name: str, ours: bool) -> None:
    assert rp.is_stand_in(name) is ours


def test_a_stand_in_name_fits_and_a_stand_in_is_brief() -> None:
    name = rp.stand_in_name("0123abcd")
    assert rp.is_stand_in(name) and len(name.encode()) <= 30
    assert rp.STAND_IN_LIFETIME_US == 600_000_000


def test_fingerprint_is_sha256_hex() -> None:
    assert rp.fingerprint("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


# --- the journal's file ----------------------------------------------------------------------


def test_the_journal_round_trips_and_forgets(tmp_path: Path) -> None:
    journal = RotationJournal(str(tmp_path / "rotations.json"))
    journal.put("h:1", "deploy", entry())
    journal.put("h:1", "other", entry(stand_in="iggy-cli-standin-0000000b"))
    journal.put("h:2", "deploy", entry(user_id=None))
    assert journal.get("h:1", "deploy") == entry()
    assert sorted(journal.entries("h:1")) == ["deploy", "other"]
    journal.drop("h:1", "deploy")
    journal.drop("h:1", "other")
    journal.drop("h:1", "never-there")
    assert journal.entries("h:1") == {} and journal.get("h:2", "deploy") == entry(user_id=None)
    assert (tmp_path / "rotations.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        {"stand_in": 7},
        {**entry().to_json(), "user_id": True},
        {**entry().to_json(), "old_sha256": 1},
        {key: value for key, value in entry().to_json().items() if key != "label"},
    ],
    ids=["null", "list", "bad-name", "bool-user", "bad-digest", "missing-key"],
)
def test_a_damaged_entry_is_left_out(tmp_path: Path, raw: object) -> None:
    assert JournalEntry.from_json(raw) is None
    path = tmp_path / "rotations.json"
    import json

    path.write_text(json.dumps({"h:1": {"deploy": raw, "ok": entry().to_json()}}))
    assert list(RotationJournal(str(path)).entries("h:1")) == ["ok"]


def test_an_unwritable_journal_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    journal = RotationJournal(str(tmp_path / "file" / "rotations.json"))
    with pytest.raises(StorageError, match="cannot write"):
        journal.put("h:1", "deploy", entry())
    with pytest.raises(StorageError, match="cannot lock"), journal.running():
        pass


# --- signals ---------------------------------------------------------------------------------


@pytest.fixture
def a_run() -> Iterator[None]:
    """A guard is used inside a run, whose handlers signals.install() sets and whose end
    forgets the signals received (they would otherwise name a later test's Ctrl-C)."""
    restore = signals.install()
    try:
        yield
    finally:
        restore()


@pytest.mark.usefixtures("a_run")
@pytest.mark.parametrize("signum", signals.HANDLED, ids=lambda s: signal.Signals(s).name)
def test_inside_interruptible_a_signal_raises_once(signum: int) -> None:
    with (
        pytest.raises(signals.Interrupt) as caught,
        signals.guard() as held,
        held.interruptible(),
    ):
        os.kill(os.getpid(), signum)
        pytest.fail("not interrupted")
    assert caught.value.signum == signum
    assert caught.value.words == (
        "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    )


@pytest.mark.usefixtures("a_run")
def test_outside_interruptible_a_signal_waits_for_the_end_of_the_guard() -> None:
    done = []
    with pytest.raises(signals.Interrupt), signals.guard():
        os.kill(os.getpid(), signal.SIGTERM)
        done.append("the work went on")
    assert done == ["the work went on"]


@pytest.mark.usefixtures("a_run")
def test_a_recorded_signal_raises_on_entering_interruptible() -> None:
    reached = []
    with signals.guard() as held:
        os.kill(os.getpid(), signal.SIGHUP)
        with pytest.raises(signals.Interrupt), held.interruptible():
            reached.append("no")
        assert reached == [] and held.received == [signal.SIGHUP]


@pytest.mark.usefixtures("a_run")
def test_after_a_raise_later_signals_are_held_while_it_is_handled() -> None:
    handled = []
    with pytest.raises(signals.Interrupt), signals.guard() as held:
        try:
            with held.interruptible():
                os.kill(os.getpid(), signal.SIGINT)
                pytest.fail("not interrupted")
        except signals.Interrupt:
            os.kill(os.getpid(), signal.SIGTERM)  # while handling the first
            handled.append("handled")
    assert handled == ["handled"]  # and the held SIGTERM was raised at the guard's end


@pytest.mark.usefixtures("a_run")
def test_an_exception_wins_over_a_held_signal() -> None:
    with pytest.raises(ValueError), signals.guard():
        os.kill(os.getpid(), signal.SIGTERM)
        raise ValueError("the real outcome")


@pytest.mark.usefixtures("a_run")
def test_the_guard_puts_the_handlers_back() -> None:
    before = [signal.getsignal(signum) for signum in signals.HANDLED]
    with signals.guard():
        assert signal.getsignal(signal.SIGTERM) != before[1]
    assert [signal.getsignal(signum) for signum in signals.HANDLED] == before


def test_a_signal_the_guard_held_names_the_interruption_until_the_run_ends() -> None:
    restore = signals.install()
    try:
        with pytest.raises(signals.Interrupt), signals.guard():
            os.kill(os.getpid(), signal.SIGTERM)
        assert (signals.describe(), signals.exit_code()) == ("SIGTERM", 143)
    finally:
        restore()
    assert (signals.describe(), signals.exit_code()) == ("Ctrl-C", 130)

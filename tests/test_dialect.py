"""dialect.py in-process: lifetimes in each unit, names as renaming servers store them, and what
each answer teaches; then the client against every release the sandbox plays, over loopback.

Facts: create's `expiry` is Option<u32> seconds up to 0.2.24 and u64 microseconds from 0.3.0
(iggy/src/personal_access_tokens/create_personal_access_token.rs at server-0.2.24, and
sdk/src/personal_access_tokens/create_personal_access_token.rs at server-0.3.0); names are
normalised up to 0.4.140 (server/src/streaming/systems/personal_access_tokens.rs there).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers.servers import new_sandbox

from iggy_cli import errors
from iggy_cli.models import NEVER_EXPIRES_US, SERVER_DEFAULT_US
from iggy_cli.server.client import IggyClient
from iggy_cli.server.dialect import (
    MAX_SECONDS,
    DialectMismatch,
    Knowledge,
    check_name,
    describe,
    kept_as_given,
    normalize_name,
    renaming_accepts,
    wire_expiry,
)

NOW = "2026-11-29T03:18:26Z"
SECOND = 1_000_000


@pytest.mark.parametrize(
    ("microseconds", "in_seconds", "wire"),
    [
        (1, True, 1),  # rounded up: 0 would expire at once
        (SECOND, True, 1),
        (SECOND + 1, True, 2),
        (1_500_000, True, 2),
        (3_600 * SECOND, True, 3_600),
        (MAX_SECONDS * SECOND, True, MAX_SECONDS),
        (NEVER_EXPIRES_US, True, None),
        (3_600 * SECOND, False, 3_600 * SECOND),
        (NEVER_EXPIRES_US, False, NEVER_EXPIRES_US),
        (SERVER_DEFAULT_US, False, SERVER_DEFAULT_US),
    ],
    ids=lambda value: repr(value),
)
def test_wire_expiry(microseconds: int, in_seconds: bool, wire: int | None) -> None:
    assert wire_expiry(microseconds, in_seconds) == wire


@pytest.mark.parametrize(
    ("microseconds", "message"),
    [
        (SERVER_DEFAULT_US, "has no default token lifetime"),
        ((MAX_SECONDS + 1) * SECOND, "up to 4294967295 seconds"),
        (MAX_SECONDS * SECOND + 1, "not 4294967296"),  # rounded up past the limit
    ],
)
def test_what_seconds_cannot_express_is_a_usage_error(microseconds: int, message: str) -> None:
    with pytest.raises(errors.UsageError, match=message):
        wire_expiry(microseconds, True)


@pytest.mark.parametrize(
    ("name", "stored", "accepted"),
    [
        ("Deploy Key", "deploy.key", True),
        ("  CI \t job  ", "ci.job", True),
        ("deploy-key_2.0", "deploy-key_2.0", True),
        ("émile", "émile", True),  # \w is Unicode in Rust's regex too
        ("a/b", "a/b", False),
        ("a+b", "a+b", False),
    ],
)
def test_names_as_renaming_servers_keep_them(name: str, stored: str, accepted: bool) -> None:
    assert normalize_name(name) == stored
    assert renaming_accepts(name) is accepted
    assert kept_as_given(name) is (stored != name or not accepted)


def test_a_name_a_renaming_server_refuses_is_refused_only_there() -> None:
    with pytest.raises(errors.UsageError, match="refuses token name 'a/b'"):
        check_name("a/b", renames=True)
    check_name("a/b", renames=False)
    check_name("a/b", renames=None)  # not known yet: the server decides


def test_each_answer_narrows_the_generations() -> None:
    knowledge = Knowledge()
    assert knowledge.name is None and describe(knowledge.candidates) == "not known yet"
    assert knowledge.expiry_in_seconds is None and knowledge.renames is None
    knowledge.learn("login-access-token", NOW)
    assert describe(knowledge.candidates) == "renaming, stable or edge"
    assert knowledge.expiry_in_seconds is False and knowledge.renames is None
    assert knowledge.pat_prefixes() == ("/personal-access-tokens",)
    knowledge.learn("renamed", NOW)
    assert knowledge.name == "renaming" and knowledge.renames is True
    assert knowledge.evidence == ("login-access-token", "renamed")
    assert knowledge.changed and knowledge.learned_at == NOW


def test_the_first_generation_tries_both_token_routes() -> None:
    knowledge = Knowledge()
    knowledge.learn("login-token", NOW)
    assert knowledge.pat_prefixes() == ("/personal-access-tokens", "/pat")
    knowledge.learn_route(pat_prefix="/pat")
    assert knowledge.pat_prefixes() == ("/pat", "/personal-access-tokens")
    assert knowledge.logout_methods() == ("POST", "DELETE")


def test_legacy_logout_starts_with_what_worked() -> None:
    knowledge = Knowledge()
    knowledge.learn("login-tokens", NOW)
    assert knowledge.logout_methods() == ("DELETE", "POST")
    knowledge.learn_route(logout_method="POST")
    assert knowledge.logout_methods() == ("POST", "DELETE")


def test_an_answer_that_contradicts_memory_starts_again() -> None:
    remembered = Knowledge.from_record(
        {
            "candidates": ["legacy"],
            "evidence": ["login-tokens"],
            "learned_at": NOW,
            "logout_method": "POST",
        }
    )
    assert remembered.detected == {"legacy"} and remembered.expiry_in_seconds is True
    remembered.learn("login-access-token", "later")
    assert remembered.relearned_from == frozenset({"legacy"})
    assert describe(remembered.detected) == "renaming, stable or edge"
    assert remembered.evidence == ("login-access-token",) and remembered.logout_method is None
    assert remembered.expiry_in_seconds is False


def test_an_answer_that_contradicts_the_override_is_refused() -> None:
    knowledge = Knowledge(override="legacy", override_origin="--server-dialect")
    assert knowledge.name == "legacy" and knowledge.expiry_in_seconds is True
    with pytest.raises(DialectMismatch):
        knowledge.learn("login-access-token", NOW)
    assert knowledge.name == "legacy"  # still in force, and what was detected is kept
    assert knowledge.detected_name is None and knowledge.evidence == ("login-access-token",)
    consistent = Knowledge(override="renaming")
    consistent.learn("login-access-token", NOW)
    assert consistent.name == "renaming"


def test_the_record_round_trips_and_damage_reads_as_nothing_known() -> None:
    knowledge = Knowledge()
    knowledge.learn("login-tokens", NOW)
    knowledge.learn_route(logout_method="POST")
    again = Knowledge.from_record(knowledge.record())
    assert again.record() == knowledge.record()
    assert knowledge.record()["dialect"] == "legacy"
    for damaged in (None, [], {"candidates": "legacy"}, {"candidates": ["nonsense"]}):
        assert Knowledge.from_record(damaged).candidates == Knowledge().candidates  # type: ignore[arg-type]
    odd = Knowledge.from_record({"candidates": ["edge"], "pat_prefix": "/etc", "evidence": [7]})
    assert odd.pat_prefix is None and odd.evidence == ()


# --- the client against every release ---------------------------------------------------------

RELEASES = [
    ("first", "0.0.40"),
    ("first", "0.0.43"),
    ("first", "0.0.44"),
    ("first", "0.0.50"),
    ("legacy", "0.0.51"),
    ("legacy", "0.2.16"),
    ("legacy", "0.2.17"),
    ("legacy", "0.2.24"),
    ("renaming", "0.3.0"),
    ("renaming", "0.4.100"),
    ("renaming", "0.4.140"),
    ("stable", "0.4.150"),
    ("stable", "0.8.0"),
    ("edge", "0.9.0-edge.2"),
    ("edge", "0.9.0-edge.5"),
]


@pytest.mark.parametrize(("generation", "release"), RELEASES, ids=[r for _, r in RELEASES])
def test_the_client_speaks_every_release(generation: str, release: str) -> None:
    with new_sandbox(dialect=generation, server_version=release) as server:
        version = server.dialect.version
        knowledge = Knowledge()
        with IggyClient(server.url, timeout=5, dialect=knowledge) as client:
            identity = client.login_with_password("iggy", "iggy")
            assert identity.user_id == server.dialect.root_user_id
            # Up to 0.0.43 the sign-in does not say when the JWT expires.
            assert (identity.access_token_expires_at is None) == (version <= (0, 0, 43))
            assert generation in knowledge.candidates
            assert knowledge.expiry_in_seconds is (generation in ("first", "legacy"))
            client.create_token("hourly", 3_600 * SECOND)
            minted = client.create_token("Deploy Key", NEVER_EXPIRES_US)
            renames = generation in ("first", "legacy", "renaming")
            assert minted.name == ("deploy.key" if renames else "Deploy Key")
            assert minted.renamed is renames
            assert knowledge.renames is renames  # learned from the list it checked
            listed = {token.name: token for token in client.list_tokens()}
            ends = listed["hourly"].expiry_at
            assert ends is not None
            assert abs(ends - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=1)
            assert listed[minted.name].expiry_at is None
            client.logout()
        with IggyClient(server.url, timeout=5, dialect=knowledge) as robot:
            assert robot.login_with_token(minted.token).user_id == identity.user_id
            assert robot.delete_token("Deploy Key") == minted.name
            assert {token.name for token in robot.list_tokens()} == {"hourly"}
            robot.logout()
        if version < (0, 0, 42):
            assert knowledge.pat_prefix == "/pat"
        assert knowledge.logout_method == ("POST" if version <= (0, 2, 16) else "DELETE")
        if generation in ("stable", "edge"):
            # Both keep names and sign in alike: only edge's busy answers or the probe tell.
            assert knowledge.candidates == {"stable", "edge"}
            with IggyClient(server.url, timeout=5, dialect=knowledge) as client:
                client.probe_generation()
        assert knowledge.name == generation


@pytest.mark.parametrize(
    ("generation", "evidence"),
    [
        ("legacy", "probe-invalid-username"),
        ("renaming", "probe-invalid-username"),
        ("stable", "probe-invalid-identifier"),
        ("edge", "probe-invalid-credentials"),
    ],
)
def test_an_empty_sign_in_tells_the_generation(generation: str, evidence: str) -> None:
    with new_sandbox(dialect=generation) as server, IggyClient(server.url, timeout=5) as client:
        assert client.probe_generation() == evidence
        assert not client.logged_in

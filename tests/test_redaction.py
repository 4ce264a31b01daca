"""Masking where it lives (iggy_cli/secrets/redaction.py), in-process and fast: every known secret,
whole or in any piece of 16 characters, in any of its escaped forms, masked BEFORE a text is
cut; the shapes of PATs and JWTs masked unregistered; short secrets left alone on purpose."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterable
from urllib.parse import quote

import pytest
from helpers.leaks import assert_no_secret_in

from iggy_cli.console import untrusted_text
from iggy_cli.secrets.redaction import FRAGMENT, MASK, MIN_WHOLE, Secrets, mask_json

PAT = base64.b64encode(bytes(range(7, 57))).decode()  # 68 characters, as Iggy's are
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXNpZ25hdHVy"
PASSWORD = 'p4ss "w0rd" /with\\ odd+chars'


def known(*secrets: str) -> Secrets:
    registry = Secrets()
    for secret in secrets:
        registry.remember(secret)
    return registry


def test_a_pat_is_68_characters() -> None:
    assert len(PAT) == 68


@pytest.mark.parametrize(
    "form",
    [
        PASSWORD,
        json.dumps(PASSWORD)[1:-1],
        repr(PASSWORD)[1:-1],
        repr(PASSWORD.encode())[2:-1],
        quote(PASSWORD, safe=""),
    ],
    ids=["plain", "json", "repr", "bytes-repr", "percent"],
)
def test_a_secret_is_masked_in_every_escaped_form(form: str) -> None:
    text = f"the server said: {form} (400)"
    assert known(PASSWORD).redact(text) == f"the server said: {MASK} (400)"


def test_a_non_ascii_secret_is_masked_in_a_bytes_repr() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9é.signature-signature"
    text = f"ValueError: Invalid header value {('Bearer ' + jwt).encode()!r}"
    masked = known(jwt).redact(text)
    assert masked == f"ValueError: Invalid header value b'Bearer {MASK}'"


@pytest.mark.parametrize("start", range(0, 68 - FRAGMENT + 1, 5))
@pytest.mark.parametrize("length", [FRAGMENT, FRAGMENT + 1, 40, 68])
def test_any_16_character_piece_of_a_known_secret_is_masked(start: int, length: int) -> None:
    piece = PAT[start : start + length]
    if len(piece) < FRAGMENT:
        pytest.skip("runs past the end of the token")
    text = f"echo: ..{piece}.. end"
    masked = known(PAT).redact(text)
    assert masked == f"echo: ..{MASK}.. end"


def test_a_15_character_piece_is_left_alone() -> None:
    # Fifteen characters of a random secret carry too little to be worth mangling text over.
    piece = PAT[10:25]
    assert known(PAT).redact(f"<{piece}>") == f"<{piece}>"


def test_pieces_of_a_secret_with_repeats_are_found_at_every_alignment() -> None:
    secret = "abababababababababababababab-tail-of-a-password"
    registry = known(secret)
    for start in range(len(secret) - FRAGMENT + 1):
        piece = secret[start : start + FRAGMENT]
        assert registry.redact(f"x{piece}y") == f"x{MASK}y", start


def test_two_secrets_side_by_side_become_one_mask() -> None:
    other = base64.b64encode(bytes(range(100, 150))).decode()
    assert known(PAT, other).redact(f"[{PAT}{other}]") == f"[{MASK}]"


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        ("iggy", False),  # the default password is also the product's name
        ("a" * (MIN_WHOLE - 1), False),
        ("hunter22", True),
        ("s3cret-but-15ch", True),
    ],
    ids=["4-chars", "7-chars", "8-chars", "15-chars"],
)
def test_secrets_shorter_than_8_characters_are_not_masked(secret: str, masked: bool) -> None:
    text = f"login as iggy at http://iggy.example.com with {secret}!"
    expected = text.replace(secret, MASK) if masked else text
    assert known(secret).redact(text) == expected


@pytest.mark.parametrize("size", [49, 50])  # 68 characters, one or two `=`
def test_unregistered_pat_and_jwt_shapes_are_masked(size: int) -> None:
    pat = base64.b64encode(os.urandom(size)).decode()
    assert Secrets().redact(f"token {pat} and bearer {JWT}.") == f"token {MASK} and bearer {MASK}."


def test_a_run_of_base64_longer_than_a_pat_is_not_a_pat() -> None:
    text = "A" * 100
    assert Secrets().redact(text) == text


def test_extra_secrets_are_masked_without_being_remembered() -> None:
    registry = Secrets()
    assert registry.redact("say hunter2hunter2", ["hunter2hunter2"]) == f"say {MASK}"
    assert registry.redact("say hunter2hunter2") == "say hunter2hunter2"


def test_remember_json_registers_secret_keys_at_any_depth() -> None:
    registry = Secrets()
    registry.remember_json(
        {"user_id": 1, "tokens": {"access_token": {"token": JWT}}, "x": [{"password": PASSWORD}]}
    )
    registry.remember_json({"name": "not-a-secret-but-long"})
    assert registry.redact(f"{JWT} {PASSWORD} not-a-secret-but-long") == (
        f"{MASK} {MASK} not-a-secret-but-long"
    )


def test_mask_json_masks_secret_keys_and_known_secrets_in_values() -> None:
    payload = {"username": "iggy", "password": "pw", "note": f"was {PAT}", "nested": {"a": [1]}}
    assert mask_json(payload) == {
        "username": "iggy",
        "password": MASK,
        "note": f"was {MASK}",
        "nested": {"a": [1]},
    }


# --- shorten: mask first, cut second ---------------------------------------------------------


@pytest.mark.parametrize("prefix", range(0, 121, 3))
def test_a_cut_never_slices_a_secret_into_view(prefix: int) -> None:
    # The bug this prevents: a body cut at 120 characters before masking showed up to 65 of
    # a token's 68 characters, which no longer had a PAT's shape.
    tail = " and then " + PASSWORD + " " + "y" * 300
    registered = known(PAT, PASSWORD).shorten("x" * prefix + PAT + tail, 120)
    # Unregistered, only the shape tells, and a PAT's shape needs a boundary before it.
    by_shape = Secrets().shorten("-" * prefix + PAT + tail, 120)
    for shown in (registered, by_shape):
        assert len(shown) == 121 and shown.endswith("…")
    assert_no_secret_in([PAT, PASSWORD], registered)
    assert_no_secret_in([PAT], by_shape)


def test_shorten_keeps_a_short_text_whole_and_says_the_size_of_a_cut_one() -> None:
    registry = known(PAT)
    assert registry.shorten(f"short {PAT}", 120) == f"short {MASK}"
    assert registry.shorten("z" * 200, 10, total=" (200 bytes)") == "z" * 10 + "… (200 bytes)"


def test_shorten_looks_past_the_cut_when_masks_shrink_the_text() -> None:
    # 100 masked tokens shrink 6,800 characters to 300: the cut must still see whole tokens.
    many = [base64.b64encode(os.urandom(50)).decode() for _ in range(100)]
    text = " ".join(many) + " tail"
    shown = known(*many).shorten(text, 250)
    assert set(shown.rstrip("…")) == {"*", " "}
    assert_no_secret_in(many, shown)


def test_shorten_of_a_huge_text_masks_only_a_bounded_prefix() -> None:
    text = PAT + "." * 50_000_000
    shown = known(PAT).shorten(text, 100)
    assert shown == MASK + "." * 97 + "…"


# --- edges the mutation pass asked about (make mutate) ---------------------------------------

# Every escaped form differs from the others every few characters, so only the form itself can
# mask a text written in it (a 16-character run shared with another form would mask it too);
# and no block repeats, so a form cut short by a character cannot match at another offset.
ODD = 'ä"ö\\ü/+ é"à\\ß/= ñ"ç\\ø/-!'


@pytest.mark.parametrize(
    "form",
    [
        json.dumps(ODD)[1:-1],
        json.dumps(ODD, ensure_ascii=False)[1:-1],
        repr(ODD)[1:-1],
        repr(ODD.encode())[2:-1],
        quote(ODD, safe=""),
    ],
    ids=["json-ascii", "json", "repr", "bytes-repr", "percent"],
)
def test_each_escaped_form_is_masked_by_itself(form: str) -> None:
    assert known(ODD).redact(f"<{form}>") == f"<{MASK}>"


def test_a_secret_is_masked_as_printed_after_escaping() -> None:
    # both quotes and a tab: the printed escape (untrusted_text.shown) is not its repr
    secret = 'it\'s "12"\t'
    printed = untrusted_text.shown(secret)
    assert repr(secret)[1:-1] != printed
    assert known(secret).redact(f"<{printed}>") == f"<{MASK}>"


def test_a_secret_with_a_lone_surrogate_is_masked_in_its_bytes_form() -> None:
    # what a non-UTF-8 byte in IGGY_PASSWORD becomes in Python (surrogateescape)
    secret = "pass\udcffword-with-a-bad-byte"
    registry = known(secret)
    raw = secret.encode("utf-8", "surrogateescape")
    assert registry.redact(f"<{repr(raw)[2:-1]}>") == f"<{MASK}>"
    assert registry.redact(f"<{quote(raw, safe='')}>") == f"<{MASK}>"


def test_a_short_secret_is_not_remembered_in_any_form() -> None:
    short = "ab cd e"  # 7 characters; percent-encoded it would be 13
    assert known(short).redact(quote(short, safe="")) == quote(short, safe="")


def test_every_occurrence_of_a_short_secret_is_masked_even_overlapping() -> None:
    assert known("hunter22").redact("hunter22 and hunter22") == f"{MASK} and {MASK}"
    assert known("hunter22").redact("hunter22 hunter22 hunter22") == f"{MASK} {MASK} {MASK}"
    assert known("aaaaaaaa").redact("aaaaaaaaa") == MASK


def test_a_piece_never_reaches_past_either_end_of_the_secret() -> None:
    secret = "Q" + "abcdefghijklmnopqrstuvwx"
    registry = known(secret)
    # the text starts inside the secret and ends with the secret's first character
    assert registry.redact("abcdefghijklmnopqrstuvwx Q") == f"{MASK} Q"
    # the character before the secret is the secret's last one
    assert registry.redact(f"x{secret[-1]}{secret}") == f"x{secret[-1]}{MASK}"
    # the text ends inside the secret
    assert registry.redact("-- " + secret[:20]) == f"-- {MASK}"


def test_extra_secrets_are_masked_with_a_full_registry() -> None:
    registry = known(PAT)
    extra = "an-extra-secret-for-this-text"
    assert registry.redact(f"{PAT} {extra}", [extra]) == f"{MASK} {MASK}"
    assert registry.shorten(f"{extra} " + "z" * 300, 50, [extra]) == MASK + " " + "z" * 46 + "…"


def test_shorten_of_exactly_the_limit_is_not_cut() -> None:
    assert Secrets().shorten("z" * 120, 120) == "z" * 120
    assert Secrets().shorten("z" * 121, 120) == "z" * 120 + "…"


def test_shorten_reaches_past_tokens_that_masking_shrank() -> None:
    # Unregistered tokens are found by shape only, so one sliced at the end of the masked
    # prefix would show. The prefix must grow until the margin past the cut holds.
    tokens = [base64.b64encode(os.urandom(50)).decode() for _ in range(120)]
    shown = Secrets().shorten(" ".join(tokens), 300)
    assert_no_secret_in(tokens, shown)
    assert shown == " ".join([MASK] * 120)[:300] + "…"


class Recording(Secrets):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        self.seen.append(len(text))
        return super().redact(text, extra)


def test_shorten_masks_a_bounded_prefix_only() -> None:
    registry = Recording()
    registry.shorten("." * 1_000_000, 100)
    assert registry.seen == [100 + 4096]


def test_the_module_functions_use_the_process_registry() -> None:
    from iggy_cli.secrets import redaction

    # fresh each run: the process registry outlives a test (and mutmut forks warm processes)
    secret, other = f"module-{uuid.uuid4().hex}", f"json-{uuid.uuid4().hex}"
    redaction.remember(secret)
    redaction.remember_json({"password": other})
    assert redaction.redact(f"{secret} {other}") == f"{MASK} {MASK}"
    assert redaction.redact("say extra-secret-3", ["extra-secret-3"]) == f"say {MASK}"
    cut = redaction.shorten("extra-secret-4 " + "z" * 200, 30, ["extra-secret-4"])
    assert cut == MASK + " " + "z" * 26 + "…"
    assert redaction.shorten("z" * 200, 10, total=" (200)") == "z" * 10 + "… (200)"


def test_mask_json_passes_extra_secrets_down() -> None:
    payload = {"outer": [{"note": "say hunter2hunter2"}], "list": ["hunter2hunter2"]}
    assert mask_json(payload, ["hunter2hunter2"]) == {
        "outer": [{"note": f"say {MASK}"}],
        "list": [MASK],
    }

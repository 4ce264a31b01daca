"""The leak check every secrets test uses: no 16 consecutive characters of any secret in a text.

Sixteen because masking promises exactly that (iggy_cli/secrets/redaction.py): a server may echo
part of a secret, or a cut may slice one, and either way fewer than 16 characters of it may show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

WINDOW = 16
SHORTEST = 8  # redaction.MIN_WHOLE: shorter secrets are ordinary words, not masked


def windows(secrets: Iterable[str]) -> set[str]:
    """Every 16-character piece of every secret (one of 8 to 16 characters counts whole)."""
    pieces: set[str] = set()
    for secret in secrets:
        if len(secret) <= WINDOW:
            if len(secret) >= SHORTEST:
                pieces.add(secret)
            continue
        pieces.update(secret[start : start + WINDOW] for start in range(len(secret) - WINDOW + 1))
    return pieces


def leaked(text: str, pieces: set[str]) -> list[str]:
    """The pieces found in `text` (each at most once), in the order they appear."""
    return searcher(pieces)(text)


def searcher(pieces: set[str]) -> Callable[[str], list[str]]:
    """`leaked` for many texts and one set of pieces: the pieces are looked at once, here."""
    if not pieces:
        return lambda text: []
    lengths = sorted({len(piece) for piece in pieces})
    # A piece can only sit inside a run of characters that pieces are made of, so only those
    # runs are searched (a token's alphabet has no space: most of a message is skipped).
    alphabet = "".join(sorted({char for piece in pieces for char in piece}))
    runs_of = re.compile(f"[{re.escape(alphabet)}]{{{lengths[0]},}}").finditer

    def search(text: str) -> list[str]:
        found: list[str] = []
        runs = [run.group() for run in runs_of(text)]
        for length in lengths:
            for run in runs:
                for start in range(len(run) - length + 1):
                    piece = run[start : start + length]
                    if piece in pieces and piece not in found:
                        found.append(piece)
        return found

    return search


def assert_no_secret_in(secrets: Iterable[str], *texts: str) -> None:
    """Fail, naming where, if any 16 consecutive characters of a secret are in any text."""
    pieces = windows(secrets)
    for index, text in enumerate(texts):
        found = leaked(text, pieces)
        assert not found, (
            f"text #{index} leaks {len(found)} piece(s) of a secret, e.g. {found[0]!r}"
        )

"""Turning use-case outcomes into words and JSON objects (the JSON keys are a contract)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from iggy_cli.expiry import iso_utc, local_time, relative_words, short_words, urgency
from iggy_cli.models import Instant

if TYPE_CHECKING:
    from iggy_cli.usecases.tokens import StoredEntry, TokenRow


def expires(instant: Instant | None, now: datetime, zone: tzinfo | None = None) -> str:
    """'expires 2026-12-29 01:50:00 UTC (in 30 days)', or 'never expires'. `zone`: the run's
    (AppContext.zone); None, the machine's."""
    if instant is None:
        return "never expires"
    return f"expires {when(instant, now, zone)}"


def when(instant: Instant | None, now: datetime, zone: tzinfo | None = None) -> str:
    """'2026-12-29 01:50:00 UTC (in 30 days)', or 'never'."""
    if instant is None:
        return "never"
    return f"{local_time(instant, zone=zone)} ({relative_words(instant, now)})"


def token_row_json(row: TokenRow) -> dict[str, Any]:
    return {
        "name": row.token.name,
        "expiry_at": iso_utc(row.token.expiry_at_us),
        "expiry_at_us": row.token.expiry_at_us,
        "expired": row.expired,
        "stored": row.stored,
        "retiring_until": iso_utc(row.retiring_until_us),
    }


def token_row_cells(row: TokenRow, now: datetime, zone: tzinfo | None = None) -> list[str]:
    # Short forms, minutes not seconds: a row fits 80 columns beside a 30-byte name (the
    # JSON and `pat show` keep the exact instant).
    expiry_at = row.token.expiry_at_us
    ends = short_words(expiry_at, now)
    if row.retiring_until_us is not None:
        grace = short_words(row.retiring_until_us, now)
        ends = "retiring " + grace if grace.startswith("in ") else "retired: pat prune"
    return [
        row.token.name,
        local_time(expiry_at, zone=zone, seconds=False),
        ends,
        "yes" if row.stored else "no",
    ]


def token_row_urgency(row: TokenRow, now: datetime) -> str | None:
    return urgency(row.token.expiry_at_us, now)


TOKEN_COLUMNS = ("NAME", "EXPIRES", "WHEN", "STORED")


def stored_json(entry: StoredEntry) -> dict[str, str | None]:
    return {"kind": entry.kind, "service": entry.service, "username": entry.username}


def stored_words(entry: StoredEntry) -> str:
    """'the keyring (iggy:host:3000 / deploy)': the store, and the entry as service / user,
    as `pat login` names a source; for the token file, its path."""
    from iggy_cli.console.untrusted_text import shown

    where = f"the token file {entry.path}" if entry.path else f"the {entry.kind}"
    # escaped here, as the name beside it is by repr: a line that mixed a raw name with an
    # escaped one would be escaped again as a whole, and show the name two ways
    return f"{where} ({entry.service} / {shown(entry.username)})"

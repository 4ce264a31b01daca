"""`iggy status`: the server, the credential in use and where it came from, the token store."""

# No `from __future__ import annotations`: typer would eval every annotation string again.

from typing import TYPE_CHECKING, Any

import typer

from iggy_cli.cli.commands import app_context
from iggy_cli.cli.commands.render import expires
from iggy_cli.expiry import iso_utc

if TYPE_CHECKING:
    from datetime import tzinfo

    from iggy_cli.usecases.status_report import StatusReport


def status(
    typer_ctx: typer.Context,
) -> None:
    """Show the server, the credential in use and where tokens live.

    Also says whether the server answers and when the session expires. Exits non-zero
    when the tool is not usable as it stands (server down, no or bad credential).

    \b
    Examples:
      iggy status
      iggy status -o json
    """
    from iggy_cli.usecases.status_report import status as status_of

    ctx = app_context(typer_ctx)
    report = status_of(ctx)
    if ctx.output.emit(_as_json(report), primary=("usable",)):
        pass
    elif not ctx.output.quiet:
        ctx.output.fields(_rows(report, ctx.now(), ctx.zone))
    if report.failure is not None:
        raise report.failure


def _rows(report: "StatusReport", now: Any, zone: "tzinfo | None") -> list[tuple[str, str]]:
    server = "answers" if report.reachable else f"not usable: {report.server_problem}"
    if report.credential_kind is None:
        credential = report.credential_problem or "none"
    else:
        verdict = (
            f"accepted, user {report.user_id}"
            if report.user_id is not None
            else f"not accepted: {report.credential_problem}"
            if report.credential_problem
            else "not checked"
        )
        credential = f"{report.credential_kind} from {report.credential_source}; {verdict}"
    store = report.store_backend or f"not usable: {report.store_problem}"
    origins = report.origins
    if not report.session_stored:
        session = "none"
    elif report.session_token_name is None:
        session = "a token given raw to `pat login` (its name is not known here)"
    elif report.session_expiry_known:
        session = (
            f"{report.session_token_name!r}, {expires(report.session_expires_at, now, zone=zone)}"
        )
    else:
        session = f"{report.session_token_name!r} (expiry unknown: not on the server or unchecked)"
    context = f"{report.context} (chosen by {origins['context']})" if report.context else "none"
    return [
        ("Context", context),
        ("Server", f"{report.url} (from {origins['url']}; {server})"),
        ("Credential", credential),
        ("Store", f"{report.store_kind} ({report.store_chosen_by}): {store}"),
        ("Keyring", f"address {report.keyring_address} ({report.keyring_address_origin})"),
        ("Session", session),
        ("Dialect", _dialect_words(report, zone)),
        ("Version", _version_words(report)),
        *(
            (
                "Advisory",
                f"{advisory.id} affects this server ({advisory.summary}; Iggy "
                f"{'.'.join(map(str, advisory.last_affected))} and earlier); "
                f"{advisory.fixed_in} fixes it",
            )
            for advisory in report.advisories
        ),
    ]


def _version_words(report: "StatusReport") -> str:
    if report.server_version is not None:
        return f"{report.server_version} (the server's own GET /stats)"
    return "not known (a server tells it at GET /stats to a user with read_servers)"


def _dialect_words(report: "StatusReport", zone: "tzinfo | None") -> str:
    from datetime import datetime

    from iggy_cli.expiry import local_time
    from iggy_cli.server.dialect import GENERATIONS, describe, evidence_words

    dialect = report.dialect
    if dialect is None:
        return "not known"
    known = describe(set(dialect.candidates))
    if dialect.name is not None:
        known = f"{dialect.name} (Iggy {GENERATIONS[dialect.name].releases})"
    if dialect.chosen_by != "detected":
        return f"{known}, named by {dialect.chosen_by}"
    if not dialect.evidence:
        return known
    try:
        learned = datetime.fromisoformat(dialect.learned_at or "")
    except ValueError:  # a servers.json edited by hand
        learned = None
    when = f" (learned {local_time(learned, zone=zone)})" if learned and learned.tzinfo else ""
    return f"{known}, detected: {evidence_words(dialect.evidence)}{when}"


def _as_json(report: "StatusReport") -> dict[str, Any]:
    return {
        "url": report.url,
        "usable": report.usable,
        "context": report.context,
        "origins": report.origins,
        "server": {
            "reachable": report.reachable,
            "problem": report.server_problem,
            "version": report.server_version,
            "advisories": [
                {"id": advisory.id, "summary": advisory.summary, "fixed_in": advisory.fixed_in}
                for advisory in report.advisories
            ],
        },
        "dialect": None
        if report.dialect is None
        else {
            "name": report.dialect.name,
            "candidates": report.dialect.candidates,
            "chosen_by": report.dialect.chosen_by,
            "evidence": report.dialect.evidence,
            "learned_at": report.dialect.learned_at,
        },
        "credential": {
            "kind": report.credential_kind,
            "source": report.credential_source,
            "user_id": report.user_id,
            "problem": report.credential_problem,
        },
        "store": {
            "kind": report.store_kind,
            "chosen_by": report.store_chosen_by,
            "backend": report.store_backend,
            "problem": report.store_problem,
            "address": report.keyring_address,
            "address_chosen_by": report.keyring_address_origin,
        },
        "session": {
            "stored": report.session_stored,
            "token_name": report.session_token_name,
            "expiry_known": report.session_expiry_known,
            "expires_at": iso_utc(report.session_expires_at),
        },
    }

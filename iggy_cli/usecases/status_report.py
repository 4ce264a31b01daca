"""`status`: what a run would use, and whether it works."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from iggy_cli.errors import (
    AuthenticationError,
    IggyCliError,
    StorageError,
)
from iggy_cli.models import Instant
from iggy_cli.runtime import AppContext
from iggy_cli.server.advisories import Advisory, affecting
from iggy_cli.usecases import credential_choice
from iggy_cli.usecases.common import signed_in

# --- status -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DialectReport:
    """The server's generation as far as known, and how: `chosen_by` is the setting that
    named it (--server-dialect, IGGY_SERVER_DIALECT, a context) or "detected"; `evidence`
    the dialect.EVIDENCE codes of the answers it was detected from, at `learned_at`."""

    name: str | None
    candidates: list[str]
    chosen_by: str
    evidence: list[str]
    learned_at: str | None


@dataclass(frozen=True, slots=True)
class StatusReport:
    url: str
    context: str | None
    # setting -> where its value came from (settings.py): url, username, timeout, store, ...
    origins: dict[str, str]
    reachable: bool
    server_problem: str | None
    credential_kind: str | None
    credential_source: str | None
    user_id: int | None
    credential_problem: str | None
    store_kind: str
    store_chosen_by: str
    store_backend: str | None
    store_problem: str | None
    keyring_address: str
    keyring_address_origin: str
    session_stored: bool
    session_token_name: str | None
    session_expires_at: Instant | None  # the server's exact microseconds
    session_expiry_known: bool
    dialect: DialectReport | None = None
    # The release the server itself names (GET /stats), and the advisories that affect it.
    server_version: str | None = None
    advisories: list[Advisory] = field(default_factory=list)
    failure: IggyCliError | None = field(default=None, repr=False)

    @property
    def usable(self) -> bool:
        return self.failure is None


def status(ctx: AppContext) -> StatusReport:
    """What this run would use, and whether it works; never raises for an expected failure."""
    choice = ctx.store_choice
    backend, store_problem = None, None
    try:
        backend = ctx.store().description
    except StorageError as error:
        store_problem = error.message
    session_name, session_stored = _stored_session_name(ctx, store_problem)

    reachable, server_problem, failure = True, None, None
    try:
        with ctx.client() as client:
            client.ping()
    except IggyCliError as error:
        reachable, server_problem, failure = False, error.message, error

    kind = source = credential_problem = None
    user_id, expiry_known, expires, version = None, False, None, None
    try:
        credential = credential_choice.resolve(ctx)
    except IggyCliError as error:
        credential, credential_problem, failure = None, error.message, failure or error
    if credential is not None:
        kind, source = credential.kind, credential.source
    elif credential_problem is None:
        credential_problem = "no credential: not logged in"
        failure = failure or AuthenticationError(f"not logged in to {ctx.settings.url}")
    if credential is not None and reachable:
        try:
            with signed_in(ctx, credential) as (client, identity):
                user_id = identity.user_id
                tokens = client.list_tokens() if session_name else []
                version = client.server_version()
        except IggyCliError as error:
            credential_problem, failure = error.message, failure or error
        else:
            for token in tokens:
                if token.name == session_name:
                    expiry_known, expires = True, token.expiry_at_us
    dialect = _dialect(ctx, reachable)
    return StatusReport(
        url=ctx.settings.url,
        context=ctx.settings.context,
        origins=setting_origins(ctx),
        reachable=reachable,
        server_problem=server_problem,
        credential_kind=kind,
        credential_source=source,
        user_id=user_id,
        credential_problem=credential_problem,
        store_kind=choice.kind,
        store_chosen_by=choice.reason,
        store_backend=backend,
        store_problem=store_problem,
        keyring_address=ctx.settings.keyring,
        keyring_address_origin=ctx.settings.keyring_origin,
        session_stored=session_stored,
        session_token_name=session_name,
        session_expires_at=expires,
        session_expiry_known=expiry_known,
        dialect=dialect,
        server_version=version,
        advisories=affecting(version) if version else [],
        failure=failure,
    )


def setting_origins(ctx: AppContext) -> dict[str, str]:
    """Where each of the run's settings came from, for the ones status reports on."""
    settings = ctx.settings
    names = ("context", "url", "username", "timeout", "store", "tls")
    return {name: settings.origins.get(name, "the default") for name in names}


def _dialect(ctx: AppContext, reachable: bool) -> DialectReport:
    """What is known of the server's generation; when its answers have not told it yet, an
    empty sign-in (which every generation refuses in its own way) is asked for."""
    from iggy_cli.server.dialect import DIALECTS

    knowledge = ctx.dialect()
    if reachable and not knowledge.settled:
        with suppress(IggyCliError), ctx.client() as client:
            client.probe_generation()
    chosen_by = knowledge.override_origin if knowledge.override else "detected"
    return DialectReport(
        name=knowledge.name,
        candidates=[name for name in DIALECTS if name in knowledge.candidates],
        chosen_by=chosen_by or "--server-dialect",
        evidence=list(knowledge.evidence),
        learned_at=knowledge.learned_at,
    )


def _stored_session_name(ctx: AppContext, store_problem: str | None) -> tuple[str | None, bool]:
    if store_problem is not None:
        return None, False
    try:
        session = credential_choice.stored_session(ctx)
    except IggyCliError:  # an unreadable store reads as no session here
        return None, False
    return (session.token_name, True) if session is not None else (None, False)

"""`status`: what a run would use, and whether it works."""

from __future__ import annotations

from dataclasses import dataclass, field

from iggy_cli import auth
from iggy_cli.context import AppContext
from iggy_cli.errors import (
    AuthenticationError,
    IggyCliError,
    StorageError,
)
from iggy_cli.models import Instant
from iggy_cli.service.common import signed_in

# --- status -----------------------------------------------------------------------------------


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
    user_id, expiry_known, expires = None, False, None
    try:
        credential = auth.resolve(ctx)
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
        except IggyCliError as error:
            credential_problem, failure = error.message, failure or error
        else:
            for token in tokens:
                if token.name == session_name:
                    expiry_known, expires = True, token.expiry_at_us
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
        failure=failure,
    )


def setting_origins(ctx: AppContext) -> dict[str, str]:
    """Where each of the run's settings came from, for the ones status reports on."""
    settings = ctx.settings
    names = ("context", "url", "username", "timeout", "store", "tls")
    return {name: settings.origins.get(name, "the default") for name in names}


def _stored_session_name(ctx: AppContext, store_problem: str | None) -> tuple[str | None, bool]:
    if store_problem is not None:
        return None, False
    try:
        session = auth.stored_session(ctx)
    except IggyCliError:  # an unreadable store reads as no session here
        return None, False
    return (session.token_name, True) if session is not None else (None, False)

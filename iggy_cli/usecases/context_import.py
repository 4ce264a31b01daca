"""Importing the contexts of Iggy's own CLI (`~/.iggy/contexts.toml`, or `$IGGY_HOME`).

Iggy's files are only read (iggy_cli.state.rust_cli_contexts): the Rust CLI reads its secrets from
nowhere else, so a password or token removed from them would be gone for it. An imported
context records where its Iggy context lives, never a secret; its secrets are read from
there at run time (credential_choice.py), in the Rust CLI's order. Its keyring address is the
one the Rust CLI computes for the context's transport, so both tools name the same entries.
`--copy-secrets` copies secrets into the keyring, never over an entry that holds another.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from iggy_cli.errors import UsageError
from iggy_cli.runtime import AppContext
from iggy_cli.secrets.stores import DuplicateEntry, password_service, token_service
from iggy_cli.settings import normalize_url
from iggy_cli.state import rust_cli_contexts
from iggy_cli.state.indexes import fingerprint


class Imported(NamedTuple):
    """One context of Iggy's file, and what became of it (for people, in words)."""

    name: str
    url: str | None
    keyring_address: str | None
    secrets: list[str]  # which secrets the context holds, by key
    copies: list[str]  # what --copy-secrets did, one phrase per secret
    skipped: str | None = None


class ImportOutcome(NamedTuple):
    contexts: list[Imported]
    active: str | None  # the context Iggy's CLI has active, if it was imported
    made_current: bool  # and whether it became this tool's current context (--use)


def import_iggy_contexts(
    ctx: AppContext, file: str | None, copy_secrets: bool, use_active: bool = False
) -> ImportOutcome:
    """Import every context with an HTTP address. The current context changes only with
    `use_active`: an import that switched it would make later runs talk to another server
    than the one the user chose, by a command they never ran."""
    path = os.path.abspath(file or rust_cli_contexts.contexts_file(ctx.environ))
    tables = rust_cli_contexts.read_contexts(path)
    active = rust_cli_contexts.active_context(path)
    if copy_secrets:
        ctx.store().check()  # before any context is written
    # Every URL is checked before anything is written, so a bad one cannot stop it half-way.
    urls: dict[str, str] = {}
    for name, table in tables.items():
        if table.get("http_api_url"):
            try:
                urls[name] = normalize_url(str(table["http_api_url"]))
            except UsageError as error:
                raise UsageError(f"context {name!r} in {path}: {error.message}") from None
    outcome: list[Imported] = []
    for name, table in sorted(tables.items()):
        url = urls.get(name)
        if url is None:
            outcome.append(Imported(name, None, None, [], [], skipped="it has no http_api_url"))
            continue
        address = rust_cli_contexts.server_address(table)
        profile: dict[str, Any] = {"url": url, "iggy_context": name, "iggy_contexts_file": path}
        if address is not None:
            profile["keyring_address"] = address
        if table.get("username"):
            profile["username"] = table["username"]
        ctx.config.put_context(name, profile, make_current=use_active and name == active)
        held = [key for key in ("token_name", "token", "password") if table.get(key)]
        copies = _copy_secrets(ctx, name, table, address or _address(url)) if copy_secrets else []
        outcome.append(Imported(name, url, address, held, copies))
    imported = active if active in urls else None
    return ImportOutcome(outcome, imported, use_active and imported is not None)


def _address(url: str) -> str:
    return url.removeprefix("http://")


def _copy_secrets(ctx: AppContext, name: str, table: dict[str, Any], address: str) -> list[str]:
    """Copy the context's token and password into the keyring where its address names them;
    an entry that already holds something else is left as it is, and said so."""
    copies = []
    if token := table.get("token"):
        token_name = str(table.get("token_name") or f"imported-{name}")[:30]
        copied = _copy(ctx, token_service(address), token_name, token, "token")
        copies.append(copied)
        # the digest only of a copy that is this token (not of another secret left alone)
        kept = not copied.startswith("did not copy")
        digest = fingerprint(token) if kept else None
        ctx.names.add_stored(address, ctx.store_choice.kind, token_name, sha256=digest)
    username, password = table.get("username"), table.get("password")
    if username and password:
        copies.append(_copy(ctx, password_service(address), username, password, "password"))
    return copies


def _copy(ctx: AppContext, service: str, username: str, secret: str, what: str) -> str:
    store = ctx.store()
    entry = f"{service} / {username}"
    try:
        existing = store.get(service, username)
    except DuplicateEntry:
        existing = ""  # several items already: certainly not one to write over
    if existing == secret:
        return f"its {what} is already in {entry}"
    if existing is not None:
        return f"did not copy its {what}: {entry} already holds another secret (not overwritten)"
    store.set(service, username, secret)
    return f"copied its {what} to {entry}"

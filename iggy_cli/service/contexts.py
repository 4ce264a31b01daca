"""Importing the contexts of Iggy's own CLI (`~/.iggy/contexts.toml`, or `$IGGY_HOME`).

Iggy keeps a context per TOML table, with `http_api_url`, `username`/`credentials_username`,
and possibly secrets in plain text: `password`/`credentials_password` and `token` (see
core/cli/src/commands/binary_context/common.rs and core/common/src/types/args/mod.rs). The
active one is named in `.active_context` beside it. Secrets are moved: stored in the keyring,
then removed from Iggy's file, where a `token_name` lets Iggy's CLI find the token in the same
keyring entry (`iggy:<address>`, username = the name).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from iggy_cli import local_state
from iggy_cli.context import AppContext
from iggy_cli.credentials import password_service, token_service
from iggy_cli.errors import NotFound, UsageError
from iggy_cli.settings import normalize_url


def iggy_contexts_file(environ: dict[str, str] | Any) -> Path:
    home = environ.get("IGGY_HOME") or os.path.expanduser("~/.iggy")
    return Path(home) / "contexts.toml"


def import_iggy_contexts(ctx: AppContext, file: Path | None) -> list[str]:
    import tomllib

    path = file or iggy_contexts_file(ctx.environ)
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise NotFound(f"no contexts file at {path}", hint="point at one with --file") from None
    except (OSError, ValueError) as error:  # TOMLDecodeError and UnicodeDecodeError included
        raise UsageError(f"cannot read {path}: {error}") from None
    active = _active_context(path)
    report: list[str] = []
    # Every URL is checked before anything moves, so a bad one cannot stop it half-way.
    chosen: list[tuple[str, dict[str, Any], str]] = []
    for name, entry in sorted(document.items()):
        if not isinstance(entry, dict):
            continue
        if not entry.get("http_api_url"):
            report.append(f"Skipped {name!r}: it has no http_api_url (only HTTP is supported).")
            continue
        try:
            chosen.append((name, entry, normalize_url(str(entry["http_api_url"]))))
        except UsageError as error:
            raise UsageError(f"context {name!r} in {path}: {error.message}") from None
    moved_keys: dict[str, list[str]] = {}
    for name, entry, url in chosen:
        address = url.removeprefix("http://")
        username = entry.get("username") or entry.get("credentials_username")
        profile: dict[str, Any] = {"url": url}
        if username:
            profile["username"] = str(username)
        moved, keys = _move_secrets(ctx, entry, address, name, username)
        moved_keys[name] = keys
        ctx.config.put_context(name, profile, make_current=name == active)
        what = f"; moved its {' and '.join(moved)} to the keyring" if moved else ""
        report.append(f"Imported context {name!r} ({url}){what}.")
    if any(moved_keys.values()):
        _rewrite_without(path, document, moved_keys)
        report.append(f"Removed the moved secrets from {path}.")
    return report


def _move_secrets(
    ctx: AppContext, entry: dict[str, Any], address: str, name: str, username: Any
) -> tuple[list[str], list[str]]:
    """Store the entry's secrets; returns what moved (for people) and which keys (to remove)."""
    moved, keys = [], []
    store = ctx.store()
    if token := entry.get("token"):
        token_name = str(entry.get("token_name") or f"imported-{name}")[:30]
        store.set(token_service(address), token_name, str(token))
        ctx.names.add_stored(address, ctx.store_choice.kind, token_name)
        entry["token_name"] = token_name
        moved.append(f"token (as {token_name!r})")
        keys.append("token")
    if username:
        for key in ("password", "credentials_password"):
            if entry.get(key):
                store.set(password_service(address), str(username), str(entry[key]))
                keys.append(key)
        if "password" in keys or "credentials_password" in keys:
            moved.append("password")
    return moved, keys


def _rewrite_without(path: Path, document: dict[str, Any], moved: dict[str, list[str]]) -> None:
    """Iggy's file again, minus exactly the secrets that are now in the keyring."""
    import tomli_w

    for name, keys in moved.items():
        for key in keys:
            document[name].pop(key, None)
    local_state.replace(str(path), tomli_w.dumps(document).encode())


def _active_context(path: Path) -> str | None:
    try:
        return (path.parent / ".active_context").read_text().strip() or None
    except OSError:
        return None

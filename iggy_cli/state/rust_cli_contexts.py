"""The contexts of Iggy's own Rust CLI, read and never written.

Iggy keeps them in `$IGGY_HOME/contexts.toml` (default `~/.iggy`), one TOML table per context,
and names the active one in `.active_context` beside it (core/cli/src/commands/binary_context/
common.rs, tag server-0.8.0). A table may hold secrets in plain text (`password`, `token`), a
`token_name` that names a token in the keyring, and the transport settings of
`ArgsOptional` (core/common/src/types/args/mod.rs). The Rust CLI reads secrets from nowhere
else, so this module only reads: an imported context points here, and its secrets are read at
run time, where they are.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from iggy_cli.errors import NotFound, UsageError
from iggy_cli.models import masked_repr
from iggy_cli.state import paths

ACTIVE_CONTEXT_FILE = ".active_context"
CONTEXTS_FILE = "contexts.toml"
# The defaults of `Args` (core/common/src/types/args/mod.rs, server-0.8.0), which a context's
# values override: the transport is TCP unless the context says otherwise.
DEFAULT_TRANSPORT = "tcp"
_ADDRESS_KEYS = {
    "tcp": ("tcp_server_address", "127.0.0.1:8090"),
    "http": ("http_api_url", "http://localhost:3000"),
    "quic": ("quic_server_address", "127.0.0.1:8080"),
    "websocket": ("websocket_server_address", "127.0.0.1:8092"),
}
_TEXT_KEYS = (
    "username",
    "password",
    "token",
    "token_name",
    "transport",
    *(key for key, _ in _ADDRESS_KEYS.values()),
)


class ContextSecrets(NamedTuple):
    """What an Iggy context gives the Rust CLI to log in with, in its order of precedence
    (after a stored session): token_name, then token, then username with password."""

    token_name: str | None
    token: str | None
    username: str | None
    password: str | None

    def __repr__(self) -> str:
        return masked_repr(self, "token", "password")


def contexts_file(environ: Any) -> str:
    """Where Iggy's CLI keeps its contexts: `$IGGY_HOME/contexts.toml`, else `~/.iggy/`."""
    home = environ.get("IGGY_HOME") or os.path.join(paths.home(environ), ".iggy")
    return os.path.join(home, CONTEXTS_FILE)


def read_contexts(path: str) -> dict[str, dict[str, Any]]:
    """Every table of Iggy's contexts file, checked as the Rust CLI deserialises it."""
    from iggy_cli.state.config_file import parse_toml
    from iggy_cli.state.local_state import read_bytes

    try:
        data = read_bytes(path)  # bounded in size, like every file this tool reads
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    if data is None:
        raise NotFound(f"no contexts file at {path}", hint="point at one with --file")
    document = parse_toml(path, data)  # bounded in nesting
    tables: dict[str, dict[str, Any]] = {}
    for name, table in document.items():
        if not isinstance(table, dict):
            raise UsageError(f"{path}: {name!r} is not a table")
        for key in _TEXT_KEYS:
            if key in table and not isinstance(table[key], str):
                raise UsageError(f"{path}: context {name!r}: {key} is not a string")
        tables[name] = table
    return tables


def active_context(path: str) -> str | None:
    """The context `.active_context` beside the contexts file names, if any."""
    try:
        with open(os.path.join(os.path.dirname(path), ACTIVE_CONTEXT_FILE)) as file:
            return file.read().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def server_address(table: dict[str, Any]) -> str | None:
    """The address Iggy's CLI keys its keyring entries by for this context, computed as
    `Args::get_server_address()` does (core/common/src/types/args/mod.rs, server-0.8.0 and
    edge): the transport's address, the HTTP one with every `http://` removed and nothing
    else changed. None for a transport it does not know (it then keeps no entries)."""
    transport = table.get("transport", DEFAULT_TRANSPORT)
    if transport not in _ADDRESS_KEYS:
        return None
    key, default = _ADDRESS_KEYS[transport]
    address = str(table.get(key, default))
    return address.replace("http://", "") if transport == "http" else address


def secrets(path: str, name: str) -> ContextSecrets:
    """The secrets of context `name` as the file holds them now (read at each run, so a
    change made with Iggy's CLI is seen at once)."""
    again = "run `iggy context import` again, or `iggy context delete` this context"
    try:
        table = read_contexts(path).get(name)
    except NotFound:
        raise UsageError(f"Iggy's contexts file {path} is gone", hint=again) from None
    if table is None:
        raise UsageError(f"Iggy's contexts file {path} no longer has {name!r}", hint=again)
    return ContextSecrets(
        token_name=table.get("token_name") or None,
        token=table.get("token") or None,
        username=table.get("username") or None,
        password=table.get("password") or None,
    )

"""The JSON indexes in the data folder, keyed by server address: sessions (where each login
session is kept), names (the stored token names, their owners, and what TAB offers) and
servers (what was learned of each server's generation). None holds a secret; all are read and
written through local_state.
"""

from __future__ import annotations

import os

from iggy_cli.errors import StorageError
from iggy_cli.state import local_state
from iggy_cli.state.paths import data_file

TYPE_CHECKING = False  # TAB completion reads the names index and must not import typing
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


class JsonRecords:
    """A small JSON object in the data folder, keyed by server address; holds no secret."""

    filename = ""

    def __init__(self, path: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        """`path`, or the file in the data folder of `environ` (a run's environment; None,
        outside a run, is the process's)."""
        self._given_path = path
        self._environ = environ

    @property
    def path(self) -> str:
        # Resolved on first use: most runs never read it.
        if self._given_path:
            return self._given_path
        return data_file(self.filename, os.environ if self._environ is None else self._environ)

    def _state(self) -> local_state.JsonState:
        return local_state.JsonState(self.path)

    def _read(self) -> dict[str, Any]:
        try:
            return self._state().load()
        except OSError:
            return {}

    def _record(self, address: str) -> dict[str, Any] | None:
        record = self._read().get(address)
        return record if isinstance(record, dict) else None

    def _update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        try:
            return self._state().update(change)
        except OSError as error:
            raise StorageError(f"cannot write {self.path}: {error.strerror or error}") from None

    def _update_if_possible(self, change: Callable[[dict[str, Any]], Any]) -> None:
        """Best effort, for what is learned again when lost: failing to write it must not fail
        a command whose real work is done."""
        try:  # noqa: SIM105  # TAB imports this module: no contextlib
            self._update(change)
        except StorageError:
            pass


class SessionIndex(JsonRecords):
    """What we know about each server's session besides its secret (which is in the keyring),
    keyed by the server's keyring address.

    Records whether the session token is one `iggy login` minted (and `iggy logout` deletes on
    the server) or a user's own PAT adopted by `pat login` (never deleted on logout), and for
    an adopted one where it is kept (`kept`: "token", the stored token of that name;
    "adopted", an entry of its own). A session with no record, such as one Iggy's Rust CLI
    made, counts as minted by login.
    """

    filename = "sessions.json"

    def get(self, address: str) -> dict[str, Any] | None:
        return self._record(address)

    def put(
        self,
        address: str,
        token_name: str | None,
        owned: bool,
        kept: str | None = None,
        store: str | None = None,
    ) -> None:
        """`store`: the kind of store the session's secret was kept in (`keyring`, `file`),
        so later runs find it there whatever store they would keep new tokens in."""
        record: dict[str, Any] = {"token_name": token_name, "owned": owned}
        if kept is not None:
            record["kept"] = kept
        if store is not None:
            record["store"] = store

        def put(records: dict[str, Any]) -> None:
            records[address] = record

        self._update(put)

    def remove(self, address: str) -> None:
        self._update(lambda records: records.pop(address, None))


class NameIndex(JsonRecords):
    """Token names per keyring address: those last seen on the server, and those with a stored
    copy in each store (`keyring`, `file`) with the user each copy belongs to.

        {"127.0.0.1:3000": {
            "seen": ["ci-job", "deploy"],
            "keyring": {"deploy": {"user_id": 1, "sha256": "9f86d0..."},
                        "old-ci": {"user_id": null}},
            "file": {},
            "printed": ["ci-job"]}}

    A keyring cannot be listed, and opening one means finding its backend, so `pat list` reads
    "stored" here, and TAB completion offers these names without touching the network or the
    keyring.

    Token names are unique per user, not per server, so a copy records its owner: the
    `user_id` the server gave at login when it was stored (or last signed in with). The
    keyring entry's own name stays `iggy:<address>` / NAME, as Iggy's CLI reads it. `sha256`
    is the digest of the secret this tool last wrote there (no secret: a PAT is 50 random
    bytes), so `pat token` never hands out a copy it did not store. An owner is null when
    unknown: a copy found where another tool put it, or recorded before owners
    were (then each store was a list of names, read here as unknown owners and rewritten in
    this shape on the next change).

    `printed` names the tokens created here with their secret printed, not stored (`pat create
    --no-store`): storing the successor of one would surprise, so `pat rotate` prints it too.
    """

    filename = "names.json"
    _STORES = ("keyring", "file")

    def stored(self, address: str, store: str) -> set[str]:
        return set(self.owners(address, store))

    def owners(self, address: str, store: str) -> dict[str, int | None]:
        """Each stored copy's name and owner (None: unknown)."""
        return self._entry(self._read(), address).stores.get(store, {})

    def printed(self, address: str) -> set[str]:
        return set(self._entry(self._read(), address).printed)

    def add_printed(self, address: str, name: str) -> None:
        """`name` was created here and its secret printed, not stored."""

        def add(entry: _NameEntry) -> None:
            entry.printed.append(name)

        self._change(address, add)

    def known(self, address: str) -> set[str]:
        """Every name seen on the server or stored anywhere, for completion: from the
        companion TAB can read without json, else from the index itself."""
        kept = local_state.load_companion(self.path)
        if isinstance(kept, dict):
            names = kept.get(address, [])
            return {name for name in names if isinstance(name, str)}
        return self._known(self._read(), address)

    @classmethod
    def _known(cls, records: dict[str, Any], address: str) -> set[str]:
        entry = cls._entry(records, address)
        return set(entry.seen).union(*entry.stores.values())

    def _state(self) -> local_state.JsonState:
        def for_completion(records: dict[str, Any]) -> dict[str, list[str]]:
            return {address: sorted(self._known(records, address)) for address in records}

        return local_state.JsonState(self.path, companion=for_completion)

    def add_stored(
        self,
        address: str,
        store: str,
        name: str,
        user_id: int | None = None,
        sha256: str | None = None,
    ) -> None:
        """A copy of `name` is stored; `user_id` None keeps an owner already recorded, and
        `sha256` None the digest of the copy this tool last wrote."""
        if store not in self._STORES:
            return

        def add(entry: _NameEntry) -> None:
            copies = entry.stores[store]
            copies[name] = user_id if user_id is not None else copies.get(name)
            entry.printed[:] = [printed for printed in entry.printed if printed != name]
            if sha256 is not None:
                entry.digests.setdefault(store, {})[name] = sha256

        self._change(address, add)

    def digest(self, address: str, store: str, name: str) -> str | None:
        """The SHA-256 of the copy of `name` this tool last wrote to `store`, if recorded."""
        return self._entry(self._read(), address).digests.get(store, {}).get(name)

    def forget(self, address: str, name: str) -> None:
        def drop(entry: _NameEntry) -> None:
            entry.seen[:] = [seen for seen in entry.seen if seen != name]
            entry.printed[:] = [printed for printed in entry.printed if printed != name]
            for copies in entry.stores.values():
                copies.pop(name, None)
            for digests in entry.digests.values():
                digests.pop(name, None)

        self._change(address, drop)

    def saw(self, address: str, names: list[str]) -> None:
        """The server's list as of now: names seen there, replacing what was seen before."""

        def replace(entry: _NameEntry) -> None:
            entry.seen[:] = list(names)

        self._change(address, replace)

    def _change(self, address: str, change: Callable[[_NameEntry], None]) -> None:
        """Best effort: the index is a cache of names, rebuilt by `pat list`; failing to
        update it must not fail a command whose real work (a token stored) is done."""

        def apply(records: dict[str, Any]) -> None:
            entry = self._entry(records, address)
            before = entry.document()
            change(entry)
            after = entry.document()
            if after != before:
                records[address] = after

        self._update_if_possible(apply)

    @staticmethod
    def _entry(records: dict[str, Any], address: str) -> _NameEntry:
        entry = records.get(address)
        entry = entry if isinstance(entry, dict) else {}
        seen = [name for name in _list(entry.get("seen")) if isinstance(name, str)]
        stores = {store: _owners(entry.get(store)) for store in NameIndex._STORES}
        printed = [name for name in _list(entry.get("printed")) if isinstance(name, str)]
        digests = {store: _digests(entry.get(store)) for store in NameIndex._STORES}
        return _NameEntry(seen, stores, printed, digests)


class _NameEntry:
    """One address's names, as read (either shape) and as written (the current one)."""

    __slots__ = ("digests", "printed", "seen", "stores")

    def __init__(
        self,
        seen: list[str],
        stores: dict[str, dict[str, int | None]],
        printed: list[str] | None = None,
        digests: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.seen = seen
        self.stores = stores
        self.printed = printed if printed is not None else []
        self.digests = digests if digests is not None else {}

    def document(self) -> dict[str, Any]:
        written: dict[str, Any] = {"seen": sorted(filter(_writable, set(self.seen)))}
        for store, copies in self.stores.items():
            kept = sorted(filter(_writable, copies))
            digests = self.digests.get(store, {})
            written[store] = {
                name: {"user_id": copies[name]}
                | ({"sha256": digests[name]} if name in digests else {})
                for name in kept
            }
        if self.printed:  # left out when empty: the files of earlier versions stay as they were
            written["printed"] = sorted(filter(_writable, set(self.printed)))
        return written


def _writable(name: str) -> bool:
    """A server can list a name holding a lone surrogate (JSON carries one); UTF-8 cannot,
    and no one can type it on a command line: such a name is not kept."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fingerprint(secret: str) -> str:
    """The SHA-256 of a secret in hex: what the names index and the rotation journal keep
    instead of the secret. hashlib is imported here, not above: TAB reads this module."""
    import hashlib

    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _digests(value: Any) -> dict[str, str]:
    """A store's recorded digests: {name: {"sha256": hex}} (absent in older files)."""
    if not isinstance(value, dict):
        return {}
    return {
        name: record["sha256"]
        for name, record in value.items()
        if isinstance(record, dict) and isinstance(record.get("sha256"), str)
    }


def _owners(value: Any) -> dict[str, int | None]:
    """A store's copies: {name: {"user_id": id}}, or the older list of names (owner unknown)."""
    if isinstance(value, list):
        return {name: None for name in value if isinstance(name, str)}
    if not isinstance(value, dict):
        return {}
    owners: dict[str, int | None] = {}
    for name, record in value.items():
        owner = record.get("user_id") if isinstance(record, dict) else None
        # bool is an int in Python; a hand-edited true is no user id
        known = isinstance(owner, int) and not isinstance(owner, bool)
        owners[name] = owner if known else None
    return owners


class ServerIndex(JsonRecords):
    """What the tool learned about each server from its answers: its generation (dialect.py),
    the evidence and when, and the routes that worked. Keyed by server address; no secret.

        {"127.0.0.1:3000": {"dialect": "legacy", "candidates": ["legacy"],
          "evidence": ["login-tokens"], "learned_at": "2026-11-29T03:18:26Z",
          "pat_prefix": "/personal-access-tokens", "logout_method": "POST"}}
    """

    filename = "servers.json"

    def get(self, address: str) -> dict[str, Any] | None:
        return self._record(address)

    def put(self, address: str, record: dict[str, Any]) -> None:
        """Best effort, as the names index: it is learned again when lost."""

        def put(records: dict[str, Any]) -> None:
            records[address] = record

        self._update_if_possible(put)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

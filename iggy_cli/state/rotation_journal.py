"""The journal of rotations in progress: `rotations.json` in the data folder, never a secret.

`pat rotate` writes an entry before each step that changes the server or the stored copy and
removes it when the rotation is over, so a rotation cut short (a lost answer, a dead keyring, a
signal, a power cut) can be carried through by running `iggy pat rotate NAME` again. Keyed by
server address, then token name:

    {"127.0.0.1:3000": {"deploy": {
        "stand_in": "iggy-cli-standin-3f9c0a1b",   the stand-in's name on the server
        "started_at": "2026-11-29T03:18:26Z",      for people reading the file
        "user_id": 0,                              who was signed in
        "lifetime_us": null,                       the EXPIRY asked for (µs); null: as before
        "label": "as before",                      how it was asked for
        "ends_at_us": 1798513406629320,            as before: the old token's end (null: never)
        "old_sha256": "9f2c...",                   SHA-256 (hex) of the stored copy at the start
        "stand_in_sha256": "51be...",              ... of the stand-in, once minted
        "new_sha256": null}}}                      ... of the new token, once minted

A rotation with `--grace` (usecases/rotation.py) leaves the old token alive for a while under
its own name; `retiring` records until when, for `pat prune` and `pat list`:

    {"retiring": {"127.0.0.1:3000": {"deploy": {
        "until_us": 1798513406629320,              when its grace ends (µs since the epoch)
        "successor": "deploy.b",                   the token that replaced it
        "user_id": 0}}}}                           whose token it is

Secrets are recorded only as SHA-256 digests, enough to recognise which token the stored copy
is (the server itself keeps only hashes of tokens). All reads and writes go through
local_state, so parallel runs lose nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, NamedTuple

from iggy_cli.errors import StorageError
from iggy_cli.state import local_state
from iggy_cli.state.indexes import JsonRecords


class JournalEntry(NamedTuple):
    """One rotation in progress (see the module's docstring for each field)."""

    stand_in: str
    started_at: str
    user_id: int | None
    lifetime_us: int | None
    label: str
    ends_at_us: int | None
    old_sha256: str | None
    stand_in_sha256: str | None = None
    new_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_json(cls, raw: object) -> JournalEntry | None:
        """The entry, or None when `raw` is not one (a damaged or foreign record)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("stand_in"), str):
            return None
        kinds: dict[str, tuple[type, ...]] = {
            "started_at": (str,),
            "user_id": (int, type(None)),
            "lifetime_us": (int, type(None)),
            "label": (str,),
            "ends_at_us": (int, type(None)),
            "old_sha256": (str, type(None)),
            "stand_in_sha256": (str, type(None)),
            "new_sha256": (str, type(None)),
        }
        values: dict[str, Any] = {"stand_in": raw["stand_in"]}
        for key, allowed in kinds.items():
            value = raw.get(key)
            if isinstance(value, bool) or not isinstance(value, allowed):
                return None
            values[key] = value
        return cls(**values)


class Retiring(NamedTuple):
    """An old token kept alive by `pat rotate --grace` until `until_us`."""

    until_us: int
    successor: str
    user_id: int | None

    @classmethod
    def from_json(cls, raw: object) -> Retiring | None:
        if not isinstance(raw, dict):
            return None
        until, successor, user = raw.get("until_us"), raw.get("successor"), raw.get("user_id")
        if not isinstance(until, int) or isinstance(until, bool) or not isinstance(successor, str):
            return None
        return cls(until, successor, user if isinstance(user, int) else None)


# Beside the addresses, which always hold a ':' (host:port), so never taken for one.
RETIRING = "retiring"


class RotationJournal(JsonRecords):
    """`rotations.json`: read without a lock, changed under it (local_state.JsonState)."""

    filename = "rotations.json"

    def entries(self, address: str) -> dict[str, JournalEntry]:
        """Every rotation in progress on this server, by token name (damaged ones left out).
        Unlike the indexes, a journal that cannot be read is an error, not an empty one: a
        rotation it holds may still need finishing."""
        found = {name: JournalEntry.from_json(raw) for name, raw in self._table(address).items()}
        return {name: entry for name, entry in found.items() if entry is not None}

    def get(self, address: str, name: str) -> JournalEntry | None:
        return self.entries(address).get(name)

    def put(self, address: str, name: str, entry: JournalEntry) -> None:
        self._put((address,), name, entry.to_json())

    def drop(self, address: str, name: str) -> None:
        self._drop((address,), name)

    def retiring(self, address: str) -> dict[str, Retiring]:
        """Old tokens in their grace on this server, by name (damaged records left out)."""
        here = self._table(RETIRING, address)
        found = {name: Retiring.from_json(raw) for name, raw in here.items()}
        return {name: record for name, record in found.items() if record is not None}

    def retire(self, address: str, name: str, record: Retiring) -> None:
        self._put((RETIRING, address), name, record._asdict())

    def retired(self, address: str, name: str) -> None:
        """The grace of `name` is over (it was deleted), or it never began."""
        self._drop((RETIRING, address), name)

    # Rotations sit at `address`, graces at `retiring` / `address`: each step below walks `keys`.

    def _table(self, *keys: str) -> dict[str, Any]:
        """The object at `keys` ({} when absent or damaged); StorageError if unreadable."""
        try:
            table: Any = self._state().load()
        except OSError as error:
            raise StorageError(f"cannot read {self.path}: {error.strerror or error}") from None
        for key in keys:
            table = table.get(key) if isinstance(table, dict) else None
        return table if isinstance(table, dict) else {}

    def _put(self, keys: tuple[str, ...], name: str, value: dict[str, Any]) -> None:
        def put(document: dict[str, Any]) -> None:
            table = document
            for key in keys:
                if not isinstance(table.get(key), dict):
                    table[key] = {}
                table = table[key]
            table[name] = value

        self._update(put)

    def _drop(self, keys: tuple[str, ...], name: str) -> None:
        """Remove `name`, and each object on the way that it leaves empty."""

        def drop(document: dict[str, Any]) -> None:
            path = [document]  # path[depth] is the object at keys[:depth]
            for key in keys:
                table = path[-1].get(key)
                if not isinstance(table, dict):
                    return
                path.append(table)
            path[-1].pop(name, None)
            for depth in range(len(keys), 0, -1):
                if path[depth]:
                    break
                del path[depth - 1][keys[depth - 1]]

        self._update(drop)

    @contextmanager
    def running(self) -> Iterator[None]:
        """Held for a whole rotation, and by `pat prune` while it picks leftover stand-ins:
        one run at a time per user, so neither takes the other's stand-in for a leftover."""
        with ExitStack() as stack:
            try:
                stack.enter_context(local_state.locked(self.path + ".running"))
            except OSError as error:
                message = f"cannot lock {self.path}: {error.strerror or error}"
                raise StorageError(message) from None
            yield

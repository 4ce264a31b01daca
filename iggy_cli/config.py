"""The tool's own files besides tokens: config.toml (contexts and remembered choices) and the
JSON indexes (names, sessions). All of them are read and written through local_state.

config.toml is for people to read and edit, but tomllib costs ~19 ms to import, which TAB
completion cannot afford on every key press; so a parse also leaves the parsed document
beside it as local_state's companion (`.config.toml.cache`), stamped with the file's inode,
size and modification time, and a later read whose stamp still matches uses that. The names
index keeps one too: the names TAB offers, per keyring address.
"""

from __future__ import annotations

from iggy_cli import local_state
from iggy_cli.errors import StorageError, UsageError
from iggy_cli.paths import config_file, data_file
from iggy_cli.settings import ConfigView

TYPE_CHECKING = False  # TAB completion reads through here: typing costs ~7 ms to import
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def token_file() -> str:
    """Where `--store file` keeps tokens."""
    return data_file("tokens.json")


class UserConfig:
    """config.toml under the platformdirs config folder: per-server choices and named server
    profiles (contexts), never a secret.

        current_context = "prod"

        [servers."localhost:3000"]
        store = "file"

        [contexts.prod]
        url = "https://iggy.example.com:3000"
        username = "admin"
    """

    def __init__(self, path: str | None = None) -> None:
        self._given_path = path

    @property
    def path(self) -> str:
        return self._given_path or config_file("config.toml")

    def server(self, address: str) -> dict[str, Any]:
        servers = self._read().get("servers", {})
        entry = servers.get(address) if isinstance(servers, dict) else None
        return entry if isinstance(entry, dict) else {}

    def remember(self, address: str, key: str, value: Any) -> None:
        def put(document: dict[str, Any]) -> None:
            self._table(document, "servers").setdefault(address, {})[key] = value

        self._update(put)

    def forget(self, address: str, key: str) -> bool:
        def drop(document: dict[str, Any]) -> bool:
            servers = self._table(document, "servers")
            entry = servers.get(address)
            if not isinstance(entry, dict) or key not in entry:
                return False
            del entry[key]
            if not entry:
                del servers[address]
            if not servers:
                del document["servers"]
            return True

        return bool(self._update(drop))

    def _table(self, document: dict[str, Any], key: str) -> dict[str, Any]:
        table = document.setdefault(key, {})
        if not isinstance(table, dict):
            raise UsageError(f"{self.path} is damaged: {key!r} should be a table")
        return table

    def contexts(self, document: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        return _tables((self._read() if document is None else document).get("contexts"))

    def current_context(self, document: dict[str, Any] | None = None) -> str | None:
        name = (self._read() if document is None else document).get("current_context")
        return name if isinstance(name, str) else None

    def put_context(self, name: str, profile: dict[str, Any], make_current: bool) -> None:
        def put(document: dict[str, Any]) -> None:
            self._table(document, "contexts")[name] = profile
            if make_current:
                document["current_context"] = name

        self._update(put)

    def use_context(self, name: str | None) -> None:
        def choose(document: dict[str, Any]) -> None:
            if name is None:
                document.pop("current_context", None)
            else:
                document["current_context"] = name

        self._update(choose)

    def delete_context(self, name: str) -> bool:
        def drop(document: dict[str, Any]) -> bool:
            contexts = self._table(document, "contexts")
            if name not in contexts:
                return False
            del contexts[name]
            if document.get("current_context") == name:
                del document["current_context"]
            return True

        return bool(self._update(drop))

    def view(self) -> ConfigView:
        """The parts settings are resolved from."""
        document = self._read()
        for key in ("servers", "contexts"):
            if key in document:
                self._table(document, key)  # a damaged file is said so, not half-read
        return ConfigView(
            current_context=self.current_context(document),
            contexts=self.contexts(document),
            servers=_tables(document.get("servers")),
        )

    def _read(self) -> dict[str, Any]:
        try:
            return read_config(self.path)
        except OSError as error:
            raise UsageError(f"cannot read {self.path}: {error.strerror or error}") from None

    def _parse(self, data: bytes | None) -> dict[str, Any]:
        return parse_config(self.path, data)

    def _update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Read-modify-write config.toml under its lock, so parallel runs lose nothing."""
        import tomli_w

        outcome: list[Any] = []

        def apply(current: bytes | None) -> bytes | None:
            document = self._parse(current)
            before = tomli_w.dumps(document)
            outcome.append(change(document))
            after = tomli_w.dumps(document)
            return None if after == before else after.encode("utf-8")

        try:
            local_state.update(self.path, apply)
        except OSError as error:
            raise UsageError(f"cannot write {self.path}: {error.strerror or error}") from None
        return outcome[0]


class JsonRecords:
    """A small JSON object in the data folder, keyed by server address; holds no secret."""

    filename = ""

    def __init__(self, path: str | None = None) -> None:
        self._given_path = path

    @property
    def path(self) -> str:
        # Resolved on first use: most runs never read it.
        return self._given_path or data_file(self.filename)

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
        try:  # noqa: SIM105  # contextlib costs TAB ~1 ms to import
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
            "keyring": {"deploy": {"user_id": 1}, "old-ci": {"user_id": null}},
            "file": {}}}

    A keyring cannot be listed, and opening one costs ~150 ms, so `pat list` reads "stored" here,
    and TAB completion offers these names without touching the network or the keyring.

    Token names are unique per user, not per server, so a copy records its owner: the
    `user_id` the server gave at login when it was stored (or last signed in with). The
    keyring entry's own name stays `iggy:<address>` / NAME, as Iggy's CLI reads it. An owner
    is null when unknown: a copy found where another tool put it, or recorded before owners
    were (then each store was a list of names, read here as unknown owners and rewritten in
    this shape on the next change).
    """

    filename = "names.json"
    _STORES = ("keyring", "file")

    def stored(self, address: str, store: str) -> set[str]:
        return set(self.owners(address, store))

    def owners(self, address: str, store: str) -> dict[str, int | None]:
        """Each stored copy's name and owner (None: unknown)."""
        return self._entry(self._read(), address).stores.get(store, {})

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

    def add_stored(self, address: str, store: str, name: str, user_id: int | None = None) -> None:
        """A copy of `name` is stored; `user_id` None keeps an owner already recorded."""
        if store not in self._STORES:
            return

        def add(entry: _NameEntry) -> None:
            copies = entry.stores[store]
            copies[name] = user_id if user_id is not None else copies.get(name)

        self._change(address, add)

    def forget(self, address: str, name: str) -> None:
        def drop(entry: _NameEntry) -> None:
            entry.seen[:] = [seen for seen in entry.seen if seen != name]
            for copies in entry.stores.values():
                copies.pop(name, None)

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
        return _NameEntry(seen, stores)


class _NameEntry:
    """One address's names, as read (either shape) and as written (the current one)."""

    __slots__ = ("seen", "stores")

    def __init__(self, seen: list[str], stores: dict[str, dict[str, int | None]]) -> None:
        self.seen = seen
        self.stores = stores

    def document(self) -> dict[str, Any]:
        written: dict[str, Any] = {"seen": sorted(filter(_writable, set(self.seen)))}
        for store, copies in self.stores.items():
            kept = sorted(filter(_writable, copies))
            written[store] = {name: {"user_id": copies[name]} for name in kept}
        return written


def _writable(name: str) -> bool:
    """A server can list a name holding a lone surrogate (JSON carries one); UTF-8 cannot,
    and no one can type it on a command line: such a name is not kept."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def parse_config(path: str, data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {}  # the usual case; spares importing tomllib
    import tomllib

    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None


def read_config(path: str) -> dict[str, Any]:
    """config.toml parsed, from its companion when that is current (see the module's doc)."""
    kept = local_state.load_companion(path)
    if isinstance(kept, dict):
        return kept
    read_at = local_state.stamp(path)  # before reading: a write landing meanwhile is noticed
    data = local_state.read_bytes(path)
    if data is None:
        return {}
    document = parse_config(path, data)
    # A TOML date is no data marshal keeps (ValueError): such a file is parsed every time.
    try:
        with local_state.locked(path):
            local_state.save_companion(path, document, read_at)
    except (OSError, ValueError):  # ValueError: a TOML date, which marshal cannot keep
        pass
    return document


def _tables(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    return {name: entry for name, entry in value.items() if isinstance(entry, dict)}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

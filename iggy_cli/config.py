"""Settings for one run, and the tool's local files (config.toml and the JSON indexes)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from iggy_cli import local_state
from iggy_cli.errors import UsageError
from iggy_cli.paths import config_file, data_file

DEFAULT_URL = "http://localhost:3000"
DEFAULT_TIMEOUT_S = 10.0
STORE_KINDS = ("keyring", "file", "none")


class Settings(NamedTuple):
    url: str
    timeout_s: float
    output: str
    quiet: bool
    ca_cert: str | None = None
    verify_tls: bool = True
    utc: bool = False

    @property
    def address(self) -> str:
        """The keyring's name for this server, as Iggy's CLI spells it: the URL minus `http://`."""
        return self.url.removeprefix("http://")


def make_settings(
    url: str,
    timeout_s: float,
    output: str,
    quiet: bool,
    ca_cert: str | None = None,
    insecure: bool = False,
    utc: bool = False,
) -> Settings:
    if ca_cert is not None and insecure:
        raise UsageError("--ca-cert and --insecure contradict each other; choose one")
    return Settings(
        url=normalize_url(url),
        timeout_s=timeout_s,
        output=output,
        quiet=quiet,
        ca_cert=ca_cert,
        verify_tls=not insecure,
        utc=utc,
    )


def normalize_url(url: str) -> str:
    """The URL as the tool uses it: scheme and host in lower case, no trailing slash, and
    never a user or password (they would travel in logs, keyring names and messages)."""
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise UsageError(f"not a URL: {url!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"not an HTTP URL: {url!r}",
            hint="use a URL like http://localhost:3000 (--url or IGGY_URL)",
        )
    try:
        parts.port  # noqa: B018  # raises for a port out of range or not a number
    except ValueError:
        raise UsageError(f"bad port in URL {url!r}") from None
    if "@" in parts.netloc:
        raise UsageError(
            "the URL must not hold a user or password",
            hint="give the user with -u and the password with IGGY_PASSWORD or --password-stdin",
        )
    if parts.query or parts.fragment:
        raise UsageError(f"the URL must be only scheme, host, port and path: {url!r}")
    netloc = parts.netloc.lower()
    return parts._replace(scheme=parts.scheme.lower(), netloc=netloc).geturl()


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

    def remember(self, address: str, key: str, value: str) -> None:
        def put(document: dict[str, Any]) -> None:
            self._table(document, "servers").setdefault(address, {})[key] = value

        self._update(put)

    def _table(self, document: dict[str, Any], key: str) -> dict[str, Any]:
        table = document.setdefault(key, {})
        if not isinstance(table, dict):
            raise UsageError(f"{self.path} is damaged: {key!r} should be a table")
        return table

    def contexts(self) -> dict[str, dict[str, Any]]:
        found = self._read().get("contexts", {})
        if not isinstance(found, dict):
            return {}
        return {name: entry for name, entry in found.items() if isinstance(entry, dict)}

    def current_context(self) -> str | None:
        name = self._read().get("current_context")
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

    def _read(self) -> dict[str, Any]:
        try:
            return self._parse(local_state.read_bytes(self.path))
        except OSError as error:
            raise UsageError(f"cannot read {self.path}: {error.strerror or error}") from None

    def _parse(self, data: bytes | None) -> dict[str, Any]:
        if data is None:
            return {}  # the usual case; spares importing tomllib
        import tomllib

        try:
            return tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise UsageError(f"cannot read {self.path}: {error}") from None

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


class StoreChoice(NamedTuple):
    kind: str
    reason: str


def choose_store(
    flag: str | None,
    environ: Mapping[str, str],
    config: UserConfig,
    address: str,
    profile: Mapping[str, Any] | None = None,
    context_name: str | None = None,
) -> StoreChoice:
    """Where tokens live: --store > IGGY_STORE > the context's > this server's remembered
    choice > keyring. A --store flag is remembered for the server, so the next command needs
    no flag.
    """
    if flag is not None:
        if config.server(address).get("store") != flag:
            config.remember(address, "store", flag)
        return StoreChoice(flag, "--store")
    if from_env := environ.get("IGGY_STORE"):
        if from_env not in STORE_KINDS:
            raise UsageError(
                f"IGGY_STORE must be one of {', '.join(STORE_KINDS)}, not {from_env!r}"
            )
        return StoreChoice(from_env, "IGGY_STORE")
    if profile and profile.get("store") in STORE_KINDS:
        return StoreChoice(str(profile["store"]), f"context {context_name!r}")
    remembered = config.server(address).get("store")
    if remembered in STORE_KINDS:
        return StoreChoice(str(remembered), f"remembered for {address} in {config.path}")
    return StoreChoice("keyring", "the default")


class _JsonRecords:
    """A small JSON object in the data folder, keyed by server address; holds no secret."""

    filename = ""

    def __init__(self, path: str | None = None) -> None:
        self._given_path = path

    @property
    def path(self) -> str:
        # Resolved on first use: most runs never read it.
        return self._given_path or data_file(self.filename)

    def _read(self) -> dict[str, Any]:
        try:
            return local_state.JsonState(self.path).load()
        except OSError:
            return {}

    def _update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        try:
            return local_state.JsonState(self.path).update(change)
        except OSError as error:
            from iggy_cli.errors import StorageError

            raise StorageError(f"cannot write {self.path}: {error.strerror or error}") from None


class SessionIndex(_JsonRecords):
    """What we know about each server's session besides its secret (which is in the keyring).

    Records whether the session token is one `iggy login` minted (and `iggy logout` deletes on
    the server) or a user's own PAT adopted by `pat login` (never deleted on logout). A session
    with no record, such as one Iggy's Rust CLI made, counts as minted by login.
    """

    filename = "sessions.json"

    def get(self, address: str) -> dict[str, Any] | None:
        record = self._read().get(address)
        return record if isinstance(record, dict) else None

    def put(self, address: str, token_name: str | None, owned: bool) -> None:
        def put(records: dict[str, Any]) -> None:
            records[address] = {"token_name": token_name, "owned": owned}

        self._update(put)

    def remove(self, address: str) -> None:
        self._update(lambda records: records.pop(address, None))


class NameIndex(_JsonRecords):
    """Token names only, per server: those last seen on the server, and those with a stored copy
    in each store (`keyring`, `file`).

    A keyring cannot be listed, and opening one costs ~150 ms, so `pat list` reads "stored" here,
    and TAB completion offers these names without touching the network or the keyring.
    """

    filename = "names.json"
    _KEYS = ("seen", "keyring", "file")

    def stored(self, address: str, store: str) -> set[str]:
        return set(self._entry(self._read(), address).get(store, []))

    def known(self, address: str) -> set[str]:
        """Every name seen on the server or stored anywhere, for completion."""
        entry = self._entry(self._read(), address)
        return {name for names in entry.values() for name in names}

    def add_stored(self, address: str, store: str, name: str) -> None:
        if store in self._KEYS[1:]:
            self._change(address, lambda entry: entry[store].append(name))

    def forget(self, address: str, name: str) -> None:
        def drop(entry: dict[str, list[str]]) -> None:
            for names in entry.values():
                while name in names:
                    names.remove(name)

        self._change(address, drop)

    def saw(self, address: str, names: list[str]) -> None:
        """The server's list as of now: names seen there, replacing what was seen before."""

        def replace(entry: dict[str, list[str]]) -> None:
            entry["seen"] = list(names)

        self._change(address, replace)

    def _change(self, address: str, change: Callable[[dict[str, list[str]]], None]) -> None:
        """Best effort: the index is a cache of names, rebuilt by `pat list`; failing to
        update it must not fail a command whose real work (a token stored) is done."""

        def apply(records: dict[str, Any]) -> None:
            entry = self._entry(records, address)
            before = {key: sorted(set(names)) for key, names in entry.items()}
            change(entry)
            after = {key: sorted(set(names)) for key, names in entry.items()}
            if after != before:
                records[address] = after

        from iggy_cli.errors import StorageError

        with contextlib.suppress(StorageError):
            self._update(apply)

    @staticmethod
    def _entry(records: dict[str, Any], address: str) -> dict[str, list[str]]:
        entry = records.get(address)
        entry = entry if isinstance(entry, dict) else {}
        return {
            key: [name for name in _list(entry.get(key)) if isinstance(name, str)]
            for key in NameIndex._KEYS
        }


class Profile(NamedTuple):
    """The context in force for a run, if any: its name and its settings."""

    name: str | None
    settings: dict[str, Any]


def choose_context(flag: str | None, environ: Mapping[str, str], config: UserConfig) -> Profile:
    """--context > IGGY_CONTEXT > the current context in config.toml > none."""
    name = flag or environ.get("IGGY_CONTEXT") or None
    if name is None:
        name = config.current_context()
        if name is None:
            return Profile(None, {})
    contexts = config.contexts()
    if name not in contexts:
        raise UsageError(
            f"no context named {name!r}",
            hint="`iggy context list` shows them; `iggy context create` makes one",
        )
    return Profile(name, _checked_profile(name, contexts[name]))


_PROFILE_TYPES: dict[str, tuple[type, ...]] = {
    "url": (str,),
    "username": (str,),
    "store": (str,),
    "timeout": (int, float),
    "ca_cert": (str,),
    "insecure": (bool,),
}


def _checked_profile(name: str, profile: dict[str, Any]) -> dict[str, Any]:
    """A context edited by hand may hold anything: refuse wrong types by name."""
    for key, kinds in _PROFILE_TYPES.items():
        value = profile.get(key)
        # bool is an int in Python: true/false is no timeout, and "false" is no bool.
        right_type = isinstance(value, kinds) and isinstance(value, bool) == (bool in kinds)
        if value is not None and not right_type:
            raise UsageError(f"context {name!r}: {key} has the wrong type ({value!r})")
    if profile.get("store") not in (None, *STORE_KINDS):
        raise UsageError(f"context {name!r}: store must be one of {', '.join(STORE_KINDS)}")
    timeout = profile.get("timeout")
    if timeout is not None and not timeout > 0:
        raise UsageError(f"context {name!r}: timeout must be a positive number of seconds")
    return profile


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

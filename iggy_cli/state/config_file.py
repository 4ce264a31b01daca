"""config.toml: named server profiles (contexts) and remembered per-server choices, read and
written through local_state.

config.toml is for people to read and edit, but TAB completion reads it on every key press and
tomllib is slow to import; so a parse also leaves the parsed document beside it as
local_state's companion (`.config.toml.cache`), stamped with the file's inode, size and
modification time, and a later read whose stamp still matches uses that.
"""

from __future__ import annotations

import os

from iggy_cli.errors import UsageError
from iggy_cli.settings import ConfigView
from iggy_cli.state import local_state
from iggy_cli.state.paths import config_file

TYPE_CHECKING = False  # TAB completion reads through here and must not import typing
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


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

    def __init__(self, path: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        """`path`, or config.toml in the config folder of `environ` (a run's environment;
        None, outside a run, is the process's)."""
        self._given_path = path
        self._environ = environ

    @property
    def path(self) -> str:
        if self._given_path:
            return self._given_path
        environ = os.environ if self._environ is None else self._environ
        return config_file("config.toml", environ)

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


def parse_config(path: str, data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {}  # the usual case; spares importing tomllib
    return parse_toml(path, data)


def parse_toml(path: str, data: bytes) -> dict[str, Any]:
    """A TOML document, or UsageError saying in one line why it cannot be read."""
    why = local_state.damage(data, toml=True)
    if why is not None:
        raise UsageError(f"cannot read {path}: {why}")
    import tomllib

    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    except RecursionError:  # a nesting the bracket count above could not see
        raise UsageError(f"cannot read {path}: it is nested too deeply") from None


def read_config(path: str) -> dict[str, Any]:
    """config.toml parsed, from its companion when that is current (see the module's doc)."""
    kept = local_state.load_companion(path)
    if isinstance(kept, dict):
        return kept
    read_at = local_state.stamp(path)  # before reading: a write landing meanwhile is noticed
    try:
        data = local_state.read_bytes(path)
    except local_state.StateFileError as error:
        raise UsageError(f"cannot read {path}: {error}") from None
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

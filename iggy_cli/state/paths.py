"""Where the tool keeps its files; the only module that imports platformdirs.

On Linux and the other XDG systems the folders are worked out here, by the same rules as
platformdirs (a test checks they agree), because TAB completion reads the names index on every
key press and the fast path imports neither platformdirs nor pathlib: paths are plain
strings.
"""

from __future__ import annotations

import os
import sys

APP_NAME = "iggy-cli"


def data_dir() -> str:
    return _xdg("XDG_DATA_HOME", ".local/share") or _platformdirs("data")


def config_dir() -> str:
    return _xdg("XDG_CONFIG_HOME", ".config") or _platformdirs("config")


def data_file(name: str) -> str:
    return os.path.join(data_dir(), name)


def config_file(name: str) -> str:
    return os.path.join(config_dir(), name)


def token_file() -> str:
    """Where `--store file` keeps tokens."""
    return data_file("tokens.json")


def _xdg(variable: str, fallback: str) -> str | None:
    if sys.platform in ("darwin", "win32"):
        return None
    base = os.environ.get(variable, "").strip() or os.path.expanduser(f"~/{fallback}")
    return os.path.join(base, APP_NAME)


def _platformdirs(kind: str) -> str:
    import platformdirs

    if kind == "data":
        return platformdirs.user_data_dir(APP_NAME, appauthor=False)
    return platformdirs.user_config_dir(APP_NAME, appauthor=False)

"""Where the tool keeps its files; the only module that imports platformdirs.

The folders follow the run's environment (`environ`: HOME, XDG_DATA_HOME, XDG_CONFIG_HOME), never
the process's own, so a run given another environment keeps its files there.

On Linux and the other XDG systems the folders are worked out here, by the same rules as
platformdirs (a test checks they agree), because TAB completion reads the names index on every
key press and the fast path imports neither platformdirs nor pathlib: paths are plain
strings.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # TAB completion imports this module and must not import typing
if TYPE_CHECKING:
    from collections.abc import Mapping

APP_NAME = "iggy-cli"


def data_dir(environ: Mapping[str, str]) -> str:
    return _xdg(environ, "XDG_DATA_HOME", ".local/share") or _platformdirs("data")


def config_dir(environ: Mapping[str, str]) -> str:
    return _xdg(environ, "XDG_CONFIG_HOME", ".config") or _platformdirs("config")


def data_file(name: str, environ: Mapping[str, str]) -> str:
    return os.path.join(data_dir(environ), name)


def config_file(name: str, environ: Mapping[str, str]) -> str:
    return os.path.join(config_dir(environ), name)


def token_file(environ: Mapping[str, str]) -> str:
    """Where `--store file` keeps tokens."""
    return data_file("tokens.json", environ)


def home(environ: Mapping[str, str]) -> str:
    """The user's home folder: HOME, else the account's (as os.path.expanduser finds it)."""
    return environ.get("HOME") or os.path.expanduser("~")


def _xdg(environ: Mapping[str, str], variable: str, fallback: str) -> str | None:
    if sys.platform in ("darwin", "win32"):
        return None
    base = environ.get(variable, "").strip()
    if not os.path.isabs(base):  # the XDG spec: a relative path is invalid, and ignored
        base = os.path.join(home(environ), fallback)
    return os.path.join(base, APP_NAME)


def _platformdirs(kind: str) -> str:
    import platformdirs

    if kind == "data":
        return platformdirs.user_data_dir(APP_NAME, appauthor=False)
    return platformdirs.user_config_dir(APP_NAME, appauthor=False)

"""Where the tool keeps its files; the only module that imports platformdirs.

On Linux and the other XDG systems the folders are worked out here, by the same rules as
platformdirs (a test checks they agree), because importing platformdirs costs ~8 ms and TAB
completion reads the names index on every key press.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "iggy-cli"


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") or _platformdirs("data")


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") or _platformdirs("config")


def _xdg(variable: str, fallback: str) -> Path | None:
    if sys.platform in ("darwin", "win32"):
        return None
    base = os.environ.get(variable, "").strip() or os.path.expanduser(f"~/{fallback}")
    return Path(base) / APP_NAME


def _platformdirs(kind: str) -> Path:
    import platformdirs

    if kind == "data":
        return platformdirs.user_data_path(APP_NAME, appauthor=False)
    return platformdirs.user_config_path(APP_NAME, appauthor=False)

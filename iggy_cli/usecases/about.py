"""`iggy --version -v`: what a bug report needs to say about the machine it came from."""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version

from iggy_cli import __version__
from iggy_cli.errors import StorageError
from iggy_cli.secrets.stores import KeyringStore, discover_backend
from iggy_cli.state.paths import config_file, data_dir

LIBRARIES = ("typer", "click", "rich", "httpx", "httpcore", "keyring", "platformdirs")


def environment(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, value) rows: versions, the keyring backend a run would use, and the folders."""
    rows = [
        ("iggy-cli", __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Platform", platform.platform()),
    ]
    for library in LIBRARIES:
        try:
            rows.append((library, version(library)))
        except PackageNotFoundError:
            rows.append((library, "not installed"))
    try:
        backend = KeyringStore(discover=lambda: discover_backend(environ)).description
    except StorageError as error:
        backend = f"none usable: {error.message}"
    rows.append(("Keyring", backend))
    rows.append(("Config file", config_file("config.toml", environ)))
    rows.append(("Data folder", data_dir(environ)))
    rows.append(("Executable", sys.executable))
    return rows

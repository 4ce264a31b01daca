"""The console scripts' entry point: answers `--version`, `--help` and TAB completion before
any heavy import (typer, httpx, rich, keyring), then hands everything else to the full app.

A CLI starts once per command and once per TAB press; this path costs little more than the
interpreter's own start-up (see benchmarks/startup.py). Help pages and the command tree come
from cli_spec.json, generated from the app (a test fails when it drifts).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

COMPLETION_VARIABLES = ("_IGGY_COMPLETE", "_IGGY_CLI_COMPLETE")
HELP_FLAGS = ("--help", "-h")


def main() -> None:
    arguments = sys.argv[1:]
    if arguments == ["--version"]:
        from iggy_cli import __version__

        print(f"iggy-cli {__version__}")
        return
    spec = json.loads((Path(__file__).parent / "cli_spec.json").read_text())
    if arguments and arguments[-1] in HELP_FLAGS and _print_help(spec, arguments[:-1]):
        return
    for variable in COMPLETION_VARIABLES:
        instruction = os.environ.get(variable)
        if instruction:
            from iggy_cli.completion import answer

            sys.exit(answer(instruction, os.environ))
    from iggy_cli.app import main as run_app
    from iggy_cli.arguments import hoist_global_options

    arguments = hoist_global_options(arguments, spec["tree"])
    run_app(arguments, only=command_path(arguments, spec["tree"]))


def command_path(arguments: list[str], tree: dict[str, Any]) -> tuple[str, ...] | None:
    """The command the arguments name (`("pat", "list")`), skipping options and their values;
    None when unsure, and then the app registers every command (and reports any error)."""
    path: list[str] = []
    words = iter(arguments)
    for word in words:
        node = tree[" ".join(path)]
        if word == "--":
            return None
        if word.startswith("-"):
            option = node["options"].get(word.partition("=")[0])
            if option is None:
                return None
            if option[0] and "=" not in word:
                next(words, None)  # the option's value
            continue
        if word not in node["commands"]:
            return None
        path.append(word)
        if not tree[" ".join(path)]["commands"]:
            return tuple(path)
    return tuple(path) or None


def _print_help(spec: dict[str, Any], path: list[str]) -> bool:
    """Print the generated help page for `iggy PATH... --help`; False to let the app do it."""
    page = spec["help"].get(" ".join(path))
    if page is None or _columns() < spec["help_width"] + 2:
        return False  # an unknown path, or a narrow terminal: click wraps to fit it
    sys.stdout.write(page)
    return True


def _columns() -> int:
    """The width click would wrap to, as shutil.get_terminal_size works it out."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80

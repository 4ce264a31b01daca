"""The console scripts' entry point: answers `--version` and TAB completion before any heavy
import (typer, httpx, rich, keyring), then hands everything else to the full app.

A CLI starts once per command and once per TAB press; this path costs little more than the
interpreter's own start-up (see benchmarks/startup.py).
"""

from __future__ import annotations

import os
import sys

COMPLETION_VARIABLES = ("_IGGY_COMPLETE", "_IGGY_CLI_COMPLETE")


def main() -> None:
    arguments = sys.argv[1:]
    if arguments == ["--version"]:
        from iggy_cli import __version__

        print(f"iggy-cli {__version__}")
        return
    for variable in COMPLETION_VARIABLES:
        instruction = os.environ.get(variable)
        if instruction:
            from iggy_cli.completion import answer

            sys.exit(answer(instruction, os.environ))
    from iggy_cli.app import main as run_app

    run_app()

"""The console scripts' entry point: answers `--version`, `--help` and TAB completion before
any heavy import (typer, httpx, rich, keyring), then hands everything else to the full app.

A CLI starts once per command and once per TAB press; this path costs little more than the
interpreter's own start-up (see benchmarks/startup.py). Help pages and the command tree come
from spec_data.py, generated from the app (a test fails when it drifts).

`--version` and `--help` import nothing that the console script pip writes has not already
loaded (it imports `re` and `sys` first): no `from __future__` (itself a module), no json,
pathlib or typing. tests/test_startup.py checks it in a fresh interpreter.
"""

import os
import sys

TYPE_CHECKING = False  # the fast path imports no typing; mypy reads this name as true
if TYPE_CHECKING:
    from typing import Any, TextIO

    from iggy_cli.runtime import World

COMPLETION_VARIABLES = ("_IGGY_COMPLETE", "_IGGY_CLI_COMPLETE")
VERBOSE_VERSION = (["--version", "-v"], ["--verbose", "--version"])  # sorted
HELP_FLAGS = ("--help", "-h")


def main() -> None:
    sys.exit(run(sys.argv[1:]))


def run(arguments: list[str], world: "World | None" = None) -> int:
    """One run of the command line, its exit code returned. `world` (runtime.World) is what
    the run reads from outside; by default, this process's environment and streams."""
    from iggy_cli import program_name

    environ = world.environ if world is not None else os.environ
    program = world.program if world is not None else program_name(sys.argv[0])
    stdout = world.stdout if world is not None else sys.stdout
    if arguments == ["--version"]:
        from iggy_cli import version_text

        print(version_text(), end="", file=stdout)
        return 0
    if sorted(arguments) in VERBOSE_VERSION:
        from iggy_cli.usecases.about import environment

        # what a bug report needs, as `hf env` prints it: worth the imports it costs
        for label, value in environment(environ):
            print(f"{label + ':':<14}{value}", file=stdout)
        return 0
    if (
        arguments
        and arguments[-1] in HELP_FLAGS
        and _print_help(arguments[:-1], environ, stdout, program)
    ):
        return 0
    for variable in COMPLETION_VARIABLES:
        instruction = environ.get(variable)
        if instruction:
            from iggy_cli.cli.tab import answer

            return answer(instruction, environ, stdout)
    from iggy_cli.cli.app import run as run_app
    from iggy_cli.cli.arguments import hoist_global_options
    from iggy_cli.cli.spec_data import TREE

    arguments = hoist_global_options(arguments, TREE)
    return run_app(arguments, only=command_path(arguments, TREE), world=world)


def command_path(arguments: list[str], tree: "dict[str, Any]") -> tuple[str, ...] | None:
    """The command the arguments name (`("pat", "list")`), skipping options and their values;
    None when unsure, and then the app registers every command (and reports any error)."""
    from iggy_cli.cli.command_tree import COMMAND, OPTION, is_leaf, walk

    path = ""
    for step in walk(arguments, tree):
        if step.kind == COMMAND:
            path = step.path
            if is_leaf(tree, path):
                break
        elif step.kind != OPTION or step.option is None:
            return None  # `--`, an unknown option, or a word that is no command here
    return tuple(path.split()) or None


def _print_help(path: list[str], environ: "Any", stdout: "TextIO | None", program: str) -> bool:
    """Print the generated help page for `iggy PATH... --help`; False to let the app do it."""
    from iggy_cli import as_program, terminal_columns
    from iggy_cli.cli.spec_data import HELP, HELP_WIDTH

    page = HELP.get(" ".join(path))
    # `iggy-cli` makes a line longer than the page was rendered for by up to its extra letters
    room = HELP_WIDTH + 2 + len(program) - len("iggy")
    columns = terminal_columns(environ, stdout)
    if page is None or (columns or 80) < room:
        return False  # an unknown path, or a narrow terminal: click wraps to fit it
    (stdout if stdout is not None else sys.stdout).write(as_program(page, program))
    return True

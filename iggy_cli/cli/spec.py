"""Generates, from the app itself, what the start-up fast path (entry.py) answers without
typer: spec_data.py, holding the command tree for TAB completion and the rendered `--help`
pages, and the bash, zsh and fish completion scripts in completions/.

    python -m iggy_cli.cli.spec      # or: make generate

The data is a Python module of literals rather than JSON: importing it costs one unmarshal of
its cached bytecode, while JSON would import `json` (and `pathlib` to find the file) on every
`--help` and TAB press. A test regenerates the files and fails when the checked-in ones have
drifted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

PROGRAM = "iggy"
# Each console script has its own: where Iggy's CLI owns `iggy`, `iggy-cli` alone is ours.
PROGRAMS = ("iggy", "iggy-cli")
SCRIPT_NAMES = {
    (program, shell): name
    for program in PROGRAMS
    for shell, name in (
        ("bash", f"{program}.bash"),
        ("zsh", f"_{program}"),
        ("fish", f"{program}.fish"),
    )
}
ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = Path(__file__).resolve().parent / "spec_data.py"
# click wraps help to the terminal's width, at most 78 columns; pages are rendered at that
# width and served only where the terminal is at least that wide (or not a terminal).
HELP_WIDTH = 78


def app_command() -> click.Command:
    import typer

    from iggy_cli.cli.app import make_app

    return typer.main.get_command(make_app())


# click's protocol, read with bash's own parameter expansion: click's generated script spawns
# `env` and runs `read <<< "$line"` for every candidate, each a here-document of its own
# (twenty names, twenty here-documents, on every TAB press), and lets a name such as `*` glob.
BASH_SCRIPT = """\
_iggy_completion() {
    local line quoted word=${COMP_WORDS[COMP_CWORD]}
    local -a lines
    # one read of the whole answer, split at newlines only: no word splitting, no globbing
    mapfile -t lines <<< "$(COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \\
        _IGGY_COMPLETE=bash_complete "$1")"
    COMPREPLY=()
    for line in "${lines[@]}"; do
        case ${line%%,*} in
            dir) COMPREPLY=(); compopt -o dirnames; return 0 ;;
            file) COMPREPLY=(); compopt -o default; return 0 ;;
            plain)
                # bash inserts a candidate as it is: `my token` would become two words.
                # Quoted as the shell reads it back, unless the word already opens a quote.
                if [[ $word == \\"* || $word == \\'* ]]; then
                    COMPREPLY+=("${line#*,}")
                else
                    printf -v quoted %q "${line#*,}"
                    COMPREPLY+=("$quoted")
                fi ;;
        esac
    done
    return 0
}

complete -o nosort -F _iggy_completion PROGRAM
"""


def script(shell: str, command: click.Command | None = None, program: str = PROGRAM) -> str:
    """The script that registers TAB completion for `program` (it runs that program, "$1" in
    bash, to answer), never for the other name: that may be Iggy's own CLI."""
    if shell == "bash":
        return BASH_SCRIPT.replace("PROGRAM", program)
    # click's own classes, named outright: running a typer app swaps typer's into click's
    # registry, and those speak another protocol than tab.py answers.
    from click.shell_completion import FishComplete, ZshComplete

    completion_class = {"zsh": ZshComplete, "fish": FishComplete}[shell]
    cli = command or app_command()
    variable = f"_{program.upper().replace('-', '_')}_COMPLETE"  # entry.py reads both
    return completion_class(cli, {}, program, variable).source()


def tree(root: click.Command) -> dict[str, dict[str, Any]]:
    """The command tree: {"pat delete": {"commands": {name: help},
    "options": {name: [takes_value, choices, help]}}}."""
    nodes: dict[str, dict[str, Any]] = {}
    context = _context(root, PROGRAM, None)

    def walk(command: click.Command, path: str, ctx: click.Context) -> None:
        commands: dict[str, str] = {}
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is None or sub.hidden:
                    continue
                commands[name] = sub.get_short_help_str(60)
                walk(sub, f"{path} {name}".strip(), _context(sub, name, ctx))
        options: dict[str, list[Any]] = {}
        for param in command.get_params(ctx):
            if not isinstance(param, click.Option) or param.hidden:
                continue
            choices = list(param.type.choices) if isinstance(param.type, click.Choice) else None
            for name in (*param.opts, *param.secondary_opts):
                options[name] = [not param.is_flag, choices, param.help or ""]
        nodes[path] = {"commands": commands, "options": options}

    walk(root, "", context)
    return nodes


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context as click makes one when it runs the command (help option names included)."""
    return click.Context(command, info_name=name, parent=parent, **command.context_settings)


def help_pages(root: click.Command) -> dict[str, str]:
    """`iggy [PATH...] --help` for every command path, exactly as the app prints it."""
    pages: dict[str, str] = {}

    def walk(command: click.Command, path: list[str], parent: click.Context | None) -> None:
        ctx = _context(command, path[-1] if path else PROGRAM, parent)
        ctx.terminal_width = HELP_WIDTH
        pages[" ".join(path)] = command.get_help(ctx) + "\n"
        if isinstance(command, click.Group):
            for sub_name in command.list_commands(ctx):
                sub = command.get_command(ctx, sub_name)
                if sub is not None and not sub.hidden:
                    walk(sub, [*path, sub_name], ctx)

    walk(root, [], None)
    return pages


def spec(command: click.Command | None = None) -> dict[str, Any]:
    root = command or app_command()
    return {"tree": tree(root), "help": help_pages(root), "help_width": HELP_WIDTH}


SPEC_HEADER = '''"""Generated from the app by `make generate` (iggy_cli/cli/spec.py): do not edit.

The command tree and the rendered `--help` pages that the start-up fast path (entry.py,
tab.py) serves without typer; a test fails when this drifts from the app.
"""

# Annotations only for mypy: a module-level annotation is evaluated at import, and `typing`
# costs more than this whole module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

'''


def spec_source(command: click.Command | None = None) -> str:
    """spec_data.py: the spec as Python literals, keys sorted, one entry a line."""
    data = spec(command)
    return (
        SPEC_HEADER
        + f"HELP_WIDTH = {data['help_width']!r}\n"
        + f'TREE: "dict[str, dict[str, dict[str, Any]]]" = {_literal(data["tree"], 0)}\n'
        + f'HELP: "dict[str, str]" = {_literal(data["help"], 0)}\n'
    )


def _literal(value: object, indent: int) -> str:
    """Python source for JSON-like data: dicts a key a line, help pages a line of text a line."""
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, dict):
        inner = " " * (indent + 4)
        items = "".join(
            f"{inner}{_literal(key, 0)}: {_literal(value[key], indent + 4)},\n"
            for key in sorted(value)
        )
        return "{\n" + items + " " * indent + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item, indent) for item in value) + "]"
    if isinstance(value, str) and value.count("\n") > 1:
        inner = " " * (indent + 4)
        lines = "".join(f"{inner}{_literal(line, 0)}\n" for line in value.splitlines(True))
        return "(\n" + lines + " " * indent + ")"
    if isinstance(value, str):
        # JSON's escapes are Python's too, and give the double quotes the rest of the code uses
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def write_all(root: Path = ROOT) -> list[Path]:
    written = [SPEC_FILE]
    SPEC_FILE.write_text(spec_source())
    folder = root / "completions"
    folder.mkdir(exist_ok=True)
    for (program, shell), name in SCRIPT_NAMES.items():
        path = folder / name
        path.write_text(script(shell, program=program))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path}", file=sys.stderr)

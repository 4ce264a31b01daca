"""Generates what TAB completion needs from the app itself: completion_spec.json (the command
tree the fast path reads) and the bash, zsh and fish scripts in completions/.

    python -m iggy_cli.completion_scripts      # or: make completions

A test regenerates both and fails when the checked-in files have drifted from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

PROGRAM = "iggy"
COMPLETE_VARIABLE = "_IGGY_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
SCRIPT_NAMES = {"bash": "iggy.bash", "zsh": "_iggy", "fish": "iggy.fish"}
ROOT = Path(__file__).resolve().parent.parent
SPEC_FILE = Path(__file__).resolve().parent / "completion_spec.json"


def app_command() -> click.Command:
    import typer

    from iggy_cli.app import app

    return typer.main.get_command(app)


def script(shell: str) -> str:
    from click.shell_completion import get_completion_class

    completion_class = get_completion_class(shell)
    assert completion_class is not None
    return completion_class(app_command(), {}, PROGRAM, COMPLETE_VARIABLE).source()


def spec() -> dict[str, dict[str, Any]]:
    """The command tree: {"pat delete": {"commands": {name: help},
    "options": {name: [takes_value, choices, help]}}}."""
    tree: dict[str, dict[str, Any]] = {}
    root = app_command()
    context = click.Context(root, info_name=PROGRAM)

    def walk(command: click.Command, path: str, ctx: click.Context) -> None:
        commands: dict[str, str] = {}
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is None or sub.hidden:
                    continue
                commands[name] = sub.get_short_help_str(60)
                walk(sub, f"{path} {name}".strip(), click.Context(sub, info_name=name, parent=ctx))
        options: dict[str, list[Any]] = {}
        for param in command.get_params(ctx):
            if not isinstance(param, click.Option) or param.hidden:
                continue
            choices = list(param.type.choices) if isinstance(param.type, click.Choice) else None
            for name in (*param.opts, *param.secondary_opts):
                options[name] = [not param.is_flag, choices, param.help or ""]
        tree[path] = {"commands": commands, "options": options}

    walk(root, "", context)
    return tree


def spec_source() -> str:
    return json.dumps(spec(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(root: Path = ROOT) -> list[Path]:
    written = [SPEC_FILE]
    SPEC_FILE.write_text(spec_source())
    folder = root / "completions"
    folder.mkdir(exist_ok=True)
    for shell in SHELLS:
        path = folder / SCRIPT_NAMES[shell]
        path.write_text(script(shell))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path}", file=sys.stderr)

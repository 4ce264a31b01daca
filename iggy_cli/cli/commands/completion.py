"""`iggy completion show|install SHELL`: the TAB-completion scripts for bash, zsh and fish."""

# No `from __future__ import annotations`: typer would eval every annotation string again.

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from iggy_cli.cli.commands import app_context, run_of
from iggy_cli.state import paths

COMPLETION_HELP = "Print or install the TAB-completion script for bash, zsh or fish."


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


ShellArg = Annotated[Shell, typer.Argument(help="bash, zsh or fish.", show_default=False)]


def install_path(shell: Shell, environ: Mapping[str, str], program: str = "iggy") -> Path:
    """Where each shell looks for `program`'s completion script (in the run's environment):
    each loads it by the command's name."""
    home = Path(paths.home(environ))
    data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return {
        Shell.bash: data / "bash-completion" / "completions" / program,
        Shell.zsh: home / ".zfunc" / f"_{program}",
        Shell.fish: config / "fish" / "completions" / f"{program}.fish",
    }[shell]


def bash_completion_script(environ: Mapping[str, str]) -> Path | None:
    """The bash-completion package's loader, where its packages put it, if installed."""
    folders = environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    candidates = [
        Path(folder) / "bash-completion" / "bash_completion" for folder in folders.split(":")
    ]
    candidates += [
        Path("/etc/bash_completion"),
        Path("/opt/homebrew/etc/profile.d/bash_completion.sh"),
    ]
    return next((path for path in candidates if path.is_file()), None)


def show(typer_ctx: typer.Context, shell: ShellArg) -> None:
    """Print the completion script for SHELL.

    \b
    Examples:
      iggy completion show bash > ~/.local/share/bash-completion/completions/iggy
      eval "$(iggy completion show zsh)"
    """
    from iggy_cli.cli.spec import script

    program = run_of(typer_ctx).world.program
    stdout = app_context(typer_ctx).output.stdout
    typer.echo(script(shell.value, program=program), file=stdout, nl=False)


def install(typer_ctx: typer.Context, shell: ShellArg) -> None:
    """Write the completion script where SHELL looks for it.

    \b
    Examples:
      iggy completion install bash
      iggy completion install fish
    """
    from iggy_cli.cli.spec import script

    ctx = app_context(typer_ctx)
    program = run_of(typer_ctx).world.program
    path = install_path(shell, ctx.environ, program)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script(shell.value, program=program))
    ctx.output.message(f"Wrote {path}.")
    if shell is Shell.zsh:
        ctx.output.message(
            "Make sure ~/.zshrc has: fpath+=~/.zfunc; autoload -Uz compinit; compinit"
        )
    elif shell is Shell.bash and bash_completion_script(ctx.environ) is None:
        # That folder is read by the bash-completion package only; without it, nothing loads.
        ctx.output.message(
            "bash-completion is not installed here, so bash will not load it by itself: "
            f"install the bash-completion package, or add `source {path}` to ~/.bashrc."
        )
    else:
        ctx.output.message("Open a new shell to use it.")

"""Command groups. Commands only parse options, call one use case and print its outcome."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from iggy_cli.runtime import AppContext, World


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    plain = "plain"
    env = "env"


class StoreKind(StrEnum):
    keyring = "keyring"
    file = "file"
    none = "none"


class ServerDialect(StrEnum):
    auto = "auto"
    first = "first"
    legacy = "legacy"
    renaming = "renaming"
    stable = "stable"
    edge = "edge"


# The commands that print a raw token, so can print it as a `VAR=token` line (-o env).
ENV_OUTPUT_COMMANDS = ("pat token", "pat create", "pat rotate")


class Run:
    """One run in progress, as click carries it from command to command (the root's `obj`):
    its World (runtime.py) and, once the global options are read, its AppContext."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.app: AppContext | None = None
        self.debug = world.environ.get("IGGY_DEBUG", "") not in ("", "0")


def run_of(typer_ctx: click.Context) -> Run:
    run = typer_ctx.find_root().obj
    assert isinstance(run, Run)
    return run


def app_context(typer_ctx: click.Context) -> AppContext:
    """The run's AppContext, built from the global options (which arguments.py lets the user
    give after the command too). `-o env` is refused here, before anything is done, by every
    command that prints no token."""
    ctx = run_of(typer_ctx).app
    assert ctx is not None
    command = " ".join(typer_ctx.command_path.split()[1:])
    if ctx.output.format == "env" and command not in ENV_OUTPUT_COMMANDS:
        from iggy_cli.errors import UsageError

        raise UsageError(
            f"-o env is for commands that print a token, not {command}",
            hint="pat token, pat create --no-store, pat rotate --no-store",
        )
    return ctx


def env_name(ctx: AppContext, name: str | None) -> None:
    """The variable `-o env` sets (a command's --env VAR), checked before anything is done."""
    if name is not None:
        ctx.output.env_name = check_env_name(name)


def check_env_name(name: str) -> str:
    from iggy_cli.console.output import ENV_NAME

    if not ENV_NAME.fullmatch(name):
        from iggy_cli.errors import UsageError, quoted

        raise UsageError(
            f"--env {quoted(name)} is not a variable name",
            hint="letters, digits and _, not starting with a digit (IGGY_TOKEN)",
        )
    return name

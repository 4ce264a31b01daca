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
    give after the command too)."""
    ctx = run_of(typer_ctx).app
    assert ctx is not None
    return ctx

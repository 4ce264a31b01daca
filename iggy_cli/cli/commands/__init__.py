"""Command groups. Commands only parse options, call one use case and print its outcome."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from iggy_cli.runtime import AppContext


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


def app_context(typer_ctx: typer.Context) -> AppContext:
    """The run's AppContext, built from the global options (which arguments.py lets the user
    give after the command too)."""
    from iggy_cli.runtime import AppContext

    ctx = typer_ctx.find_root().obj
    assert isinstance(ctx, AppContext)
    return ctx

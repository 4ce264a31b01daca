"""Command groups. Commands only parse options, call one use case and print its outcome."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from iggy_cli.context import AppContext


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    plain = "plain"


class StoreKind(StrEnum):
    keyring = "keyring"
    file = "file"
    none = "none"


OutputOpt = Annotated[
    OutputFormat | None,
    typer.Option("-o", "--output", help="table (default), json, csv or plain.", show_default=False),
]
FieldOpt = Annotated[
    str | None,
    typer.Option("--field", help="Print only this field of the data (dotted: server.reachable)."),
]
QuietOpt = Annotated[bool, typer.Option("-q", "--quiet", help="Print only the data.")]


def app_context(
    typer_ctx: typer.Context,
    output: OutputFormat | None = None,
    quiet: bool = False,
    field: str | None = None,
) -> AppContext:
    """The run's AppContext, with -o/-q/--field given after the command taking precedence."""
    from iggy_cli.context import AppContext

    ctx = typer_ctx.find_root().obj
    assert isinstance(ctx, AppContext)
    if output is not None:
        ctx.output.format = output.value
    if quiet:
        ctx.output.quiet = True
    if field is not None:
        ctx.output.field = field
    return ctx

"""`iggy sandbox`: an in-memory Iggy user/PAT HTTP API in the foreground, for demos and tests."""

# No `from __future__ import annotations`: typer would eval every annotation string again.

from typing import Annotated

import typer

from iggy_cli.errors import UsageError


def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 3000,
    username: Annotated[str, typer.Option(help="The root user's name.")] = "iggy",
    password: Annotated[str, typer.Option(help="The root user's password.")] = "iggy",
    edge: Annotated[
        bool, typer.Option("--edge", help="Behave as the 0.9.0-edge server, not the stable one.")
    ] = False,
) -> None:
    """Run an in-memory stand-in for an Iggy server until Ctrl-C.

    It serves the users and personal-access-token HTTP API only.

    \b
    Examples:
      iggy sandbox
      iggy sandbox --port 3001 --edge
    """
    from iggy_cli.sandbox.server import run_sandbox

    try:
        run_sandbox(host, port, username, password, edge, echo=lambda line: typer.echo(line))
    except OSError as error:
        raise UsageError(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint="choose another --port",
        ) from None

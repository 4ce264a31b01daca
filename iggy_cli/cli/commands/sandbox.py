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
    user: Annotated[
        list[str] | None,
        typer.Option(
            "--user",
            metavar="NAME:PASSWORD",
            help="Another user, with no permissions (repeatable).",
        ),
    ] = None,
    dialect: Annotated[
        str | None,
        typer.Option(
            metavar="first|legacy|renaming|stable|edge",
            help="The server generation to behave as [default: stable].",
        ),
    ] = None,
    server_version: Annotated[
        str | None,
        typer.Option(
            metavar="RELEASE",
            help="A release inside the dialect, e.g. 0.0.42 or 0.2.16 [default: its newest].",
        ),
    ] = None,
    edge: Annotated[bool, typer.Option("--edge", help="Same as --dialect edge.")] = False,
    busy: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Edge: answer the first N requests (not /ping) 503 + Retry-After, doing nothing.",
        ),
    ] = 0,
    create_not_committed: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Edge: create the first N tokens but answer 503 'not committed'.",
        ),
    ] = 0,
) -> None:
    """Run an in-memory stand-in for an Iggy server until Ctrl-C.

    It serves the users and personal-access-token HTTP API only, as the chosen server
    generation does on the wire.

    \b
    Examples:
      iggy sandbox
      iggy sandbox --port 3001 --edge --busy 2
      iggy sandbox --dialect legacy --server-version 0.2.16 --user alice:s3cret

    \b
    Dialects (--server-version picks a release inside one):
      first     0.0.40-0.0.50, as legacy but: 0.0.40-41 serve /pat,
                /pat/{name}, /pat/login; logins answer {"user_id",
                "token":"<jwt>"} up to 0.0.43, {"user_id","token":
                {"access_token","refresh_token","expiry"}} from 0.0.44;
                no refresh before 0.0.44; logout revokes from 0.0.43.
      legacy    0.0.51-0.2.24: logins answer {"user_id","tokens":
                {"access_token":{"token","expiry"},"refresh_token":{..}}};
                refresh takes {"refresh_token"}; create takes expiry in
                u32 seconds, null = never; list rows {"name","expiry"};
                logout POST {} up to 0.2.16, DELETE from 0.2.17; errors
                400 but 40->401, 41->403, 20->404; root user id 1.
      renaming  0.3.0-0.4.140: stable's units, but names are stored
                lower-cased, whitespace runs as "."; 53/77/78 are 400
                up to 0.4.100; root user id 1.
      stable    0.4.150-0.8.x: the baseline (default).
      edge      0.9.0-edge.5: JSON 401s, raw PAT as bearer, /users/me,
                503 + Retry-After (--busy, --create-not-committed).
    """
    from iggy_cli.sandbox.generations import dialect as find_dialect
    from iggy_cli.sandbox.http_server import parse_user, run_sandbox
    from iggy_cli.settings import check_utf8

    for flag, given in (("--host", host), ("--username", username), ("--password", password)):
        check_utf8(given, flag)
    for given in user or []:
        check_utf8(given, "--user")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {port}")
    if edge and dialect not in (None, "edge"):
        raise UsageError(f"--edge contradicts --dialect {dialect}")
    try:
        chosen = find_dialect("edge" if edge else dialect, server_version)
        users = [parse_user(text) for text in user or []]
    except ValueError as error:
        raise UsageError(str(error)) from None
    if (busy or create_not_committed) and not chosen.edge:
        raise UsageError("--busy and --create-not-committed need an edge server (--edge)")
    if busy < 0 or create_not_committed < 0:
        raise UsageError("--busy and --create-not-committed take a count of 0 or more")
    try:
        run_sandbox(
            host,
            port,
            username,
            password,
            echo=lambda line: typer.echo(line),
            dialect=chosen.name,
            server_version=server_version,
            users=users,
            busy=busy,
            create_not_committed=create_not_committed,
        )
    except OSError as error:
        raise UsageError(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint="choose another --port",
        ) from None
    except ValueError as error:  # a user named twice
        raise UsageError(str(error)) from None

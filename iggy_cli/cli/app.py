"""The `iggy` command: global options, command wiring, and `main()`, the one place where
errors become messages and exit codes (see errors.EXIT_CODES)."""

# No `from __future__ import annotations`: typer would eval every annotation string again.

import functools
import sys
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from iggy_cli import version_text
from iggy_cli.cli.commands import OutputFormat, Run, ServerDialect, StoreKind, run_of
from iggy_cli.cli.help import PlainHelpCommand, plain_help
from iggy_cli.errors import IggyCliError
from iggy_cli.settings import DEFAULT_TIMEOUT_S, DEFAULT_URL

if TYPE_CHECKING:
    from iggy_cli.runtime import World

# (path, "module:function" under iggy_cli.cli.commands, help section): the command tree, in the
# order help lists it. Named, not imported: a run imports only its own command's module.
COMMANDS: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    (("pat", "create"), "pat:create", None),
    (("pat", "list"), "pat:list_", None),
    (("pat", "delete"), "pat:delete", None),
    (("pat", "login"), "pat:login", None),
    (("pat", "show"), "pat:show", None),
    (("pat", "token"), "pat:token", None),
    (("pat", "exec"), "pat:exec_", None),
    (("pat", "rotate"), "pat:rotate", None),
    (("pat", "prune"), "pat:prune", None),
    (("login",), "session:login", "Session"),
    (("logout",), "session:logout", "Session"),
    (("status",), "status:status", "Session"),
    (("sandbox",), "sandbox:sandbox", "Tools"),
    (("config", "set"), "config:set_", None),
    (("config", "unset"), "config:unset", None),
    (("config", "show"), "config:show", None),
    (("context", "create"), "context:create", None),
    (("context", "set"), "context:set_", None),
    (("context", "list"), "context:list_", None),
    (("context", "use"), "context:use", None),
    (("context", "show"), "context:show", None),
    (("context", "delete"), "context:delete", None),
    (("context", "import"), "context:import_", None),
    (("completion", "show"), "completion:show", None),
    (("completion", "install"), "completion:install", None),
)
# Hidden second names, as gh and docker users type them: (alias path, the command's path).
ALIASES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("pat", "ls"), ("pat", "list")),
    (("pat", "rm"), ("pat", "delete")),
)
# The groups: their module (whose HELP text they show, named "<GROUP>_HELP") and help section.
GROUPS: dict[str, tuple[str, str, str]] = {
    "pat": ("pat", "PAT_HELP", "Tokens"),
    "context": ("context", "CONTEXT_HELP", "Session"),
    "config": ("config", "CONFIG_HELP", "Session"),
    "completion": ("completion", "COMPLETION_HELP", "Tools"),
}


def _command_attribute(module: str, name: str) -> Any:
    from importlib import import_module

    return getattr(import_module(f"iggy_cli.cli.commands.{module}"), name)


ROOT_EXAMPLES = """\b
Examples:
  iggy sandbox                        # a stand-in server on localhost:3000
  iggy -u iggy login                  # a session: 15 minutes, or `login 8h`
  iggy pat create deploy 30d          # a token, kept in the OS keyring
  iggy pat list --expiring-within 7d  # exit 8 when any are found
  TOKEN=$(iggy pat token deploy)      # the raw token, for a script
"""


def make_app(only: tuple[str, ...] | None = None) -> typer.Typer:
    """The `iggy` app; with `only`, just the commands under that path.

    typer turns every registered command into a click command on each run (signatures and
    all), so a run registers only the one it will execute.
    """
    root = typer.Typer(
        **plain_help(
            name="iggy",
            help="Manage personal access tokens of Apache Iggy servers; "
            "tokens are kept in the OS keyring.",
            epilog=ROOT_EXAMPLES,
            no_args_is_help=True,
            add_completion=False,
            pretty_exceptions_enable=False,  # a rich traceback would show locals: secrets
            context_settings={"help_option_names": ["-h", "--help"]},
        )
    )
    root.callback()(global_options)
    groups: dict[str, typer.Typer] = {}
    for name, (module, help_name, _section) in GROUPS.items():
        if only is None or only[0] == name:
            group_help = _command_attribute(module, help_name)
            groups[name] = typer.Typer(**plain_help(help=group_help, no_args_is_help=True))
    for path, where, section in COMMANDS:
        if only is not None and path[: len(only)] != only[: len(path)]:
            continue
        group = groups[path[0]] if len(path) > 1 else root
        function = _command_attribute(*where.split(":"))
        group.command(path[-1], cls=PlainHelpCommand, rich_help_panel=section)(function)
        for alias, target in ALIASES:
            if target == path:
                group.command(alias[-1], cls=PlainHelpCommand, hidden=True)(function)
    for name, group in groups.items():
        root.add_typer(group, name=name, rich_help_panel=GROUPS[name][2])
    return root


@functools.cache
def _command(only: tuple[str, ...] | None) -> click.Command:
    """The click command typer makes of the app (signatures read, parameters built), made once
    per command path in a process: a definition, not state, which a process running many runs
    (the test suite) need not rebuild for each."""
    return typer.main.get_command(make_app(only))


def _print_version(typer_ctx: typer.Context, value: bool) -> None:
    if value:
        typer.echo(version_text(), nl=False, file=run_of(typer_ctx).world.stdout)
        raise typer.Exit()


def global_options(
    typer_ctx: typer.Context,
    context: Annotated[
        str | None,
        typer.Option("--context", help="Named server profile [env: IGGY_CONTEXT].", metavar="NAME"),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            "--http-api-url",
            metavar="URL",
            help=f"Server's HTTP API [env: IGGY_URL] (default {DEFAULT_URL}).",
            show_default=False,
        ),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option(
            "-u", "--username", metavar="USER", help="Log in as this user [env: IGGY_USERNAME]."
        ),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "-p",
            "--password",
            metavar="PASSWORD",
            help="Visible to others: prefer IGGY_PASSWORD.",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    token_name: Annotated[
        str | None,
        typer.Option(
            "-n", "--token-name", metavar="NAME", help="Log in with the token stored as NAME."
        ),
    ] = None,
    token_stdin: Annotated[
        bool,
        typer.Option("--token-stdin", help="Read a raw token from stdin [or IGGY_TOKEN]."),
    ] = False,
    output: Annotated[
        OutputFormat | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FORMAT",
            help="table (default), json, csv, plain (a value a line) or env (VAR=token) "
            "[env: IGGY_OUTPUT].",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print only the data.")] = False,
    field: Annotated[
        str | None,
        typer.Option("--field", metavar="NAME", help="Print only this field of the data."),
    ] = None,
    store: Annotated[
        StoreKind | None,
        typer.Option(
            "--store",
            metavar="KIND",
            help="keyring (default), file (unencrypted) or none [env: IGGY_STORE].",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help=f"Request deadline ({DEFAULT_TIMEOUT_S:g}) [env: IGGY_TIMEOUT].",
            show_default=False,
        ),
    ] = None,
    server_dialect: Annotated[
        ServerDialect | None,
        typer.Option(
            "--server-dialect",
            metavar="NAME",
            help="auto (default), first, legacy, renaming, stable or edge "
            "[env: IGGY_SERVER_DIALECT].",
            show_default=False,
        ),
    ] = None,
    ca_cert: Annotated[
        str | None,
        typer.Option("--ca-cert", metavar="FILE", help="Trust this CA certificate (PEM)."),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify the server's TLS certificate.")
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour, even on a terminal [env: NO_COLOR].")
    ] = False,
    utc: Annotated[
        bool, typer.Option("--utc", help="Show times in UTC, not the local time zone.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("-v", "--verbose", help="Show each HTTP exchange, secrets masked."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an unexpected error.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    from iggy_cli.console.output import Output
    from iggy_cli.runtime import AppContext, AuthInputs
    from iggy_cli.secrets.redaction import remember
    from iggy_cli.settings import Flags, check_utf8, resolve
    from iggy_cli.state.config_file import UserConfig
    from iggy_cli.state.indexes import NameIndex, ServerIndex, SessionIndex
    from iggy_cli.state.rotation_journal import RotationJournal

    run = run_of(typer_ctx)
    world = run.world
    environ = world.environ
    remember(password)
    for what, given in (("--username", username), ("--password", password)):
        if given is not None:
            check_utf8(given, what)
    config = UserConfig(environ=environ)
    flags = Flags(
        context=context,
        url=url,
        username=username,
        timeout=timeout,
        store=store.value if store else None,
        ca_cert=ca_cert,
        insecure=insecure,
        output=output.value if output else None,
        server_dialect=server_dialect.value if server_dialect else None,
    )
    settings, notices = resolve(
        flags,
        environ,
        config.view(),
        quiet=quiet,
        utc=utc,
        # `iggy context ...` must still work to mend a stale IGGY_CONTEXT or current context.
        ignore_missing_context=typer_ctx.invoked_subcommand == "context",
    )
    out = Output(
        settings.output,
        settings.quiet,
        stdout=world.stdout,
        stderr=world.stderr,
        field=field,
        environ=environ,
        color=not no_color,
        mask_tokens=environ.get("GITHUB_ACTIONS", "").lower() == "true",
        program=world.program,
    )
    ctx = AppContext(
        settings=settings,
        auth=AuthInputs(username, password, password_stdin, token_name, token_stdin),
        output=out,
        environ=environ,
        stdin=world.stdin,  # type: ignore[arg-type]  # None only when the process had none
        now=world.now,
        exec_command=world.exec_command,
        config=config,
        verbose=verbose,
        sessions=SessionIndex(environ=environ),
        names=NameIndex(environ=environ),
        servers=ServerIndex(environ=environ),
        rotations=RotationJournal(environ=environ),
    )
    # Commands that reach no server need no word on which one would have been used.
    offline = typer_ctx.invoked_subcommand in ("context", "config", "completion", "sandbox")
    for notice in notices:
        if notice.startswith("no context named"):
            ctx.output.warning(notice)
        elif not offline or typer_ctx.invoked_subcommand == "config":
            ctx.output.notice(notice)
    run.debug = run.debug or debug  # read by run() once the command has failed
    if not settings.verify_tls:
        ctx.output.warning(
            "TLS verification is off (--insecure): anyone on the path can read your credentials"
        )
    if password is not None:
        ctx.output.warning(
            "--password is visible to other users in the process list; "
            "use IGGY_PASSWORD or --password-stdin"
        )
    run.app = ctx


def run(
    argv: list[str] | None = None,
    command: typer.Typer | None = None,
    only: tuple[str, ...] | None = None,
    world: "World | None" = None,
) -> int:
    """Run the command line and return its exit code; every expected failure is caught here.

    `world` is everything the run reads from outside (runtime.World); by default this
    process's. For the length of the run SIGTERM and SIGHUP act as Ctrl-C (signals.py), its
    stdout and stderr are guarded (streams.py), and every message is masked with the run's own
    secrets (redaction.py) before it is printed.
    """
    from iggy_cli import signals
    from iggy_cli.console import streams
    from iggy_cli.runtime import World
    from iggy_cli.secrets import redaction

    world = world if world is not None else World.of_process()
    with redaction.bound(world.secrets):
        for variable in ("IGGY_PASSWORD", "IGGY_TOKEN"):
            redaction.remember(world.environ.get(variable))
        restore_signals = signals.install()
        try:
            with streams.guarded(world.stdout, world.stderr) as (stdout, stderr):
                width = terminal_width(world)  # of the stream itself: the guard has no size
                guarded = world.with_streams(stdout, stderr)  # type: ignore[arg-type]
                return _run(argv, command, only, Run(guarded), width)
        finally:
            restore_signals()


def _run(
    argv: list[str] | None,
    command: typer.Typer | None,
    only: tuple[str, ...] | None,
    state: Run,
    width: int,
) -> int:
    from iggy_cli import signals
    from iggy_cli.console.output import Output
    from iggy_cli.errors import BrokenPipe, Interrupted, TokensNeedAttention
    from iggy_cli.secrets.redaction import redact

    world = state.world
    stderr = world.stderr
    assert stderr is not None  # guarded: never None
    errors = Output(stdout=world.stdout, stderr=stderr, program=world.program)
    try:
        cli = typer.main.get_command(command) if command is not None else _command(only)
        result = cli.main(
            args=argv,
            prog_name=world.program,
            standalone_mode=False,
            obj=state,
            terminal_width=width,
        )
    except BrokenPipe:
        return BrokenPipe.exit_code  # quiet, as `head` users expect of any tool
    except TokensNeedAttention as error:
        if not error.quiet:
            errors.error(error.message, label=error.label)
        return error.exit_code
    except IggyCliError as error:
        errors.error(error.message, error.hint, label=error.label)  # masked as it is printed
        return signals.exit_code() if isinstance(error, Interrupted) else error.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort) as stop:
        # Quiet, as a shell's own Ctrl-C is; typer already turns one inside a command into
        # exit 130. Only a newline, so the shell's prompt does not land after "Password:".
        if stderr.isatty():
            print(file=stderr)
        return signals.exit_code(stop)
    except click.exceptions.Exit as exit_:
        if isinstance(exit_.__cause__, KeyboardInterrupt):
            return signals.exit_code(exit_.__cause__)
        return exit_.exit_code
    except click.UsageError as error:
        if isinstance(error, getattr(click.exceptions, "NoArgsIsHelpError", ())):
            # `iggy pat` alone: the group's page on stdout, as `iggy pat --help` prints it
            # (click 8.2 raises it as a usage error: one escaped `error:` line, exit 2).
            typer.echo(error.format_message(), file=world.stdout)
            return 0
        # One line and a hint, like every other error, instead of click's usage block.
        where = error.ctx.command_path if error.ctx is not None else world.program
        errors.error(_usage_message(error), hint=f"see `{where} --help`")
        return error.exit_code
    except click.ClickException as error:
        errors.error(error.format_message())
        return error.exit_code
    except Exception as error:
        if state.debug:
            import traceback

            # Frames and source lines, never local values; masked like every other text: an
            # exception's text can quote a secret (`Invalid header value b'Bearer eyJ...'`).
            stderr.write(redact(traceback.format_exc()))
        errors.error(
            f"unexpected {type(error).__name__}; this is a bug",
            hint=None if state.debug else "set IGGY_DEBUG=1 for the traceback",
        )
        return 1
    return result if isinstance(result, int) else 0


def terminal_width(world: "World") -> int:
    """The width help pages wrap to: the run's COLUMNS, else its stdout's terminal, else 80."""
    from iggy_cli import terminal_columns

    return terminal_columns(world.environ, world.stdout) or 80


def _usage_message(error: "click.UsageError") -> str:
    """click's message, naming a bad value's parameter as the help page does (`SHELL`,
    `--output`), not by its metavar (`'SHELL:{bash|zsh|fish}'`) or by every spelling."""
    # exactly BadParameter: its subclasses (a missing argument) word themselves well
    if type(error) is not click.BadParameter or error.param is None:
        return str(error.format_message())
    param = error.param
    if isinstance(param, click.Option):
        name = max(param.opts, key=len)
    else:
        name = (param.name or "value").upper()
    return f"invalid value for {name}: {error.message}"


def main(arguments: list[str] | None = None, only: tuple[str, ...] | None = None) -> None:
    """Run `iggy` in this process; `only` is the command path the arguments name, when the
    caller knows it."""
    sys.exit(run(arguments, only=only))

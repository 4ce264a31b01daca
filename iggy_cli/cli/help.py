"""Help pages in plain click formatting, without rich.

typer 0.20 imports its rich helpers (markdown parser included) for any option help
that shows a default, an environment variable or "required", even with rich markup off, and
then prints a stray backslash before the bracket. These classes format parameters themselves
so `iggy --help` costs little more than importing typer. Commands are grouped in sections by
their `rich_help_panel` (typer's public parameter for exactly that).
"""

from __future__ import annotations

from typing import Any

import click
from typer.core import TyperCommand, TyperGroup

SECTION_ORDER = ("Tokens", "Session", "Tools", "Commands")
# Named on every command's page: global options work after the command too (arguments.py),
# and a page that never mentions -o or --field hides them from whoever reads only it.
GLOBAL_OPTIONS_LINE = (
    "-o FORMAT, --field NAME, -q, --utc, --context NAME, --url URL, -u USER, -n NAME, "
    "--store KIND, --timeout SECONDS, -v; the top-level --help says what each does."
)


def _record(param: click.Parameter, ctx: click.Context) -> tuple[str, str] | None:
    if getattr(param, "hidden", False):
        return None
    help_text = getattr(param, "help", None) or ""
    if not isinstance(param, click.Option):
        return param.make_metavar(ctx), help_text
    # Short names first, long ones in their declared order (click hands the help option's
    # names over from a set, so their order would change from run to run).
    name = ", ".join(sorted(param.opts, key=lambda option: option.startswith("--")))
    if not param.is_flag:
        name += f" {param.make_metavar(ctx)}"
    extras = []
    if isinstance(param.envvar, str) and param.show_envvar:
        extras.append(f"env: {param.envvar}")
    default = param.default
    if not param.is_flag and param.show_default is not False and default not in (None, ()):
        extras.append(f"default: {getattr(default, 'value', default)}")
    if extras:
        help_text = f"{help_text}  [{'; '.join(extras)}]".strip()
    return name, help_text


def _format_parameters(
    command: click.Command, ctx: click.Context, out: click.HelpFormatter
) -> None:
    records: dict[str, list[tuple[str, str]]] = {"argument": [], "option": []}
    for param in command.get_params(ctx):
        record = _record(param, ctx)
        if record is not None:
            records[param.param_type_name].append(record)
    for title, rows in (("Arguments", records["argument"]), ("Options", records["option"])):
        if rows:
            with out.section(title):
                out.write_dl(rows)


def _for_program(page: str, ctx: click.Context) -> str:
    """Examples are written for `iggy`; `iggy-cli --help` shows them for `iggy-cli`."""
    from iggy_cli import as_program

    return as_program(page, ctx.find_root().info_name or "iggy")


class PlainHelpCommand(TyperCommand):
    def get_help(self, ctx: click.Context) -> str:
        return _for_program(super().get_help(ctx), ctx)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _format_parameters(self, ctx, formatter)
        if ctx.parent is not None:
            with formatter.section("Global options (before or after the command)"):
                formatter.write_text(GLOBAL_OPTIONS_LINE)


# Words other tools use for a command of ours: `pat revoke` is suggested `delete`, which
# click's spelling-based suggestion (difflib) cannot see.
SYNONYMS = {
    "revoke": "delete",
    "remove": "delete",
    "destroy": "delete",
    "new": "create",
    "add": "create",
    "mint": "create",
    "generate": "create",
    "renew": "rotate",
    "regenerate": "rotate",
    "get": "token",
    "view": "show",
    "info": "show",
    "current": "show",
    "switch": "use",
}


class PlainHelpGroup(TyperGroup):
    def get_help(self, ctx: click.Context) -> str:
        return _for_program(super().get_help(ctx), ctx)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            if not args or args[0].startswith("-") or self.get_command(ctx, args[0]):
                raise
            # Suggested from the commands help lists (never a hidden alias), and from the
            # words other tools use, which no spelling match can find.
            import difflib

            shown = [name for name, command in self.commands.items() if not command.hidden]
            meant = difflib.get_close_matches(args[0], shown)
            if SYNONYMS.get(args[0]) in shown and SYNONYMS[args[0]] not in meant:
                meant.insert(0, SYNONYMS[args[0]])
            message = f"No such command {args[0]!r}."
            if len(meant) == 1:
                message += f" Did you mean {meant[0]!r}?"
            elif meant:
                message += f" Did you mean one of: {', '.join(map(repr, meant))}?"
            raise click.UsageError(message, ctx=error.ctx) from None

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """What a newcomer looks for first comes first: the commands, then examples (the
        epilog), then the options, as gh's help orders them."""
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_commands(ctx, formatter)
        self.format_epilog(ctx, formatter)
        _format_parameters(self, ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            section = getattr(command, "rich_help_panel", None) or "Commands"
            sections.setdefault(section, []).append((name, command.get_short_help_str(70)))
        ordered = sorted(sections.items(), key=lambda item: SECTION_ORDER.index(item[0]))
        for title, rows in ordered:
            with formatter.section(title):
                formatter.write_dl(rows)


def plain_help(**settings: Any) -> dict[str, Any]:
    """Typer() settings for a group whose help (and its commands' help) avoids rich."""
    # click suggests close matches for a mistyped command itself; typer's own suggestion
    # would say it twice ("Did you mean 'list'? Did you mean 'list'?").
    return {"cls": PlainHelpGroup, "rich_markup_mode": None, "suggest_commands": False, **settings}

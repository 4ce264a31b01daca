"""`iggy config set|unset|show`: choices remembered for the server in force, and where every
setting of a run comes from."""

# No `from __future__ import annotations`: typer would eval every annotation string again.

from typing import Annotated, Any

import typer

from iggy_cli.cli.commands import app_context
from iggy_cli.errors import UsageError

CONFIG_HELP = "Remember settings per server; show where each setting comes from."

KeyArg = Annotated[
    str,
    typer.Argument(
        help="store, timeout, username, keyring_address or server_dialect.", show_default=False
    ),
]


def set_(
    typer_ctx: typer.Context,
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="The value to remember.", show_default=False)],
) -> None:
    """Remember KEY = VALUE for the server in force.

    A flag, the environment or a context still wins over a remembered value.

    \b
    Examples:
      iggy config set store file
      iggy --url https://iggy.example.com:3000 config set timeout 30
    """
    ctx = app_context(typer_ctx)
    checked = _checked(key, value)
    ctx.config.remember(ctx.settings.address, key, checked)
    ctx.output.message(f"Remembered {key} = {checked!r} for {ctx.settings.address}.")


def unset(typer_ctx: typer.Context, key: KeyArg) -> None:
    """Forget the remembered KEY for the server in force.

    \b
    Examples:
      iggy config unset store
    """
    ctx = app_context(typer_ctx)
    _checked_key(key)
    if ctx.config.forget(ctx.settings.address, key):
        ctx.output.message(f"Forgot {key} for {ctx.settings.address}.")
    else:
        ctx.output.message(f"Nothing remembered for {key} at {ctx.settings.address}.")


def show(
    typer_ctx: typer.Context,
) -> None:
    """Show this run's settings and where each comes from.

    \b
    Examples:
      iggy config show
      iggy --context prod config show -o json
    """
    ctx = app_context(typer_ctx)
    settings = ctx.settings
    values: dict[str, Any] = {
        "context": settings.context,
        "url": settings.url,
        "username": settings.username,
        "store": settings.store,
        "timeout": settings.timeout_s,
        "keyring_address": settings.keyring,
        "server_dialect": settings.server_dialect,
        "session_expiry": settings.session_expiry or "15m",
        "tls": "verify with " + (settings.ca_cert or "the system's CAs")
        if settings.verify_tls
        else "not verified (--insecure)",
    }
    origins = {name: str(settings.origins.get(name, "the default")) for name in values}
    origins["keyring_address"] = settings.keyring_origin
    records = [
        {"setting": name, "value": value, "origin": origins[name]} for name, value in values.items()
    ]
    if ctx.output.emit(records, primary=("setting",)):
        return
    ctx.output.table(
        ("SETTING", "VALUE", "FROM"),
        [
            [name, "" if value is None else str(value), origins[name]]
            for name, value in values.items()
        ],
    )


def _checked_key(key: str) -> None:
    from iggy_cli.settings import REMEMBERED

    if key not in REMEMBERED:
        raise UsageError(f"cannot remember {key!r}; one of: {', '.join(REMEMBERED)}")


def _checked(key: str, value: str) -> Any:
    from iggy_cli.settings import CHOICES, check_timeout, check_utf8

    _checked_key(key)
    check_utf8(value, key)
    allowed = CHOICES.get(key)
    if allowed is not None and value not in allowed:
        raise UsageError(f"{key} must be one of {', '.join(allowed)}, not {value!r}")
    if key == "timeout":
        return check_timeout(value, "timeout")
    if key == "session_expiry":
        from iggy_cli.expiry import parse_expiry

        parse_expiry(value.split())  # the same words `iggy login 8h` takes
        return value
    if not value or not value.isprintable():
        raise UsageError(f"{key} must be printable text, not {value!r}")
    return value

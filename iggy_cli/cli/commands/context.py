"""`iggy context create|list|use|delete|show|import`: named server profiles (no secrets)."""

# No `from __future__ import annotations`: typer would eval every annotation string again.

from pathlib import Path
from typing import Annotated, Any

import typer

from iggy_cli.cli.commands import StoreKind, app_context
from iggy_cli.errors import NotFound, UsageError

CONTEXT_HELP = "Named server profiles: URL, user, store, TLS; never a secret."
PROFILE_KEYS = ("url", "username", "store", "timeout", "ca_cert", "insecure")
# What `context set` changes; `context show` also says where an import came from.
# server_dialect is settable too, but not a column of `context list|show`: the rare override.
SETTABLE_KEYS = (*PROFILE_KEYS, "keyring_address", "server_dialect")
SHOW_KEYS = (*PROFILE_KEYS, "keyring_address", "iggy_context", "iggy_contexts_file")

NameArg = Annotated[str, typer.Argument(help="The context's name.", show_default=False)]


def create(
    typer_ctx: typer.Context,
    name: NameArg,
    url: Annotated[
        str | None, typer.Option("--url", help="The server's HTTP API address (required).")
    ] = None,
    username: Annotated[
        str | None, typer.Option("--username", "-u", help="Log in as this user.")
    ] = None,
    store: Annotated[
        StoreKind | None, typer.Option("--store", help="keyring, file or none.")
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option("--timeout", metavar="SECONDS", help="Seconds to wait for the server."),
    ] = None,
    ca_cert: Annotated[str | None, typer.Option("--ca-cert", help="CA certificate (PEM).")] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify TLS (warns on use).")
    ] = False,
    keyring_address: Annotated[
        str | None,
        typer.Option(
            "--keyring-address",
            help="Name keyring entries by this address, as Iggy's CLI does (its TCP one).",
        ),
    ] = None,
    use: Annotated[bool, typer.Option("--use", help="Make it the current context.")] = False,
) -> None:
    """Create (or replace) a context.

    \b
    Examples:
      iggy context create prod --url https://iggy.example.com:3000 -u admin --use
      iggy context create local --url http://localhost:3000 --store file
      iggy context create rust --url http://localhost:3000 --keyring-address 127.0.0.1:8090
    """
    from iggy_cli.settings import check_timeout, check_utf8, normalize_url

    ctx = app_context(typer_ctx)
    # Given before the command (`iggy --url URL context create NAME`), a setting is the same
    # request: global options are accepted on either side of the command.
    settings = ctx.settings
    flagged = {
        name
        for name in ("url", "username", "timeout", "store")
        if settings.origin(name) == f"--{name}"
    }
    if url is None and "url" in flagged:
        url = settings.url
    if url is None:
        raise UsageError(
            "context create needs the server's address: --url URL",
            hint=f"iggy context create {name} --url http://localhost:3000",
        )
    if username is None and "username" in flagged:
        username = settings.username
    seconds = check_timeout(timeout, "--timeout") if timeout is not None else None
    if seconds is None and "timeout" in flagged:
        seconds = settings.timeout_s
    store_kind = store.value if store else settings.store if "store" in flagged else None
    profile: dict[str, Any] = {"url": normalize_url(url)}
    # Checked now, not when the context is next used: config.toml is UTF-8 text, and a
    # timeout of inf would make every later run fail.
    for flag, given in (("--username", username), ("--ca-cert", ca_cert)):
        if given is not None:
            check_utf8(given, flag)
    optional = {
        "username": username,
        "store": store_kind,
        "timeout": seconds,
        "ca_cert": ca_cert,
        "insecure": insecure or None,
        "keyring_address": _parsed("keyring_address", keyring_address)
        if keyring_address is not None
        else None,
    }
    profile.update({key: value for key, value in optional.items() if value is not None})
    _check_name(name)
    ctx.config.put_context(name, profile, make_current=use)
    ctx.output.message(f"Saved context {name!r}" + (" and made it current." if use else "."))


def set_(
    typer_ctx: typer.Context,
    name: NameArg,
    key: Annotated[
        str,
        typer.Argument(help=f"One of: {', '.join(SETTABLE_KEYS)}.", show_default=False),
    ],
    value: Annotated[
        str | None,
        typer.Argument(help="The new value; leave it out to remove the key.", show_default=False),
    ] = None,
) -> None:
    """Change one setting of a context, or remove it.

    \b
    Examples:
      iggy context set prod store file
      iggy context set prod timeout 30
      iggy context set prod username
      iggy context set rust keyring_address 127.0.0.1:8090
    """
    ctx = app_context(typer_ctx)
    if key not in SETTABLE_KEYS:
        raise UsageError(f"a context has no setting {key!r}; one of: {', '.join(SETTABLE_KEYS)}")
    contexts = ctx.config.contexts()
    if name not in contexts:
        raise NotFound(f"no context named {name!r}", hint="`iggy context list` shows them")
    if value is None and key == "url":
        raise UsageError("a context needs its url; give a new one")
    profile = dict(contexts[name])
    if value is None:
        profile.pop(key, None)
    else:
        profile[key] = _parsed(key, value)
    from iggy_cli.settings import check_profile

    check_profile(name, profile)
    ctx.config.put_context(name, profile, make_current=False)
    shown = "removed" if value is None else f"= {profile[key]!r}"
    ctx.output.message(f"Context {name!r}: {key} {shown}.")


def _parsed(key: str, value: str) -> Any:
    """A value typed on the command line, as the context keeps it."""
    from iggy_cli.settings import check_timeout, check_utf8, normalize_url

    check_utf8(value, key)
    if key == "url":
        return normalize_url(value)
    if key == "timeout":
        return check_timeout(value)
    if key == "insecure":
        if value.lower() not in ("true", "false"):
            raise UsageError(f"insecure is true or false, not {value!r}")
        return value.lower() == "true"
    if key == "keyring_address" and (not value or not value.isprintable()):
        raise UsageError(f"keyring_address must be printable text, not {value!r}")
    return value


def list_(
    typer_ctx: typer.Context,
) -> None:
    """List the contexts; the current one is marked.

    \b
    Examples:
      iggy context list
      iggy context list -o plain
    """
    ctx = app_context(typer_ctx)
    current = ctx.config.current_context()
    records: list[dict[str, Any]] = [
        {"name": name, "current": name == current, **{k: p.get(k) for k in PROFILE_KEYS}}
        for name, p in sorted(ctx.config.contexts().items())
    ]
    if ctx.output.emit(records, primary=("name",)):
        return
    if not records:
        ctx.output.message("No contexts. Create one with `iggy context create NAME --url URL`.")
        return
    rows = [
        [("* " if r["current"] else "  ") + str(r["name"]), str(r["url"]), str(r["username"] or "")]
        for r in records
    ]
    ctx.output.table(("  NAME", "URL", "USERNAME"), rows)


def use(typer_ctx: typer.Context, name: NameArg) -> None:
    """Make NAME the current context (`none` for no context).

    \b
    Examples:
      iggy context use prod
    """
    ctx = app_context(typer_ctx)
    if name == "none":
        ctx.config.use_context(None)
        ctx.output.message("No context is current now.")
        return
    if name not in ctx.config.contexts():
        raise NotFound(f"no context named {name!r}", hint="`iggy context list` shows them")
    ctx.config.use_context(name)
    ctx.output.message(f"Context {name!r} is current now.")


def delete(typer_ctx: typer.Context, name: NameArg) -> None:
    """Delete a context (tokens stay where they are).

    \b
    Examples:
      iggy context delete staging
    """
    ctx = app_context(typer_ctx)
    if not ctx.config.delete_context(name):
        raise NotFound(f"no context named {name!r}", hint="`iggy context list` shows them")
    ctx.output.message(f"Deleted context {name!r}.")


def show(
    typer_ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="Default: the one in force.", show_default=False)
    ] = None,
) -> None:
    """Show a context's settings.

    \b
    Examples:
      iggy context show
      iggy context show prod -o json
    """
    ctx = app_context(typer_ctx)
    chosen = name or ctx.settings.context
    contexts = ctx.config.contexts()
    if chosen is None or chosen not in contexts:
        raise NotFound(
            "no context is in force" if chosen is None else f"no context named {chosen!r}"
        )
    record = {"name": chosen, **{key: contexts[chosen].get(key) for key in SHOW_KEYS}}
    if ctx.output.emit(record, primary=("url",)):
        return
    ctx.output.fields([(key, "" if value is None else str(value)) for key, value in record.items()])


def import_(
    typer_ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Iggy's contexts.toml [default: $IGGY_HOME or ~/.iggy]."),
    ] = None,
    copy_secrets: Annotated[
        bool,
        typer.Option(
            "--copy-secrets",
            help="Also copy their tokens and passwords into the keyring (never over another).",
        ),
    ] = False,
    use: Annotated[
        bool,
        typer.Option("--use", help="Make the context Iggy's CLI has active the current one."),
    ] = False,
) -> None:
    """Import the contexts of Iggy's own CLI; its files are only read.

    Each context keeps the keyring address Iggy's CLI uses for it (its TCP address unless
    its transport is http), so both tools find the same tokens. A token or password the
    context holds stays in Iggy's file and is read from there when the context is used.

    \b
    Examples:
      iggy context import
      iggy context import --use
      iggy context import --file ./contexts.toml --copy-secrets
    """
    from iggy_cli.usecases.context_import import import_iggy_contexts

    ctx = app_context(typer_ctx)
    outcome = import_iggy_contexts(ctx, str(file) if file else None, copy_secrets, use)
    for item in outcome.contexts:
        if item.skipped is not None:
            ctx.output.message(f"Skipped {item.name!r}: {item.skipped} (iggy-cli speaks HTTP).")
            continue
        address = item.keyring_address or "the URL's: Iggy's CLI keeps none for its transport"
        line = f"Imported context {item.name!r} ({item.url}; keyring address {address})."
        if item.secrets:
            line += f" Kept in Iggy's file and read from there: {', '.join(item.secrets)}."
        for copy in item.copies:
            line += f" {copy[0].upper()}{copy[1:]}."
        ctx.output.message(line)
    if outcome.made_current:
        ctx.output.message(f"Made {outcome.active!r} the current context, as in Iggy's CLI.")
    elif outcome.active is not None and ctx.config.current_context() != outcome.active:
        ctx.output.message(
            f"Iggy's CLI has {outcome.active!r} active; the current context here is unchanged "
            f"(`iggy context use {outcome.active}` or `import --use` to switch)."
        )
    ctx.output.message("Iggy's own files were read, not changed.")


def _check_name(name: str) -> None:
    if not name or name == "none" or not all(ch.isalnum() or ch in "-_." for ch in name):
        raise UsageError(
            f"bad context name {name!r}: use letters, digits, '-', '_' or '.' (not 'none')"
        )

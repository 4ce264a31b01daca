"""One resolution of a run's settings, with where each value came from.

Every command, prompt, TAB completion and `status` reads the same `Settings`, built here from
the command line, the environment, the contexts and remembered choices, so they can never
disagree about which server, user or store is in force. The order, most explicit first:

    1. a command-line flag                       (--url, -u, --timeout, --store, ...)
    2. the context named by --context
    3. an environment variable                   (IGGY_URL, IGGY_USERNAME, IGGY_STORE, ...)
    4. the current context                       (IGGY_CONTEXT, else `iggy context use`)
    5. a choice remembered for the server        (`iggy config set`, in config.toml)
    6. the default

An explicit --context beats the environment because it was typed for this run; the current
context is a standing choice, which an exported variable overrides, and when one does the
run says so (a notice), since that surprise is hard to see otherwise.

Pure: the inputs are values, so the precedence is tested in-process in milliseconds.

TAB completion resolves settings on every key press, so this module imports nothing costly:
no `typing` at run time (its value types are plain slotted classes) and no `urllib` (URLs are
checked with `re`, which every console script has loaded already).
"""

from __future__ import annotations

import math
import re

from iggy_cli.errors import UsageError

TYPE_CHECKING = False  # the fast path imports no typing; mypy reads this name as true
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

DEFAULT_URL = "http://localhost:3000"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_KEYRING_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 3600.0
STORE_KINDS = ("keyring", "file", "none")
# Iggy's CLI keys its keyring entries by its transport's address (TCP by default); with
# `--transport http` that is the HTTP URL minus `http://`, the default here. A context (or
# `iggy config set keyring_address`) names another, such as the TCP address.
KEYRING_DEFAULT_ORIGIN = "the URL, as Iggy's CLI names a server with --transport http"
# dialect.DIALECTS and "auto" (detect); spelt out here, which TAB completion imports.
SERVER_DIALECTS = ("auto", "first", "legacy", "renaming", "stable", "edge")
# Settings that take one of a few words, checked alike wherever they are set.
CHOICES = {"store": STORE_KINDS, "server_dialect": SERVER_DIALECTS}
OUTPUT_FORMATS = ("table", "json", "csv", "plain", "env")


class Flags:
    """What the command line said; None (or False) where it said nothing."""

    __slots__ = (
        "ca_cert",
        "context",
        "insecure",
        "output",
        "server_dialect",
        "store",
        "timeout",
        "url",
        "username",
    )

    def __init__(
        self,
        context: str | None = None,
        url: str | None = None,
        username: str | None = None,
        timeout: float | str | None = None,  # a flag's text, checked as any other layer's
        store: str | None = None,
        ca_cert: str | None = None,
        insecure: bool = False,
        output: str | None = None,
        server_dialect: str | None = None,
    ) -> None:
        self.context = context
        self.url = url
        self.username = username
        self.timeout = timeout
        self.store = store
        self.ca_cert = ca_cert
        self.insecure = insecure
        self.output = output
        self.server_dialect = server_dialect


class ConfigView:
    """What config.toml holds, as plain values."""

    __slots__ = ("contexts", "current_context", "servers")

    def __init__(
        self,
        current_context: str | None = None,
        contexts: Mapping[str, Mapping[str, Any]] | None = None,
        servers: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.current_context = current_context
        self.contexts = contexts or {}
        self.servers = servers or {}


class Settings:
    """The settings of one run; `origins` says where each came from."""

    __slots__ = (
        "ca_cert",
        "context",
        "keyring_address",
        "keyring_timeout_s",
        "origins",
        "output",
        "profile",
        "quiet",
        "server_dialect",
        "session_expiry",
        "store",
        "timeout_s",
        "url",
        "username",
        "utc",
        "verify_tls",
    )

    def __init__(
        self,
        url: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        output: str = "table",
        quiet: bool = False,
        ca_cert: str | None = None,
        verify_tls: bool = True,
        utc: bool = False,
        username: str | None = None,
        store: str = "keyring",
        context: str | None = None,
        profile: Mapping[str, Any] | None = None,
        keyring_address: str | None = None,
        origins: Mapping[str, str] | None = None,
        keyring_timeout_s: float = DEFAULT_KEYRING_TIMEOUT_S,
        server_dialect: str = "auto",
        session_expiry: str | None = None,
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.output = output
        self.quiet = quiet
        self.ca_cert = ca_cert
        self.verify_tls = verify_tls
        self.utc = utc
        self.username = username
        self.store = store
        self.context = context
        # The context's own table, for keys only some parts read (imported Iggy contexts).
        self.profile = profile or {}
        self.keyring_address = keyring_address
        # How long one keyring call may take (IGGY_KEYRING_TIMEOUT): a locked keyring can
        # wait forever on a prompt nobody sees.
        self.keyring_timeout_s = keyring_timeout_s
        # The server's generation when detection cannot tell (dialect.py); "auto" detects.
        self.server_dialect = server_dialect
        # The lifetime of a session `iggy login` starts without one given (words: "8h");
        # checked where it is used (usecases), None: 15 minutes, as Iggy's CLI.
        self.session_expiry = session_expiry
        # setting -> where its value came from, in words: "--url", "IGGY_URL",
        # "context 'prod' (--context)", "remembered for localhost:3000", absent: default
        self.origins = origins or {}

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Settings({fields})"

    @property
    def address(self) -> str:
        """The server's name in local files: the URL minus `http://`, as Iggy's CLI spells a
        server in its keyring entries (for --transport http)."""
        return self.url.removeprefix("http://")

    @property
    def keyring(self) -> str:
        """The address keyring entries are kept under (see `keyring_address`)."""
        return self.keyring_address or self.address

    @property
    def keyring_origin(self) -> str:
        """Why `keyring` is what it is, in words."""
        return self.origins.get("keyring_address", KEYRING_DEFAULT_ORIGIN)

    def origin(self, name: str) -> str:
        return self.origins.get(name, "default")


# name: (flag label, environment variable, context key)
_SOURCES: dict[str, tuple[str, str | None, str | None]] = {
    "url": ("--url", "IGGY_URL", "url"),
    "username": ("--username", "IGGY_USERNAME", "username"),
    "timeout": ("--timeout", "IGGY_TIMEOUT", "timeout"),
    "store": ("--store", "IGGY_STORE", "store"),
    "output": ("--output", "IGGY_OUTPUT", None),
    "keyring_address": ("", None, "keyring_address"),
    "keyring_timeout": ("", "IGGY_KEYRING_TIMEOUT", None),
    "server_dialect": ("--server-dialect", "IGGY_SERVER_DIALECT", "server_dialect"),
    "session_expiry": ("", "IGGY_SESSION_EXPIRY", None),
}
# Settings a server can remember (`iggy config set KEY VALUE`), kept per server in config.toml.
REMEMBERED = (
    "store",
    "timeout",
    "username",
    "keyring_address",
    "server_dialect",
    "session_expiry",
)


def choose_context(
    flags: Flags, environ: Mapping[str, str], config: ConfigView
) -> tuple[str, str] | None:
    """The context in force and how it was chosen: --context, IGGY_CONTEXT, or `context use`."""
    if flags.context:
        return flags.context, "--context"
    if name := environ.get("IGGY_CONTEXT", "").strip():
        return name, "IGGY_CONTEXT"
    if config.current_context:
        return config.current_context, "current"
    return None


def resolve(
    flags: Flags,
    environ: Mapping[str, str],
    config: ConfigView,
    *,
    quiet: bool = False,
    utc: bool = False,
    ignore_missing_context: bool = False,
) -> tuple[Settings, list[str]]:
    """Settings for this run, and notices to show. Raises UsageError for a bad value, naming
    where it came from."""
    notices: list[str] = []
    chosen = choose_context(flags, environ, config)
    context_name, how = chosen if chosen else (None, None)
    profile: Mapping[str, Any] = {}
    if context_name is not None:
        found = config.contexts.get(context_name)
        if found is None:
            if not ignore_missing_context:
                via = "" if how == "--context" else f" (from {_how_words(how)})"
                raise UsageError(
                    f"no context named {context_name!r}{via}",
                    hint="`iggy context list` shows them; `iggy context create` makes one",
                )
            notices.append(f"no context named {context_name!r}; going on without a context")
            context_name, how = None, None
        else:
            profile = check_profile(context_name, found)
    explicit = how == "--context"
    context_label = (
        f"context {context_name!r} (--context)"
        if explicit
        else f"context {context_name!r} ({_how_words(how)})"
    )
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if context_name is not None:
        origins["context"] = {"current": "`iggy context use`"}.get(str(how), str(how))

    def layers(name: str) -> list[tuple[str, Any]]:
        flag_label, variable, context_key = _SOURCES[name]
        from_flag = getattr(flags, name, None)
        from_env = _environment(environ, variable)
        from_context = profile.get(context_key) if context_key else None
        ordered: list[tuple[str, Any]] = [(flag_label, from_flag)]
        if explicit:
            ordered.append((context_label, from_context))
        if variable:
            ordered.append((variable, from_env))
        if not explicit:
            ordered.append((context_label, from_context))
        return ordered

    for name in _SOURCES:
        for origin, value in layers(name):
            if value is not None and value != "":
                values[name], origins[name] = value, origin
                break
    url = normalize_url(str(values.get("url", DEFAULT_URL)), origins.get("url", "default"))
    remembered = _remembered(config, url)
    for name in REMEMBERED:
        if name not in values and name in remembered:
            values[name] = remembered[name]
            origins[name] = f"remembered for {url.removeprefix('http://')}"
    # An exported variable beat the current context: say so, it is easy to miss.
    if context_name is not None and not explicit:
        for name, (_, variable, context_key) in _SOURCES.items():
            overridden = context_key is not None and context_key in profile
            if variable and origins.get(name) == variable and overridden:
                notices.append(
                    f"{variable} overrides the {name} of context {context_name!r} "
                    f"({values[name]!r} instead of {profile[str(context_key)]!r})"
                )
    ca_cert, insecure, tls_origin = _tls(flags, profile, context_label)
    if tls_origin is not None:
        origins["tls"] = tls_origin
    settings = Settings(
        url=url,
        timeout_s=check_timeout(values.get("timeout", DEFAULT_TIMEOUT_S), origins.get("timeout")),
        output=_choice("output", values.get("output", "table"), OUTPUT_FORMATS, origins),
        quiet=quiet,
        ca_cert=ca_cert,
        verify_tls=not insecure,
        utc=utc,
        username=_text("username", values.get("username"), origins),
        store=_choice("store", values.get("store", "keyring"), STORE_KINDS, origins),
        context=context_name,
        profile=profile,
        keyring_address=_text("keyring_address", values.get("keyring_address"), origins),
        origins=origins,
        keyring_timeout_s=check_timeout(
            values.get("keyring_timeout", DEFAULT_KEYRING_TIMEOUT_S), origins.get("keyring_timeout")
        ),
        server_dialect=_choice(
            "server_dialect", values.get("server_dialect", "auto"), SERVER_DIALECTS, origins
        ),
        session_expiry=_text("session_expiry", values.get("session_expiry"), origins),
    )
    return settings, notices


def _how_words(how: str | None) -> str:
    return {"IGGY_CONTEXT": "IGGY_CONTEXT", "current": "the current context"}.get(how or "", "")


def _environment(environ: Mapping[str, str], variable: str | None) -> str | None:
    if variable is None:
        return None
    value = environ.get(variable)
    if value is None or not value.strip():
        return None
    check_utf8(value, variable)
    return value.strip()


def _remembered(config: ConfigView, url: str) -> Mapping[str, Any]:
    entry = config.servers.get(url.removeprefix("http://"))
    return entry if isinstance(entry, dict) else {}


def _tls(
    flags: Flags, profile: Mapping[str, Any], context_label: str
) -> tuple[str | None, bool, str | None]:
    """A TLS flag replaces both of the context's TLS settings: --insecure drops its CA."""
    if flags.ca_cert is not None or flags.insecure:
        if flags.ca_cert is not None and flags.insecure:
            raise UsageError("--ca-cert and --insecure contradict each other; choose one")
        return flags.ca_cert, flags.insecure, "--ca-cert" if flags.ca_cert else "--insecure"
    ca_cert = profile.get("ca_cert")
    insecure = bool(profile.get("insecure"))
    if ca_cert is not None and insecure:
        raise UsageError(f"{context_label}: ca_cert and insecure contradict each other")
    if ca_cert is None and not insecure:
        return None, False, None
    return (str(ca_cert) if ca_cert is not None else None), insecure, context_label


def _choice(name: str, value: Any, allowed: tuple[str, ...], origins: Mapping[str, str]) -> str:
    text = str(value)
    if text not in allowed:
        subject = subject_of(name, origins.get(name))
        raise UsageError(f"{subject} must be one of {', '.join(allowed)}, not {text!r}")
    return text


def _text(name: str, value: Any, origins: Mapping[str, str]) -> str | None:
    if value is None:
        return None
    text = str(value)
    subject = subject_of(name, origins.get(name))
    check_utf8(text, subject)
    if not text.isprintable():
        raise UsageError(f"{subject} holds control characters")
    return text


def subject_of(name: str, origin: str | None) -> str:
    """How an error names a setting: by the flag or variable that gave it, else by its name
    and where it came from (`timeout (from context 'prod')`)."""
    if origin is None or origin == "default":
        return name
    if origin.startswith("-") or origin.isupper():
        return origin
    return f"{name} (from {origin})"


def _from(origin: str) -> str:
    return "" if origin.startswith("-") or origin == "default" else f" (from {origin})"


def check_utf8(text: str, what: str) -> str:
    """Arguments and variables arrive with undecodable bytes as lone surrogates; refuse them
    here, before they reach an HTTP header, a file or the terminal."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{what} is not valid UTF-8") from None
    return text


def check_timeout(value: Any, origin: str | None = None) -> float:
    """A number of seconds, finite and within reason (a run must end)."""
    subject = subject_of("timeout", origin)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{subject} must be a number of seconds, not {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT_S:
        raise UsageError(
            f"{subject} must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds, not {value!r}"
        )
    return seconds


# scheme://host[:port][/path]; the host a name, an IPv4 address or a bracketed IPv6 one.
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<netloc>[^/?#]*)(?P<path>[^?#]*)"
    r"(?P<rest>[?#].*)?",
    re.DOTALL,
)
_HOST_PORT = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::(?P<port>[0-9]{1,5}))?")


def normalize_url(url: str, origin: str = "--url") -> str:
    """The URL as the tool uses it: scheme and host in lower case, no trailing slash, and
    never a user or password (they would travel in logs, keyring names and messages)."""
    check_utf8(url, subject_of("URL", origin))
    text = url.strip().rstrip("/")
    source = _from(origin)
    if not text.isprintable() or any(character.isspace() for character in text):
        raise UsageError(f"the URL holds spaces or control characters: {url!r}{source}")
    parts = _URL.fullmatch(text)
    if parts is None or parts["scheme"].lower() not in ("http", "https"):
        raise UsageError(
            f"not an HTTP URL: {url!r}{source}",
            hint="use a URL like http://localhost:3000 (--url or IGGY_URL)",
        )
    if "@" in parts["netloc"]:
        raise UsageError(
            f"the URL must not hold a user or password{source}",
            hint="give the user with -u and the password with IGGY_PASSWORD or --password-stdin",
        )
    if parts["rest"]:
        raise UsageError(f"the URL must be only scheme, host, port and path: {url!r}{source}")
    where = _HOST_PORT.fullmatch(parts["netloc"])
    if where is None:
        raise UsageError(f"no host, or a bad port, in the URL {url!r}{source}")
    host, port = where["host"], where["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        raise UsageError(f"port {port} in {url!r} is out of range (1-65535){source}")
    if not host.isascii():
        try:
            host.encode("idna")
        except UnicodeError:
            raise UsageError(f"the host name in {url!r} is not valid{source}") from None
    netloc = host.lower() + (f":{int(port)}" if port is not None else "")
    return f"{parts['scheme'].lower()}://{netloc}{parts['path']}"


_PROFILE_TYPES: dict[str, tuple[type, ...]] = {
    "url": (str,),
    "username": (str,),
    "store": (str,),
    "timeout": (int, float),
    "ca_cert": (str,),
    "insecure": (bool,),
    "keyring_address": (str,),
    "iggy_context": (str,),
    "iggy_contexts_file": (str,),
    "server_dialect": (str,),
}


def check_profile(name: str, profile: Mapping[str, Any]) -> Mapping[str, Any]:
    """A context edited by hand may hold anything: refuse wrong types by name."""
    if not isinstance(profile, dict):
        raise UsageError(f"context {name!r} is not a table")
    for key, kinds in _PROFILE_TYPES.items():
        value = profile.get(key)
        # bool is an int in Python: true/false is no timeout, and "false" is no bool.
        right_type = isinstance(value, kinds) and isinstance(value, bool) == (bool in kinds)
        if value is not None and not right_type:
            raise UsageError(f"context {name!r}: {key} has the wrong type ({value!r})")
    for key, allowed in CHOICES.items():
        if profile.get(key) not in (None, *allowed):
            raise UsageError(f"context {name!r}: {key} must be one of {', '.join(allowed)}")
    if profile.get("timeout") is not None:
        check_timeout(profile["timeout"], f"context {name!r}")
    return profile

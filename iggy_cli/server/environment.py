"""What the environment says about reaching a server: the proxy for a URL (HTTP_PROXY,
HTTPS_PROXY, ALL_PROXY, NO_PROXY) and the CAs to trust (SSL_CERT_FILE, SSL_CERT_DIR).

Read here, not by httpx (`trust_env`): httpx 0.28 cannot even build a client when NO_PROXY
holds `[::1]` (it takes `:1]` for a port), or when a proxy variable the request would never
use is unusable (HTTPS_PROXY=:::: for an http URL). Pure standard library: the client asks
before it builds its transport, and a bad setting is a usage error before anything is sent.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

_HOST = re.compile(r"[A-Za-z0-9._-]+")


class ProxySettingError(ValueError):
    """A proxy variable this request would use does not name an http:// proxy."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable} is not a proxy this tool can use: {reason}")
        self.variable = variable


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int
    variable: str  # where it came from, for messages
    # "Basic ..." from the user:password of the proxy URL: sent to the proxy, never beyond it.
    authorization: str | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return _authority(self.host, self.port)


def proxy_for(scheme: str, host: str, port: int, environ: Mapping[str, str]) -> Proxy | None:
    """The proxy for one origin, from the environment as urllib.request reads it.

    As urllib: a lower-case variable wins over its upper-case form, even when empty; NO_PROXY
    is a comma-separated list of host names (`name` also matching its subdomains, `name:port`
    only that port, an IPv6 address bare or in brackets), or `*`; and HTTP_PROXY is ignored
    under CGI (REQUEST_METHOD set: "httpoxy"). As curl and httpx: ALL_PROXY serves a scheme
    that has no variable of its own, and a value without a scheme is an http:// proxy.
    Raises ProxySettingError for a value that cannot be used.
    """
    if _bypassed(host.lower(), port, _variable(environ, "no_proxy")[1]):
        return None
    for base in (f"{scheme}_proxy", "all_proxy"):
        name, value = _variable(environ, base)
        if value:
            return _parse_proxy(name, value)
    return None


def _variable(environ: Mapping[str, str], base: str) -> tuple[str, str]:
    upper = base.upper()
    if base in environ:
        return base, environ[base].strip()
    if base == "http_proxy" and "REQUEST_METHOD" in environ:
        return upper, ""
    return upper, environ.get(upper, "").strip()


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    if no_proxy == "*":
        return True
    host = host.strip("[]")
    for entry in no_proxy.lower().split(","):
        name, entry_port = _no_proxy_entry(entry.strip().lstrip("."))
        if not name or entry_port not in (None, port):
            continue
        if name == host or host.endswith("." + name):
            return True
    return False


def _no_proxy_entry(entry: str) -> tuple[str, int | None]:
    """(host, port or None) of one NO_PROXY entry: `name`, `name:port`, `::1`, `[::1]`,
    `[::1]:port`."""
    if entry.startswith("["):
        inside, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return inside, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, int(port) if port.isdigit() else -1
    return entry, None


def _parse_proxy(variable: str, value: str) -> Proxy:
    # Never quoted in a message: the value may hold the proxy's password.
    text = value if "://" in value else f"http://{value}"
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ProxySettingError(variable, "it is not a URL") from None
    if parts.scheme.lower() != "http":
        raise ProxySettingError(
            variable, f"only http:// proxies are supported, not {parts.scheme}://"
        )
    host = parts.hostname or ""
    if not (_HOST.fullmatch(host) or (":" in host and is_ip_literal(host))):
        raise ProxySettingError(variable, "it names no valid host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ProxySettingError(variable, "the port must be a number from 1 to 65535")
    authorization = None
    if parts.username is not None:
        import base64

        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
    return Proxy(host, port or 80, variable, authorization)


def tls_context(verify: bool, ca_cert: str | None, environ: Mapping[str, str]) -> ssl.SSLContext:
    """Verification on, against `ca_cert`, else SSL_CERT_FILE or SSL_CERT_DIR as httpx reads
    them, else the CA bundle httpx itself trusts (certifi)."""
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_cert is not None:
        return ssl.create_default_context(cafile=ca_cert)
    if environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=environ["SSL_CERT_FILE"])
    if environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def is_ip_literal(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return True
    return False


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

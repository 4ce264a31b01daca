"""The transport's promises, through the console script against servers that misbehave on
purpose (tests/helpers): one deadline for a whole request, a cap on the size of an answer,
proxies from the environment, plain words for TLS mistakes, and no token a hostile server
hands out ever sent or shown. Pure parts (reading the proxy variables) are tested in-process."""

from __future__ import annotations

import base64
import contextlib
import ssl
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from helpers.cli import Cli, Result
from helpers.fake_servers import (
    bomb_server,
    closed_port_url,
    drip_server,
    dropping_server,
    endless_server,
    header_adding_server,
    identity_server,
    make_certificate,
    silent_server,
)
from helpers.forwarding_proxy import forwarding_proxy
from helpers.servers import MINTED, new_sandbox, server_tokens

from iggy_cli import errors
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.server.client import IggyClient
from iggy_cli.server.environment import Proxy, ProxySettingError, proxy_for
from iggy_cli.server.transport import Transport

DEADLINE = 1  # --timeout of the runs that must stop at their deadline
BOUND = DEADLINE + 8  # generous: the machine is shared; what matters is minutes versus seconds
TOKENS = "/personal-access-tokens"
TIMEOUT_HINT = "hint: check the server, or allow more time with --timeout SECONDS"
NOT_IGGY_HINT = "hint: check --url: it must point at the Iggy HTTP API"


def timed(cli: Cli, url: str, env: dict[str, str | None]) -> Result:
    started = time.monotonic()
    result = cli(
        "--timeout", str(DEADLINE), "pat", "list", env={**cli.as_admin(), "IGGY_URL": url, **env}
    )
    assert time.monotonic() - started < BOUND, result
    assert "Traceback" not in result.stderr
    return result


def port_of(url: str) -> str:
    return url.rsplit(":", 1)[1]


SlowServer = Callable[[], contextlib.AbstractContextManager[str]]


@pytest.mark.parametrize(
    ("slow", "variable"),
    [
        (silent_server, None),
        (partial(drip_server, "status-line"), None),
        (partial(drip_server, "headers"), None),
        (partial(drip_server, "body"), None),
        (silent_server, "HTTP_PROXY"),
        (partial(drip_server, "status-line"), "HTTPS_PROXY"),
    ],
    ids=[
        "silent",
        "drip-status-line",
        "drip-headers",
        "drip-body",
        "silent-http-proxy",
        "drip-connect-answer",
    ],
)
def test_a_slow_answer_ends_at_the_deadline(
    cli: Cli, slow: SlowServer, variable: str | None
) -> None:
    """A byte a second never lets a single read wait long: only a deadline for the whole
    request stops it (before, the drips ran for minutes)."""
    with slow() as slow_url:
        if variable is None:
            url, env, via = slow_url, {}, ""
        else:  # the slow one is the proxy; the server behind it is never reached
            scheme = "https" if variable == "HTTPS_PROXY" else "http"
            url = closed_port_url().replace("http", scheme, 1)
            env = {variable: slow_url}
            via = f" through the proxy 127.0.0.1:{port_of(slow_url)}"
        result = timed(cli, url, env)
    assert result.code == 6
    assert result.stderr.splitlines() == [
        f"error: {url} did not answer within {DEADLINE} s{via}",
        TIMEOUT_HINT,
    ]


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("declared-length", "an answer larger than 4 MiB"),
        ("chunked", "an answer larger than 4 MiB"),
        ("until-close", "an answer larger than 4 MiB"),
        ("headers", "headers larger than 100 KiB"),  # httpcore's own limit on a head
    ],
    ids=["declared-length", "chunked", "until-close", "headers"],
)
def test_an_endless_answer_stops_at_the_cap(cli: Cli, kind: str, what: str) -> None:
    """The server sends for as long as anyone reads, so a run that ends read only so much."""
    with endless_server(kind) as url:
        result = cli("--timeout", "30", "pat", "list", env={**cli.as_admin(), "IGGY_URL": url})
    assert result.code == 6
    assert result.stderr.splitlines() == [
        f"error: {url} sent {what}; the rest was not read",
        NOT_IGGY_HINT,
    ]


def test_a_compressed_answer_is_capped_once_decompressed(cli: Cli) -> None:
    """gzip inside gzip: a few KB that decompress to far more than the cap. Decoding stops at
    the cap, within the deadline (before, it ran on, past --timeout, into gigabytes)."""
    with bomb_server() as url:
        result = timed(cli, url, {})
    assert result.code == 6
    assert result.stderr.splitlines() == [
        f"error: {url} sent an answer larger than 4 MiB once decompressed; the rest was not read",
        NOT_IGGY_HINT,
    ]


@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOi\r\nX-Injected: 1",
        "eyJhbGciOi.é.x",
        "eyJhbGciOi\x00",
        "eyJ hbGciOi",
        "eyJ\x1b[2J",
    ],
    ids=["crlf", "non-ascii", "nul", "space", "escape"],
)
def test_a_jwt_that_cannot_be_sent_is_no_identity(cli: Cli, token: str) -> None:
    with identity_server(token) as url:
        result = cli("--debug", "pat", "list", env={**cli.as_admin(), "IGGY_URL": url})
    assert result.code == 6
    assert result.stderr.splitlines() == [
        f"error: {url} answered something other than an identity; is it an Iggy server?",
        NOT_IGGY_HINT,
    ]


# A byte outside ASCII in a header: h11 takes it in a value (obs-text), not in a name.
NON_ASCII_VALUE = b"X-Note: caf\xe9"
NON_ASCII_NAME = b"X-Caf\xe9: 1"
NOT_HTTP = "the answer is not valid HTTP (illegal header line)"
# The request went out and the answer was broken: never "is the server running?"
LOST_HINT = "hint: try again; if it keeps happening, check the server (and any proxy on the way)"


def test_a_non_ascii_header_byte_in_a_value_is_read(cli: Cli, sandbox: SandboxServer) -> None:
    with header_adding_server(sandbox.url, "GET", TOKENS, NON_ASCII_VALUE) as url:
        result = cli("pat", "list", "-o", "json", env={**cli.as_admin(), "IGGY_URL": url})
    assert (result.code, result.stdout, result.stderr) == (0, "[]\n", "")


def test_a_non_ascii_header_byte_in_a_name_is_one_line(cli: Cli, sandbox: SandboxServer) -> None:
    with header_adding_server(sandbox.url, "GET", TOKENS, NON_ASCII_NAME) as url:
        result = cli("pat", "list", "-o", "json", env={**cli.as_admin(), "IGGY_URL": url})
    assert (result.code, result.stdout) == (6, "")
    assert result.stderr.splitlines() == [
        f"error: {url} sent no usable answer: {NOT_HTTP}",
        LOST_HINT,
    ]


def test_a_created_token_whose_answer_has_a_non_ascii_value_is_printed(
    cli: Cli, sandbox: SandboxServer
) -> None:
    with header_adding_server(sandbox.url, "POST", TOKENS, NON_ASCII_VALUE) as url:
        env = {**cli.as_admin(), "IGGY_URL": url}
        result = cli("pat", "create", "deploy", "-q", "--no-store", env=env, shows_token=True)
    assert (result.code, result.stderr) == (0, "")
    token = result.stdout.removesuffix("\n")
    assert token in MINTED and result.stdout == token + "\n"
    assert list(server_tokens(sandbox.url)) == ["deploy"]


def test_a_created_token_whose_answer_is_not_http_is_an_unknown_outcome(
    cli: Cli, sandbox: SandboxServer, access_log: list[str]
) -> None:
    """The server minted it and began to say so, then the answer broke: the secret never
    arrived. The list says the token exists, and the advice (delete, create again) works."""
    with header_adding_server(sandbox.url, "POST", TOKENS, NON_ASCII_NAME) as url:
        result = cli("pat", "create", "deploy", env={**cli.as_admin(), "IGGY_URL": url})
    assert (result.code, result.stdout) == (9, "")
    assert result.stderr.splitlines() == [
        f"error: {url} sent no usable answer to creating 'deploy' ({NOT_HTTP}, after it began "
        "to answer HTTP 200): a token named 'deploy' now exists on the server, but its secret "
        "was not received",
        "hint: delete it (`iggy pat delete deploy`) and create it again",
    ]
    assert [line.split()[:2] for line in access_log] == [
        ["POST", "/users/login"],
        ["POST", TOKENS],
        ["GET", TOKENS],
        ["DELETE", "/users/logout"],
    ]
    assert list(server_tokens(sandbox.url)) == ["deploy"] and cli.keyring() == {}
    assert cli("pat", "delete", "deploy", "--yes", env=cli.as_admin()).code == 0
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0


def test_no_proxy_names_an_ipv6_host_in_brackets(tmp_path: Path) -> None:
    """`[::1]`, as curl and NO_PROXY lists in the wild write it (httpx 0.28 cannot even
    build a client with it)."""
    with SandboxServer(host="::1", port=0, on_token_minted=MINTED.add).start() as server:
        ipv6 = Cli(tmp_path, server.url)
        env = {**ipv6.as_admin(), "HTTP_PROXY": closed_port_url(), "NO_PROXY": "[::1]"}
        result = ipv6("pat", "list", "-o", "json", env=env)
    assert (result.code, result.stdout, result.stderr) == (0, "[]\n", "")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/users/login", 307), ("POST", "/users/login", 308), ("GET", TOKENS, 302)],
    ids=["login-307", "login-308", "bearer-302"],
)
def test_a_redirect_is_not_followed_with_the_credentials(
    cli: Cli, sandbox: SandboxServer, method: str, path: str, status: int
) -> None:
    """A password or a bearer goes to the server named, and nowhere a redirect points."""
    elsewhere: list[str] = []
    with new_sandbox(access_log=elsewhere.append) as other:
        target = f"{other.url}{path}"
        sandbox.answer_with(method, path, status, headers={"Location": target})
        result = cli("pat", "list", env=cli.as_admin())
    assert (result.code, result.stdout) == (6, "")
    assert result.stderr.splitlines() == [
        f"error: {sandbox.url} redirects to {target} (HTTP {status}); not followed",
        "hint: use the final address with --url",
    ]
    assert elsewhere == []


def test_https_to_a_plain_http_port_says_so(cli: Cli, sandbox: SandboxServer) -> None:
    url = sandbox.url.replace("http://", "https://")
    result = cli("pat", "list", env={**cli.as_admin(), "IGGY_URL": url})
    assert result.code == 6
    assert result.stderr.splitlines() == [
        f"error: {url} does not speak TLS",
        f"hint: did you mean {sandbox.url}?",
    ]


# Proxies, end to end (what each variable means is tested in-process, below).
# `{proxy}` is the recording proxy, `{dead}` a closed port, `{port}` the sandbox's.
@pytest.mark.parametrize(
    ("env", "through_proxy"),
    [
        ({"HTTP_PROXY": "{proxy}"}, True),
        ({"http_proxy": "{proxy}", "HTTP_PROXY": "{dead}"}, True),
        ({"ALL_PROXY": "{proxy_without_scheme}"}, True),
        ({"HTTP_PROXY": "{dead}", "no_proxy": "example.com, 127.0.0.1:{port}"}, False),
        ({"HTTPS_PROXY": "::::"}, False),
    ],
    ids=[
        "http-proxy",
        "lower-case-wins",
        "all-proxy-without-scheme",
        "no-proxy",
        "unused-variable-not-read",
    ],
)
def test_http_through_a_proxy(
    cli: Cli,
    sandbox: SandboxServer,
    access_log: list[str],
    env: dict[str, str],
    through_proxy: bool,
) -> None:
    with forwarding_proxy() as proxy:
        names = {
            "proxy": proxy.url,
            "proxy_without_scheme": proxy.url.removeprefix("http://"),
            "dead": closed_port_url(),
            "port": port_of(sandbox.url),
        }
        filled: dict[str, str | None] = {name: value.format(**names) for name, value in env.items()}
        result = cli("pat", "list", "-o", "json", env={**cli.as_admin(), **filled})
    assert (result.code, result.stdout, result.stderr) == (0, "[]\n", "")
    assert len(access_log) == 3  # login, list, logout
    in_absolute_form = []
    for line in access_log:
        method, path, _ = line.split()
        in_absolute_form.append(f"{method} {sandbox.url}{path}")
    assert proxy.seen == (in_absolute_form if through_proxy else [])
    assert proxy.credentials == [None] * len(proxy.seen)


def test_http_proxy_credentials_go_to_the_proxy(cli: Cli, access_log: list[str]) -> None:
    required = "Basic " + base64.b64encode(b"robot:secret").decode()
    with forwarding_proxy(require=required) as proxy:
        authority = proxy.url.removeprefix("http://")
        env = {**cli.as_admin(), "HTTP_PROXY": f"http://robot:secret@{authority}"}
        result = cli("pat", "list", "-o", "json", env=env)
    assert (result.code, result.stdout, result.stderr) == (0, "[]\n", "")
    assert len(access_log) == 3
    assert proxy.credentials == [required] * 3


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_sandbox(certificate: tuple[Path, Path], access_log: list[str]) -> Iterator[SandboxServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with new_sandbox(tls=context, access_log=access_log.append) as server:
        yield server


def test_https_through_a_connect_tunnel_with_proxy_credentials(
    cli: Cli,
    https_sandbox: SandboxServer,
    certificate: tuple[Path, Path],
    access_log: list[str],
) -> None:
    """The credentials of the proxy URL go to the proxy, in the CONNECT; TLS runs to the
    server itself inside the tunnel, so the proxy sees only where it leads."""
    required = "Basic " + base64.b64encode(b"robot:p@ss word").decode()
    with forwarding_proxy(require=required) as proxy:
        authority = proxy.url.removeprefix("http://")
        env = {
            **cli.as_admin(),
            "IGGY_URL": https_sandbox.url,
            "HTTPS_PROXY": f"http://robot:p%40ss%20word@{authority}",
        }
        result = cli("--ca-cert", str(certificate[0]), "pat", "list", "-o", "json", env=env)
    assert (result.code, result.stdout, result.stderr) == (0, "[]\n", "")
    assert len(access_log) == 3
    assert proxy.seen == [f"CONNECT 127.0.0.1:{port_of(https_sandbox.url)}"]  # kept alive
    assert proxy.credentials == [required]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_that_wants_credentials(cli: Cli, sandbox: SandboxServer, scheme: str) -> None:
    variable = f"{scheme.upper()}_PROXY"
    url = sandbox.url if scheme == "http" else closed_port_url().replace("http", "https", 1)
    with forwarding_proxy(require="Basic c2VjcmV0") as proxy:
        result = cli("pat", "list", env={**cli.as_admin(), "IGGY_URL": url, variable: proxy.url})
    assert result.code == 6
    assert result.stderr.splitlines() == [
        f"error: the proxy between here and {url} asks for credentials (HTTP 407)",
        f"hint: put them in {variable} as http://USER:PASSWORD@HOST:PORT",
    ]


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("HTTP_PROXY", "::::", "it names no valid host"),
        (
            "http_proxy",
            "socks5://127.0.0.1:1080",
            "only http:// proxies are supported, not socks5://",
        ),
    ],
    ids=["colons", "socks"],
)
def test_a_bad_proxy_setting_is_a_usage_error(
    cli: Cli, access_log: list[str], variable: str, value: str, reason: str
) -> None:
    result = cli("pat", "list", env={**cli.as_admin(), variable: value})
    assert result.code == 2
    assert result.stderr.splitlines() == [
        f"error: {variable} is not a proxy this tool can use: {reason}",
        f"hint: set {variable} to http://HOST:PORT, or unset it",
    ]
    assert access_log == []  # nothing was sent


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("https://127.0.0.1:3128", "only http:// proxies are supported, not https://"),
        ("http://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
        ("http://127.0.0.1:0", "the port must be a number from 1 to 65535"),
        ("127.0.0.1:proxy", "the port must be a number from 1 to 65535"),
        ("http://robot:secret@:3128", "it names no valid host"),
        ("http://pro xy:3128", "it names no valid host"),
        ("http://[::1:3128", "it is not a URL"),
    ],
    ids=["https-proxy", "port-range", "port-zero", "port-text", "no-host", "space", "bad-ipv6"],
)
def test_proxy_values_that_cannot_work(value: str, reason: str) -> None:
    with pytest.raises(ProxySettingError) as caught:
        proxy_for("http", "iggy.example", 80, {"HTTP_PROXY": value})
    assert str(caught.value) == f"HTTP_PROXY is not a proxy this tool can use: {reason}"
    assert caught.value.variable == "HTTP_PROXY"


@pytest.mark.parametrize(
    ("scheme", "host", "environ", "expected"),
    [
        ("http", "iggy.example", {}, None),
        ("http", "iggy.example", {"HTTP_PROXY": "p:3128"}, Proxy("p", 3128, "HTTP_PROXY")),
        ("http", "iggy.example", {"HTTP_PROXY": "http://p"}, Proxy("p", 80, "HTTP_PROXY")),
        ("http", "iggy.example", {"http_proxy": "", "HTTP_PROXY": "p:1"}, None),
        (
            "http",
            "iggy.example",
            {"http_proxy": "", "HTTP_PROXY": "p:1", "ALL_PROXY": "q:2"},
            Proxy("q", 2, "ALL_PROXY"),
        ),
        ("http", "iggy.example", {"HTTP_PROXY": "p:1", "REQUEST_METHOD": "GET"}, None),
        (
            "http",
            "iggy.example",
            {"http_proxy": "p:1", "REQUEST_METHOD": "GET"},
            Proxy("p", 1, "http_proxy"),
        ),
        ("https", "iggy.example", {"HTTP_PROXY": "p:1"}, None),
        ("https", "iggy.example", {"HTTPS_PROXY": "p:1"}, Proxy("p", 1, "HTTPS_PROXY")),
        ("http", "iggy.example", {"HTTP_PROXY": "http://[::1]:8"}, Proxy("::1", 8, "HTTP_PROXY")),
        ("http", "api.iggy.example", {"HTTP_PROXY": "p:1", "NO_PROXY": ".iggy.example"}, None),
        ("http", "iggy.example", {"HTTP_PROXY": "p:1", "NO_PROXY": "iggy.example:80"}, None),
        ("http", "IGGY.example", {"HTTP_PROXY": "p:1", "NO_PROXY": "iggy.EXAMPLE"}, None),
        (
            "http",
            "iggy.example",
            {"HTTP_PROXY": "p:1", "NO_PROXY": "a.example, iggy.example"},
            None,
        ),
        ("http", "iggy.example", {"HTTP_PROXY": "p:1", "NO_PROXY": "*"}, None),
        ("http", "::1", {"HTTP_PROXY": "p:1", "NO_PROXY": "[::1]"}, None),
        ("http", "::1", {"HTTP_PROXY": "p:1", "NO_PROXY": "::1"}, None),
        ("http", "::1", {"HTTP_PROXY": "p:1", "NO_PROXY": "[::1]:80"}, None),
        (
            "http",
            "::1",
            {"HTTP_PROXY": "p:1", "NO_PROXY": "[::1]:8080"},
            Proxy("p", 1, "HTTP_PROXY"),
        ),
        (
            "http",
            "notiggy.example",
            {"HTTP_PROXY": "p:1", "NO_PROXY": "iggy.example"},
            Proxy("p", 1, "HTTP_PROXY"),
        ),
        (
            "http",
            "iggy.example",
            {"HTTP_PROXY": "p:1", "no_proxy": "", "NO_PROXY": "*"},
            Proxy("p", 1, "HTTP_PROXY"),
        ),
    ],
    ids=[
        "none",
        "bare-host-port",
        "default-port-80",
        "empty-lower-case-unsets",
        "then-all-proxy",
        "cgi-ignores-upper-case",
        "cgi-keeps-lower-case",
        "http-proxy-not-for-https",
        "https-proxy",
        "ipv6-proxy",
        "no-proxy-suffix",
        "no-proxy-host-port",
        "no-proxy-any-case",
        "no-proxy-list",
        "no-proxy-star",
        "no-proxy-ipv6-in-brackets",
        "no-proxy-ipv6-bare",
        "no-proxy-ipv6-port",
        "no-proxy-ipv6-other-port",
        "no-proxy-not-a-substring",
        "no-proxy-lower-case-wins",
    ],
)
def test_proxy_for_reads_the_environment_as_urllib_does(
    scheme: str, host: str, environ: dict[str, str], expected: Proxy | None
) -> None:
    port = 443 if scheme == "https" else 80
    assert proxy_for(scheme, host, port, environ) == expected


def test_proxy_credentials_are_decoded_and_never_shown() -> None:
    proxy = proxy_for("http", "h", 80, {"HTTP_PROXY": "http://me:p%40ss@p:1"})
    assert proxy is not None
    assert proxy.authorization == "Basic " + base64.b64encode(b"me:p@ss").decode()
    assert "p@ss" not in repr(proxy) and "cEBzcw" not in repr(proxy)
    with pytest.raises(ProxySettingError) as caught:
        proxy_for("http", "h", 80, {"HTTP_PROXY": "http://me:p%40ss@p:0"})
    assert "p%40ss" not in str(caught.value)


# Kept-alive connections, in-process against a server that drops them.
def test_a_dropped_keep_alive_connection_is_retried_for_a_get() -> None:
    events: list[str] = []
    with dropping_server(events) as url, IggyClient(url, timeout=5) as client:
        client.ping()
        client.ping()
    assert events == [
        "connection 1: GET /ping answered",
        "connection 1: GET /ping dropped",
        "connection 2: GET /ping answered",
    ]


def test_a_dropped_keep_alive_connection_is_not_retried_for_a_post() -> None:
    """A repeated POST could mint a second token; the caller hears of the failure instead."""
    events: list[str] = []
    with dropping_server(events) as url, IggyClient(url, timeout=5) as client:
        client.login_with_password("iggy", "iggy")
        with pytest.raises(errors.ServerUnavailable, match="the server closed the connection"):
            client.login_with_password("iggy", "iggy")
    assert events == [
        "connection 1: POST /users/login answered",
        "connection 1: POST /users/login dropped",
    ]


def test_a_connection_closed_while_idle_is_not_reused() -> None:
    """Closed between requests (the server's idle timeout), it is seen before sending, so
    even a POST goes out again, once, on a new connection."""
    events: list[str] = []
    with (
        dropping_server(events, close_after_answer=True) as url,
        IggyClient(url, timeout=5) as client,
    ):
        client.login_with_password("iggy", "iggy")
        for _ in range(100):  # the server closes just after answering
            if "connection 1: closed" in events:
                break
            time.sleep(0.05)
        client.login_with_password("iggy", "iggy")
    assert events[:3] == [  # connection 2 closes too, at its own pace
        "connection 1: POST /users/login answered",
        "connection 1: closed",
        "connection 2: POST /users/login answered",
    ]


def test_a_header_http_cannot_carry_is_refused_without_quoting_it() -> None:
    with (
        identity_server("jwt") as url,
        httpx.Client(transport=Transport(5)) as http,
        pytest.raises(httpx.LocalProtocolError) as caught,
    ):
        http.get(url, headers={"X-Secret": "s3cret\r\nX-Injected: 1"})
    assert str(caught.value) == "the X-Secret header holds characters HTTP does not allow"

"""The thin Iggy HTTP client: one method per endpoint, typed results, errors from errors.py.

With transport.py, the only module that imports httpx. Facts it relies on, from the Iggy source
at tag server-0.8.0 (github.com/apache/iggy; the sandbox cites each in detail): create answers
200 with `{"token"}`, delete and logout answer 204 with no body (core/server/src/http/
personal_access_tokens.rs, users.rs); `expiry` on create is in microseconds
(core/common/src/utils/expiry.rs); a stable server answers a missing or bad bearer with 401 and
an empty body (core/server/src/http/jwt/middleware.rs); error bodies are `{"id", "code",
"reason", "field"}` (core/server/src/http/error.rs), but a proxy may answer with HTML or text.
Redirects are never followed, so the bearer cannot travel to another host. Requests go through
transport.py (httpcore, with the deadline and the size caps), imported when a client is built,
to the proxy environment.py reads; its failures become ServerUnavailable here.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeGuard
from urllib.parse import quote

import httpx

from iggy_cli import errors
from iggy_cli.models import Identity, MintedToken, PersonalAccessToken, datetime_from_us
from iggy_cli.secrets.redaction import MASK, mask_json, remember_json, shorten
from iggy_cli.server.dialect import (
    EVIDENCE,
    OLD_TOKENS_PREFIX,
    PROBE_EVIDENCE,
    DialectMismatch,
    Knowledge,
    check_name,
    describe,
    kept_as_given,
    normalize_name,
    wire_expiry,
)

if TYPE_CHECKING:
    import ssl

    from iggy_cli.server.environment import Proxy

# Error ids of the Iggy server (core/common/src/error/iggy_error.rs), by what they mean to us.
_ERROR_CLASSES: dict[int, type[errors.IggyCliError]] = {
    20: errors.NotFound,
    21: errors.NotFound,  # cannot_load_resource: a missing token up to 0.0.45
    40: errors.AuthenticationError,
    41: errors.AuthenticationError,
    42: errors.AuthenticationError,
    43: errors.AuthenticationError,  # invalid_username, up to 0.4.140
    44: errors.AuthenticationError,  # invalid_password, up to 0.4.140
    47: errors.AuthenticationError,
    50: errors.InvalidTokenName,
    51: errors.TokenAlreadyExists,
    52: errors.TokenLimitReached,
    53: errors.AuthenticationError,
    54: errors.TokenExpired,
    77: errors.AuthenticationError,
    78: errors.AuthenticationError,
}
# How much of a server's text an error line or `-v` shows; each is masked before it is cut.
_SNIPPET_CHARS = 120
_REASON_CHARS = 480
_VERBOSE_BODY_CHARS = 2000
# Larger bodies are shown by `-v` as text, without parsing them as JSON first.
_VERBOSE_JSON_BYTES = 1 << 20
# A JWT we keep and send back after "Bearer ": visible ASCII only, so the header is one HTTP
# allows (transport.py refuses any other without quoting it).
_JWT_CHARS = re.compile(r"[\x21-\x7e]+")
_NOT_IGGY_HINT = "check --url: it must point at the Iggy HTTP API"
# Edge's 503s (core/server/src/http/error.rs at server-0.9.0-edge.5): 58 TransientNotAccepted
# "asserts nothing was committed", so any request may be sent again; 57 TransientNotCommitted
# has an unknown outcome (core/server/src/auth.rs), so only an idempotent one may.
NOT_COMMITTED, NOT_ACCEPTED = 57, 58
# Failures that happen before a request can have reached the server; after any other, it
# may have been carried out with its answer lost (errors.AnswerLost).
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.PoolTimeout,
)
# The shortest wait between two tries, whatever Retry-After says (0 would spin).
_MIN_RETRY_WAIT_S = 0.1
# "always": idempotent, sent again after any busy answer; "not-accepted": only after 58.
Retry = Literal["always", "not-accepted"]


class IggyClient:
    """A session with one Iggy server. Login methods keep the JWT for the calls that follow.

    It speaks every server generation (dialect.py): `dialect` is what is known of this server
    (shared by the clients of one run), narrowed by each telling answer; `on_learned` is
    called when it changed, to remember it. Idempotent requests answered 503 with
    Retry-After (a busy edge server) are sent again after the wait, within one deadline of
    `timeout` seconds for all the tries."""

    def __init__(
        self,
        url: str,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        log: Callable[[str], None] | None = None,
        ca_cert: str | None = None,
        verify_tls: bool = True,
        dialect: Knowledge | None = None,
        on_learned: Callable[[Knowledge], None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """`environ`: the run's environment, where the proxy and CA settings are read (None,
        outside a run, is the process's)."""
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._log = log
        self.dialect = dialect if dialect is not None else Knowledge()
        self._on_learned = on_learned
        # Only an https URL needs a TLS context: building one loads a CA bundle.
        environ = os.environ if environ is None else environ
        tls = _tls(verify_tls, ca_cert, environ) if self.url.startswith("https://") else None
        self._proxy: Proxy | None = None
        if transport is None:
            from iggy_cli.server.transport import Transport

            self._proxy = _proxy_for(self.url, environ)
            transport = Transport(timeout, tls, self._proxy)
            if log is not None and self._proxy is not None:
                log(f"* through the proxy {self._proxy.address} ({self._proxy.variable})")
        # trust_env=False: the environment's proxies are read once, above, not again by httpx.
        self._http = httpx.Client(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )
        self._access_token: str | None = None

    def __enter__(self) -> IggyClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def logged_in(self) -> bool:
        return self._access_token is not None

    def ping(self) -> None:
        self._checked(self._exchange("GET", "/ping", authenticated=False))

    def login_with_password(self, username: str, password: str) -> Identity:
        body = {"username": username, "password": password}
        response = self._send("POST", "/users/login", body=body, authenticated=False)
        return self._keep_identity(self._checked(response))

    def login_with_token(self, token: str) -> Identity:
        response = self._pat_call("POST", "/login", body={"token": token}, authenticated=False)
        return self._keep_identity(self._checked(response))

    def logout(self) -> None:
        """Revoke the JWT on the server; the client is logged out even if that fails.
        `DELETE /users/logout`, or `POST` with `{}` up to 0.2.16: one answers 405 to the other."""
        try:
            methods = self.dialect.logout_methods()
            for index, method in enumerate(methods):
                body: dict[str, Any] | None = {} if method == "POST" else None
                response = self._send(method, "/users/logout", body=body)
                if response.status_code == 405 and index + 1 < len(methods):
                    continue
                if response.status_code != 405:
                    self.dialect.learn_route(logout_method=method)
                    self._remember()
                self._checked(response)
                return
        finally:
            self._access_token = None

    def list_tokens(self) -> list[PersonalAccessToken]:
        """The caller's tokens; the expiry field is `expiry` up to 0.2.24 and `expiry_at`
        after, microseconds since the epoch in both."""
        payload = self._json(self._checked(self._pat_call("GET", "")))
        if not isinstance(payload, list):
            raise self._unexpected("a list of tokens")
        tokens, fields = [], set()
        for item in payload:
            if not isinstance(item, dict):
                raise self._unexpected("a list of tokens")
            field = "expiry_at" if "expiry_at" in item else "expiry"
            name, expiry_at = item.get("name"), item.get(field)
            if not isinstance(name, str) or not (expiry_at is None or _is_int(expiry_at)):
                raise self._unexpected("a list of tokens")
            if field in item:
                fields.add(field)
            tokens.append(PersonalAccessToken(name=name, expiry_at_us=expiry_at))
        if len(fields) == 1:
            self._learn("list-expiry-at" if "expiry_at" in fields else "list-expiry")
        if any(kept_as_given(token.name) for token in tokens):
            self._learn("kept-name")
        return tokens

    def create_token(self, name: str, expiry_us: int) -> MintedToken:
        """Mint a token; `expiry_us` is a lifetime in microseconds, NEVER_EXPIRES_US or
        SERVER_DEFAULT_US, sent in the server's unit (UsageError, before anything is sent,
        for what it cannot express). The MintedToken carries the name the server created.
        OutcomeUnknown: the server answered "not committed" (57), so the token may exist;
        AnswerLost: no usable answer came back (the token may exist too)."""
        check_name(name, self.dialect.renames)
        in_seconds = self.dialect.expiry_in_seconds
        if in_seconds is None:
            # Never after a sign-in, whose answer tells seconds from microseconds.
            raise errors.AuthenticationError("not logged in to the server")
        body = {"name": name, "expiry": wire_expiry(expiry_us, in_seconds)}
        response = self._pat_call("POST", "", body=body, retry="not-accepted")
        if response.status_code == 503 and _error_id(response) == NOT_COMMITTED:
            raise errors.OutcomeUnknown(
                f"{self.url} did not confirm creating {name!r} (HTTP 503, error 57: not "
                "committed, may still commit)"
            )
        payload = _json_or_none(self._checked(response))
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            # The server said yes, so the token exists; only its secret is missing.
            kind = response.headers.get("content-type", "no content type")
            why = f"HTTP {response.status_code} without the new token ({kind})"
            raise errors.AnswerLost(f"{self.url} sent no usable answer: {why}", why=why)
        created = self._created_name(name)
        return MintedToken(name=created, token=token, requested_name=name)

    def delete_token(self, name: str) -> str:
        """Delete a token; returns the name the server deleted, which up to 0.4.140 is the
        one `name` normalises to (`Deploy Key` deletes `deploy.key`)."""
        if name in (".", ".."):  # a dot segment: httpx would resolve it to another path
            raise errors.UsageError(f"{name!r} cannot be a token name")
        self._checked(self._pat_call("DELETE", f"/{quote(name, safe='')}"))
        normalized = normalize_name(name)
        return normalized if normalized != name and self.renames() else name

    def server_version(self) -> str | None:
        """The release the server says it is (`GET /stats`, `iggy_server_version`), or None
        when it does not say: no version before 0.4.112 (not asked of a server known to be
        that old), or the caller lacks the read_servers permission (403). Whatever else it
        answers is not believed."""
        from iggy_cli.server.advisories import UNNAMED, release

        if self.dialect.candidates <= UNNAMED:
            return None
        response = self._send("GET", "/stats")
        if not response.is_success:
            return None
        payload = _json_or_none(response)
        return release(payload.get("iggy_server_version") if isinstance(payload, dict) else None)

    def renames(self) -> bool:
        """Whether the server stores token names normalised (up to 0.4.140); asked of the
        server (probe_generation) when its answers so far have not told."""
        if self.dialect.renames is None:
            self.probe_generation()
        return bool(self.dialect.renames)

    def probe_generation(self) -> str | None:
        """Sign in with an empty name and password, which every server refuses in its own
        way (dialect.EVIDENCE); learns from the refusal and returns its evidence code. No
        account is touched: no user has an empty name."""
        body = {"username": "", "password": ""}
        response = self._send("POST", "/users/login", body=body, authenticated=False)
        code = PROBE_EVIDENCE.get(_error_id(response) or -1)
        if response.status_code in (400, 401) and code is not None:
            self._learn(code)
            return code
        return None

    # Dialects

    def _created_name(self, name: str) -> str:
        """The name the server stored for `name`: as given, or normalised (up to 0.4.140).
        Asked of the server itself when the two differ, since what was remembered about
        it may be out of date; a token that exists is never dropped over it."""
        normalized = normalize_name(name)
        if normalized == name:
            return name
        likeliest = normalized if self.dialect.renames else name
        try:
            names = {token.name for token in self.list_tokens()}
        except errors.IggyCliError:
            return likeliest
        if name in names:
            return name
        if normalized in names:
            self._learn("renamed")
            return normalized
        return likeliest

    def _pat_call(
        self,
        method: str,
        tail: str,
        *,
        body: dict[str, Any] | None = None,
        authenticated: bool = True,
        retry: Retry = "always",
    ) -> httpx.Response:
        """A request to the token routes: under /personal-access-tokens, or /pat on
        0.0.40-0.0.41, where the other prefix is no route (a bare 404, or the JWT
        middleware's bare 401 for a path it does not know as public)."""
        prefixes = self.dialect.pat_prefixes()
        for index, prefix in enumerate(prefixes):
            response = self._send(
                method,
                prefix + tail,
                body=body,
                authenticated=authenticated,
                retry=retry,
            )
            missing = _route_missing(response, authenticated)
            if missing and index + 1 < len(prefixes):
                continue
            if not missing and len(prefixes) > 1:
                if prefix == OLD_TOKENS_PREFIX:
                    self._learn("pat-route")
                self.dialect.learn_route(pat_prefix=prefix)
                self._remember()
            return response
        raise AssertionError("pat_prefixes is never empty")

    def _learn(self, code: str) -> None:
        """Record one piece of evidence. One that contradicts --server-dialect stops a
        sign-in, the moment before anything could be minted in the wrong unit; later (a token
        list, say, perhaps right after a create) the server's own answer is simply believed
        where it matters, such as the name it created."""
        try:
            self.dialect.learn(code, _now())
        except DialectMismatch as mismatch:
            fits, words = EVIDENCE[mismatch.evidence]
            given = self.dialect.override_origin or "--server-dialect"
            found = f"{given} says {mismatch.override}, but {self.url} is {describe(fits)}: {words}"
            if code.startswith("login-"):
                self._remember()
                raise errors.UsageError(
                    found, hint="leave --server-dialect out (or give auto) to let the tool tell"
                ) from None
            if self._log is not None:
                self._log(f"* {found}")
        self._remember()

    def _remember(self) -> None:
        if self.dialect.changed and self._on_learned is not None:
            self._on_learned(self.dialect)

    def _keep_identity(self, response: httpx.Response) -> Identity:
        """IdentityInfo in each generation's shape (iggy/src/models/identity_info.rs at
        0.0.40, 0.0.44 and 0.0.51, sdk/src/models/identity_info.rs at server-0.3.0)."""
        payload = self._json(response)
        parts = _identity_parts(payload)
        if parts is None:
            raise self._unexpected("an identity")
        code, user_id, token, expiry = parts
        self._learn(code)
        self._access_token = token
        return Identity(
            user_id=user_id,
            access_token=token,
            access_token_expires_at=None
            if expiry is None
            else datetime_from_us(expiry * 1_000_000),
        )

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        authenticated: bool = True,
        retry: Retry = "always",
    ) -> httpx.Response:
        """One request, sent again while the server answers 503 with Retry-After and the
        request may be repeated, all within one deadline; returns the last answer."""
        deadline = time.monotonic() + self._timeout
        tries = 0
        while True:
            tries += 1
            response = self._exchange(
                method,
                path,
                body=body,
                authenticated=authenticated,
                deadline=deadline,
            )
            if response.status_code != 503:
                return response
            error_id = _error_id(response)
            if error_id in (NOT_COMMITTED, NOT_ACCEPTED):
                self._learn("busy")
            wait = _retry_after(response)
            repeatable = retry == "always" or (retry == "not-accepted" and error_id == NOT_ACCEPTED)
            if wait is None or not repeatable:
                return response
            asked, wait = wait, max(wait, _MIN_RETRY_WAIT_S)
            if time.monotonic() + wait >= deadline:
                # Said as it is: a wait it asks for that is longer than the time allowed, or
                # else (Retry-After: 0, a short one) the time running out over many tries.
                busy = f"{self.url} is busy (HTTP 503)"
                if asked >= self._timeout:
                    busy += f" and asks to wait {asked:g} s, past the {self._timeout:g} s"
                    busy += " this request may take"
                else:
                    busy += f" after {tries} tries within the {self._timeout:g} s allowed"
                raise errors.ServerBusy(
                    busy, hint="try again later, or allow more time with --timeout SECONDS"
                )
            if self._log is not None:
                self._log(f"* busy: {method} {path} again in {wait:g} s (Retry-After)")
            time.sleep(wait)

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        raise self._error_for(response)

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        authenticated: bool = True,
        deadline: float | None = None,
    ) -> httpx.Response:
        """Send one request; any answer is returned, a transport failure raised."""
        remember_json(body)  # a password or token about to be sent is a secret in play
        headers = {}
        if authenticated:
            if self._access_token is None:
                raise errors.AuthenticationError("not logged in to the server")
            headers["Authorization"] = f"Bearer {self._access_token}"
        from iggy_cli.server.transport import ANSWER_STATUS, DEADLINE

        started = time.monotonic()
        # The transport ends the request by this deadline (one for all the tries of _send).
        extensions = {} if deadline is None else {DEADLINE: deadline}
        request = self._http.build_request(
            method, path, json=body, headers=headers, extensions=extensions
        )
        try:
            response = self._http.send(request)
        except httpx.TransportError as error:
            failure = self._transport_failure(error)
            status = request.extensions.get(ANSWER_STATUS)
            if isinstance(failure, errors.AnswerLost) and isinstance(status, int):
                # The server had begun to answer: with a 2xx, what it did stands.
                failure.why += f", after it began to answer HTTP {status}"
            raise failure from None
        if self._log is not None:
            self._log_exchange(response, time.monotonic() - started)
        return response

    def _transport_failure(self, error: httpx.TransportError) -> errors.IggyCliError:
        from iggy_cli.server.transport import NotTls, ProxyRefused

        via = f" through the proxy {self._proxy.address}" if self._proxy else ""
        unreachable = "is the server running? Check --url or IGGY_URL"
        if self._proxy is not None:
            unreachable = f"check the proxy in {self._proxy.variable}, or bypass it with NO_PROXY"
        if isinstance(error, httpx.TimeoutException):
            message = f"{self.url} did not answer within {self._timeout:g} s{via}"
            hint = "check the server, or allow more time with --timeout SECONDS"
            if isinstance(error, _NOT_SENT):
                return errors.ServerUnavailable(message, hint=hint)
            why = f"no answer within {self._timeout:g} s"
            return errors.AnswerLost(message, why=why, hint=hint)
        if not isinstance(error, _NOT_SENT):
            return self._answer_lost(error, via)
        if isinstance(error, NotTls):
            plain = "http://" + self.url.removeprefix("https://")
            return errors.ServerUnavailable(
                f"{self.url} does not speak TLS", hint=f"did you mean {plain}?"
            )
        if isinstance(error, ProxyRefused) and error.status == 407:
            return self._proxy_wants_credentials()
        if "CERTIFICATE_VERIFY_FAILED" in str(error):
            return errors.ServerUnavailable(
                f"the TLS certificate of {self.url} could not be verified",
                hint="trust its CA with --ca-cert FILE (or, on a test server, --insecure)",
            )
        return errors.ServerUnavailable(
            f"cannot reach {self.url}{via}: {_transport_reason(error)}", hint=unreachable
        )

    def _answer_lost(self, error: httpx.TransportError, via: str) -> errors.AnswerLost:
        """A failure after the request may have gone out: the server may have acted on it."""
        from iggy_cli.server.transport import AnswerTooLarge

        if isinstance(error, AnswerTooLarge):
            return errors.AnswerLost(
                f"{self.url} sent {error}; the rest was not read",
                why=f"it sent {error}",
                hint=_NOT_IGGY_HINT,
            )
        why = shorten(_transport_reason(error), _SNIPPET_CHARS)
        return errors.AnswerLost(
            f"{self.url}{via} sent no usable answer: {why}",
            why=why,
            hint="try again; if it keeps happening, check the server (and any proxy on the way)",
        )

    def _proxy_wants_credentials(self) -> errors.IggyCliError:
        variable = self._proxy.variable if self._proxy else "HTTP_PROXY"
        return errors.ServerUnavailable(
            f"the proxy between here and {self.url} asks for credentials (HTTP 407)",
            hint=f"put them in {variable} as http://USER:PASSWORD@HOST:PORT",
        )

    def _log_exchange(self, response: httpx.Response, seconds: float) -> None:
        """`-v`: one exchange on stderr, with every credential masked (redaction.py)."""
        assert self._log is not None
        request = response.request
        self._log(f"> {request.method} {request.url}")
        if "authorization" in request.headers:
            scheme = request.headers["authorization"].split(" ", 1)[0]
            self._log(f"> authorization: {scheme} {MASK}")
        if request.content:
            self._log(f"> {_masked_body(request.content)}")
        self._log(f"< {response.status_code} {response.reason_phrase} ({seconds * 1000:.0f} ms)")
        if response.content:
            self._log(f"< {_masked_body(response.content)}")

    def _error_for(self, response: httpx.Response) -> Exception:
        status = response.status_code
        body = _json_or_none(response)
        if isinstance(body, dict) and _is_int(body.get("id")):
            reason = shorten(str(body.get("reason") or body.get("code") or ""), _REASON_CHARS)
            error_class = _ERROR_CLASSES.get(body["id"])
            if error_class is None:
                error_class = errors.ServerUnavailable if status >= 500 else errors.ServerRejected
            return error_class(f"server: {reason} (error {body['id']}, HTTP {status})")
        snippet = _snippet(response)
        if status == 401:
            return errors.AuthenticationError("the server did not accept the credentials (401)")
        if status == 403:
            return errors.AuthenticationError("the server refused access (403 Forbidden)")
        if status == 407:
            return self._proxy_wants_credentials()
        if response.is_redirect:
            location = response.headers.get("location", "?")
            return errors.ServerUnavailable(
                f"{self.url} redirects to {location} (HTTP {status}); not followed",
                hint="use the final address with --url",
            )
        if 400 <= status < 500 and status != 404:
            return errors.ServerRejected(f"server rejected the request (HTTP {status}): {snippet}")
        return errors.ServerUnavailable(
            f"{self.url} is not answering as an Iggy server (HTTP {status}: {snippet})",
            hint=_NOT_IGGY_HINT,
        )

    def _json(self, response: httpx.Response) -> Any:
        body = _json_or_none(response)
        if body is None:
            raise self._unexpected("JSON", response)
        return body

    def _unexpected(self, wanted: str, response: httpx.Response | None = None) -> Exception:
        detail = f" ({response.headers.get('content-type', 'no content type')})" if response else ""
        return errors.ServerUnavailable(
            f"{self.url} answered something other than {wanted}{detail}; is it an Iggy server?",
            hint=_NOT_IGGY_HINT,
        )


def _tls(verify: bool, ca_cert: str | None, environ: Mapping[str, str]) -> ssl.SSLContext:
    from iggy_cli.server.environment import tls_context

    try:
        return tls_context(verify, ca_cert, environ)
    except OSError as error:  # ssl.SSLError is one
        raise errors.UsageError(f"cannot use --ca-cert {ca_cert}: {error}") from None


def _proxy_for(url: str, environ: Mapping[str, str]) -> Proxy | None:
    """The proxy the environment names for `url`; a setting that cannot work is a usage error."""
    from iggy_cli.server.environment import ProxySettingError, proxy_for

    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        return proxy_for(parsed.scheme, parsed.host, port, environ)
    except ProxySettingError as error:
        raise errors.UsageError(
            str(error), hint=f"set {error.variable} to http://HOST:PORT, or unset it"
        ) from None


def _masked_body(content: bytes) -> str:
    """A body for `-v`: secret keys and known secrets masked, then capped."""
    total = f" ({len(content)} bytes)"
    text = content.decode("utf-8", "replace")
    if len(content) <= _VERBOSE_JSON_BYTES:
        try:
            masked = json.dumps(mask_json(json.loads(text)), ensure_ascii=False)
            return shorten(masked, _VERBOSE_BODY_CHARS, total=total)
        except ValueError:
            pass
    return shorten(" ".join(text.split()), _VERBOSE_BODY_CHARS, total=total)


def _json_or_none(response: httpx.Response) -> Any:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    remember_json(body)  # tokens and JWTs a server hands out are secrets from now on
    return body


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return shorten(text, _SNIPPET_CHARS) if text else "empty body"


def _error_id(response: httpx.Response) -> int | None:
    body = _json_or_none(response)
    found = body.get("id") if isinstance(body, dict) else None
    return found if _is_int(found) else None


def _route_missing(response: httpx.Response, authenticated: bool) -> bool:
    """No such route: a 404 that is not an Iggy error, or (for a sign-in, which sends no
    bearer) the bare 401 the JWT middleware gives a path it does not know as public."""
    if response.status_code == 404:
        return _error_id(response) is None
    return not authenticated and response.status_code == 401 and not response.content


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (a number, or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    from datetime import UTC, datetime

    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _identity_parts(payload: Any) -> tuple[str, int, str, int | None] | None:
    """(evidence code, user id, JWT, its expiry in unix seconds or None) from a login answer:
    `{"user_id", "access_token": {"token", "expiry"}}` from 0.3.0, `{"user_id", "tokens":
    {"access_token": {"token", "expiry"}, ...}}` 0.0.51-0.2.24, `{"user_id", "token":
    {"access_token", "expiry", ...}}` 0.0.44-0.0.50, `{"user_id", "token": "<jwt>"}` before."""
    if not isinstance(payload, dict) or not _is_int(payload.get("user_id")):
        return None
    user_id: int = payload["user_id"]
    access, code = payload.get("access_token"), "login-access-token"
    if "tokens" in payload and access is None:
        tokens = payload["tokens"]
        access, code = (
            tokens.get("access_token") if isinstance(tokens, dict) else None,
            "login-tokens",
        )
    if access is None and "token" in payload:
        token = payload["token"]
        if _is_sendable_jwt(token):
            return "login-token", user_id, token, None
        if isinstance(token, dict):
            jwt, expiry = token.get("access_token"), token.get("expiry")
            if _is_sendable_jwt(jwt) and _is_int(expiry):
                return "login-token", user_id, jwt, expiry
        return None
    if not isinstance(access, dict):
        return None
    jwt, expiry = access.get("token"), access.get("expiry")
    if _is_sendable_jwt(jwt) and _is_int(expiry):
        return code, user_id, jwt, expiry
    return None


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_sendable_jwt(value: object) -> TypeGuard[str]:
    """A token that can go back after "Bearer ": a hostile server's token with a line break,
    a space or a non-ASCII character is no identity (and is never quoted)."""
    return isinstance(value, str) and _JWT_CHARS.fullmatch(value) is not None


def _transport_reason(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectError):
        text = str(error).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            return "unknown host"
    return str(error) or type(error).__name__

"""The thin Iggy HTTP client: one method per endpoint, typed results, errors from errors.py.

The only module that imports httpx. Facts it relies on (shared/iggy-http-api.md): create
answers 200 with `{"token"}`; delete and logout answer 204 with no body; `expiry` on create is
in microseconds; a stable server answers a missing or bad bearer with 401 and an empty body;
error bodies are `{"id", "code", "reason", "field"}` but a proxy may answer with HTML or text.
Redirects are never followed, so the bearer cannot travel to another host. Requests go through
transport.py (deadline, size cap, proxies); its failures become ServerUnavailable here.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeGuard
from urllib.parse import quote

import httpx

from iggy_cli import errors
from iggy_cli.models import Identity, MintedToken, PersonalAccessToken, datetime_from_us
from iggy_cli.redaction import MASK, mask_json, redact
from iggy_cli.transport import (
    AnswerTooLarge,
    NotTls,
    Proxy,
    ProxyRefused,
    ProxySettingError,
    StdlibTransport,
    proxy_for,
    tls_context,
)

# Error ids of the Iggy server (core/common/src/error/iggy_error.rs), by what they mean to us.
_ERROR_CLASSES: dict[int, type[errors.IggyCliError]] = {
    20: errors.NotFound,
    40: errors.AuthenticationError,
    41: errors.AuthenticationError,
    42: errors.AuthenticationError,
    47: errors.AuthenticationError,
    50: errors.InvalidTokenName,
    51: errors.TokenAlreadyExists,
    52: errors.TokenLimitReached,
    53: errors.AuthenticationError,
    54: errors.TokenExpired,
    77: errors.AuthenticationError,
    78: errors.AuthenticationError,
}
_SNIPPET_CHARS = 120
# What may go into a header we send: visible ASCII, spaces and tabs (RFC 9110 without
# obs-text). A JWT is visible ASCII only, since it follows "Bearer ".
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_JWT_CHARS = re.compile(r"[\x21-\x7e]+")
_NOT_IGGY_HINT = "check --url: it must point at the Iggy HTTP API"


class IggyClient:
    """A session with one Iggy server. Login methods keep the JWT for the calls that follow."""

    def __init__(
        self,
        url: str,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        log: Callable[[str], None] | None = None,
        ca_cert: str | None = None,
        verify_tls: bool = True,
    ) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._log = log
        # Only an https URL needs a TLS context: building one loads a CA bundle (~15 ms).
        tls = _tls(verify_tls, ca_cert) if self.url.startswith("https://") else None
        self._proxy: Proxy | None = None
        if transport is None:
            self._proxy = _proxy_for(self.url)
            transport = StdlibTransport(timeout, tls, self._proxy)
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
        self._request("GET", "/ping", authenticated=False)

    def login_with_password(self, username: str, password: str) -> Identity:
        body = {"username": username, "password": password}
        response = self._request("POST", "/users/login", body=body, authenticated=False)
        return self._keep_identity(response)

    def login_with_token(self, token: str) -> Identity:
        response = self._request(
            "POST",
            "/personal-access-tokens/login",
            body={"token": token},
            authenticated=False,
            secrets=(token,),
        )
        return self._keep_identity(response)

    def logout(self) -> None:
        """Revoke the JWT on the server; the client is logged out even if that fails."""
        try:
            self._request("DELETE", "/users/logout")
        finally:
            self._access_token = None

    def list_tokens(self) -> list[PersonalAccessToken]:
        payload = self._json(self._request("GET", "/personal-access-tokens"))
        if not isinstance(payload, list):
            raise self._unexpected("a list of tokens")
        tokens = []
        for item in payload:
            name = item.get("name") if isinstance(item, dict) else None
            expiry_at = item.get("expiry_at") if isinstance(item, dict) else None
            if not isinstance(name, str) or not (expiry_at is None or _is_int(expiry_at)):
                raise self._unexpected("a list of tokens")
            tokens.append(PersonalAccessToken(name=name, expiry_at_us=expiry_at))
        return tokens

    def create_token(self, name: str, expiry_us: int) -> MintedToken:
        body = {"name": name, "expiry": expiry_us}
        payload = self._json(self._request("POST", "/personal-access-tokens", body=body))
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise self._unexpected("the new token")
        return MintedToken(name=name, token=token)

    def delete_token(self, name: str) -> None:
        if name in (".", ".."):  # a dot segment: httpx would resolve it to another path
            raise errors.UsageError(f"{name!r} cannot be a token name")
        self._request("DELETE", f"/personal-access-tokens/{quote(name, safe='')}")

    def _keep_identity(self, response: httpx.Response) -> Identity:
        payload = self._json(response)
        access = payload.get("access_token") if isinstance(payload, dict) else None
        user_id = payload.get("user_id") if isinstance(payload, dict) else None
        token = access.get("token") if isinstance(access, dict) else None
        expiry = access.get("expiry") if isinstance(access, dict) else None
        if not (_is_int(user_id) and _is_int(expiry) and _is_sendable_jwt(token)):
            raise self._unexpected("an identity")
        self._access_token = token
        return Identity(
            user_id=user_id,
            access_token=token,
            access_token_expires_at=datetime_from_us(expiry * 1_000_000),
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        authenticated: bool = True,
        secrets: tuple[str, ...] = (),
    ) -> httpx.Response:
        headers = {}
        if authenticated:
            if self._access_token is None:
                raise errors.AuthenticationError("not logged in to the server")
            headers["Authorization"] = f"Bearer {self._access_token}"
        for name, value in headers.items():
            if not _HEADER_VALUE.fullmatch(value):
                # Never quoted: the value holds a credential, and it came from the server.
                raise errors.ServerUnavailable(
                    f"cannot send a request to {self.url}: its {name} header would hold"
                    " characters HTTP does not allow",
                    hint=_NOT_IGGY_HINT,
                )
        started = time.monotonic()
        try:
            response = self._http.request(method, path, json=body, headers=headers)
        except httpx.TransportError as error:
            raise self._transport_failure(error) from None
        if self._log is not None:
            self._log_exchange(response, time.monotonic() - started, secrets)
        if response.is_success:
            return response
        raise self._error_for(response, secrets)

    def _transport_failure(self, error: httpx.TransportError) -> errors.IggyCliError:
        via = f" through the proxy {self._proxy.address}" if self._proxy else ""
        unreachable = "is the server running? Check --url or IGGY_URL"
        if self._proxy is not None:
            unreachable = f"check the proxy in {self._proxy.variable}, or bypass it with NO_PROXY"
        if isinstance(error, AnswerTooLarge):
            return errors.ServerUnavailable(
                f"{self.url} sent {error}; the rest was not read", hint=_NOT_IGGY_HINT
            )
        if isinstance(error, httpx.TimeoutException):
            return errors.ServerUnavailable(
                f"{self.url} did not answer within {self._timeout:g} s{via}",
                hint="check the server, or allow more time with --timeout SECONDS",
            )
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

    def _proxy_wants_credentials(self) -> errors.IggyCliError:
        variable = self._proxy.variable if self._proxy else "HTTP_PROXY"
        return errors.ServerUnavailable(
            f"the proxy between here and {self.url} asks for credentials (HTTP 407)",
            hint=f"put them in {variable} as http://USER:PASSWORD@HOST:PORT",
        )

    def _log_exchange(
        self, response: httpx.Response, seconds: float, secrets: tuple[str, ...]
    ) -> None:
        """`-v`: one exchange on stderr, with every credential masked (redaction.py)."""
        assert self._log is not None
        request = response.request
        self._log(f"> {request.method} {request.url}")
        if "authorization" in request.headers:
            scheme = request.headers["authorization"].split(" ", 1)[0]
            self._log(f"> authorization: {scheme} {MASK}")
        if request.content:
            self._log(f"> {_masked_body(request.content, secrets)}")
        self._log(f"< {response.status_code} {response.reason_phrase} ({seconds * 1000:.0f} ms)")
        if response.content:
            self._log(f"< {_masked_body(response.content, secrets)}")

    def _error_for(self, response: httpx.Response, secrets: tuple[str, ...]) -> Exception:
        status = response.status_code
        body = _json_or_none(response)
        if isinstance(body, dict) and _is_int(body.get("id")):
            reason = redact(str(body.get("reason") or body.get("code") or ""), secrets)
            error_class = _ERROR_CLASSES.get(body["id"])
            if error_class is None:
                error_class = errors.ServerUnavailable if status >= 500 else errors.ServerRejected
            return error_class(f"server: {reason} (error {body['id']}, HTTP {status})")
        snippet = redact(_snippet(response), secrets)
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


def _tls(verify: bool, ca_cert: str | None) -> ssl.SSLContext:
    try:
        return tls_context(verify, ca_cert)
    except (OSError, ssl.SSLError) as error:
        raise errors.UsageError(f"cannot use --ca-cert {ca_cert}: {error}") from None


def _proxy_for(url: str) -> Proxy | None:
    """The proxy the environment names for `url`; a setting that cannot work is a usage error."""
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        return proxy_for(parsed.scheme, parsed.host, port, os.environ)
    except ProxySettingError as error:
        raise errors.UsageError(
            str(error), hint=f"set {error.variable} to http://HOST:PORT, or unset it"
        ) from None


def _masked_body(content: bytes, secrets: tuple[str, ...]) -> str:
    text = content.decode("utf-8", "replace")
    try:
        return json.dumps(mask_json(json.loads(text), secrets), ensure_ascii=False)
    except ValueError:
        return redact(" ".join(text.split())[: _SNIPPET_CHARS * 4], secrets)


def _json_or_none(response: httpx.Response) -> Any:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if not text:
        return "empty body"
    return text if len(text) <= _SNIPPET_CHARS else text[:_SNIPPET_CHARS] + "…"


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

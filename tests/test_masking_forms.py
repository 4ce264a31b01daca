"""Masking sees the text exactly as it is printed, and knows every form a server may echo a
secret in. The sandbox refuses the sign-in with a page that echoes the password (which holds
runs of spaces and characters each encoding changes) in one form per case: as sent, with its
whitespace collapsed, JSON-escaped, HTML-escaped, percent-encoded in either case, `+`-encoded,
and inside a base64 `Basic` credential. Neither the error line nor `-v` may show 16
consecutive characters of any of them."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from helpers.cli import Cli
from helpers.leaks import assert_no_secret_in
from helpers.servers import new_sandbox

from iggy_cli.console.output import Output
from iggy_cli.sandbox.faults import RecordedRequest
from iggy_cli.sandbox.http_server import SandboxServer
from iggy_cli.secrets import redaction
from iggy_cli.secrets.redaction import MASK, Secrets

# Runs of spaces closer than 16 characters apart: collapsed, no 16 characters of it match the
# password as sent, so only a masker that knows the collapsed form can find it.
PASSWORD = 'correct  horse  battery&st  <aple>  it\'s  "x"  100%/+  plus  42'


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda hit: hit.group().lower(), text)


FORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda secret: secret,
    "whitespace-collapsed": lambda secret: " ".join(secret.split()),
    "json-escaped": lambda secret: json.dumps(secret)[1:-1],
    "html-escaped": html.escape,
    "html-escaped-decimal": lambda secret: (
        html.escape(secret).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")
    ),
    "percent-upper": lambda secret: quote(secret, safe=""),
    "percent-lower": lambda secret: _lower_hex(quote(secret, safe="")),
    "plus-encoded": lambda secret: quote_plus(secret, safe=""),
    "base64-basic": lambda secret: base64.b64encode(f"iggy:{secret}".encode()).decode(),
}


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with new_sandbox(password=PASSWORD) as started:
        yield started


@pytest.mark.parametrize("verbose", [False, True], ids=["error-line", "-v"])
@pytest.mark.parametrize("form", FORMS)
def test_an_echoed_password_is_masked_in_every_form(
    tmp_path: Path, server: SandboxServer, form: str, verbose: bool
) -> None:
    encode = FORMS[form]

    def echo(request: RecordedRequest) -> str:
        sent = json.loads(request.body)["password"]
        return f"<html><body><p>login refused for   {encode(sent)}   (try again)</p></body></html>"

    server.answer_with("POST", "/users/login", 400, echo, content_type="text/html")
    cli = Cli(tmp_path, server.url)
    flags = ("-v",) if verbose else ()
    result = cli(*flags, "pat", "list", env={"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": PASSWORD})
    assert result.code == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors and errors[0].startswith("error: server rejected the request (HTTP 400): ")
    assert "Traceback" not in result.stderr
    echoed = encode(PASSWORD)
    assert_no_secret_in([PASSWORD, echoed, " ".join(echoed.split())], result.stdout, result.stderr)


def test_a_secret_holding_the_program_name_is_masked_under_iggy_cli() -> None:
    """Run as `iggy-cli`, the notes' `iggy login` become `iggy-cli login`; a password that
    holds `iggy ` is masked before that, or no rule would know it."""
    password = "iggy secret 2024"
    err = io.StringIO()
    with redaction.bound(Secrets()):
        redaction.remember(password)
        Output(stderr=err, program="iggy-cli").error(
            f"login refused for {password}", hint="run `iggy login` again"
        )
    assert err.getvalue() == (
        f"error: login refused for {MASK}\nhint: run `iggy-cli login` again\n"
    )


@pytest.mark.parametrize("form", FORMS)
def test_status_masks_an_echoed_password_in_every_form(
    tmp_path: Path, server: SandboxServer, form: str
) -> None:
    """`status` prints the server's problem as a `Label: value` line on stdout: masked too."""
    encode = FORMS[form]

    def echo(request: RecordedRequest) -> str:
        sent = json.loads(request.body)["password"]
        return f"<html><body><p>login refused for   {encode(sent)}   (try again)</p></body></html>"

    server.answer_with("POST", "/users/login", 400, echo, content_type="text/html")
    cli = Cli(tmp_path, server.url)
    result = cli("status", env={"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": PASSWORD})
    assert "Traceback" not in result.stderr
    assert "HTTP 400" in result.stdout + result.stderr, (result.stdout, result.stderr)
    echoed = encode(PASSWORD)
    assert_no_secret_in([PASSWORD, echoed, " ".join(echoed.split())], result.stdout, result.stderr)

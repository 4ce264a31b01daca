"""Credentials go only to their own server: TLS is verified by default, --ca-cert trusts a
private CA, and --insecure works but warns. The sandbox serves https with a certificate that
openssl makes for 127.0.0.1."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.fake_servers import make_certificate
from helpers.servers import new_sandbox

from iggy_cli.sandbox.http_server import SandboxServer


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_sandbox(certificate: tuple[Path, Path]) -> Iterator[SandboxServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with new_sandbox(tls=context) as server:
        yield server


@pytest.fixture
def tls_cli(tmp_path: Path, https_sandbox: SandboxServer) -> Cli:
    return Cli(tmp_path, https_sandbox.url)


def test_an_unknown_certificate_is_refused(tls_cli: Cli, https_sandbox: SandboxServer) -> None:
    result = tls_cli("pat", "list", env=tls_cli.as_admin())
    assert result.code == 6
    assert result.stderr.splitlines() == [
        f"error: the TLS certificate of {https_sandbox.url} could not be verified",
        "hint: trust its CA with --ca-cert FILE (or, on a test server, --insecure)",
    ]


def test_ca_cert_trusts_the_servers_ca(
    tls_cli: Cli, https_sandbox: SandboxServer, certificate: tuple[Path, Path]
) -> None:
    created = tls_cli(
        "--ca-cert", str(certificate[0]), "pat", "create", "deploy", env=tls_cli.as_admin()
    )
    assert created.code == 0, created.stderr
    address = https_sandbox.url  # only a leading http:// is dropped, as Iggy's CLI does
    assert list(tls_cli.keyring()) == [f"iggy:{address}"]


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_the_ssl_cert_variables_trust_the_servers_ca(
    tls_cli: Cli, certificate: tuple[Path, Path], tmp_path: Path, variable: str
) -> None:
    """As httpx reads them: without --ca-cert, SSL_CERT_FILE (or a hashed SSL_CERT_DIR)
    names the CAs to trust instead of certifi's bundle."""
    if variable == "SSL_CERT_FILE":
        value = str(certificate[0])
    else:
        folder = tmp_path / "certs"
        folder.mkdir()
        subject_hash = subprocess.run(
            ["openssl", "x509", "-hash", "-noout", "-in", str(certificate[0])],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        (folder / f"{subject_hash}.0").write_bytes(certificate[0].read_bytes())
        value = str(folder)
    listed = tls_cli("pat", "list", "-o", "json", env={**tls_cli.as_admin(), variable: value})
    assert (listed.code, listed.stdout, listed.stderr) == (0, "[]\n", "")


def test_insecure_works_but_warns(tls_cli: Cli) -> None:
    listed = tls_cli("--insecure", "pat", "list", "-o", "json", env=tls_cli.as_admin())
    assert (listed.code, listed.stdout) == (0, "[]\n")
    assert listed.stderr == (
        "warning: TLS verification is off (--insecure): "
        "anyone on the path can read your credentials\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ca-cert", "/nonexistent/ca.pem"), "error: cannot use --ca-cert /nonexistent/ca.pem"),
        (("--ca-cert", "x.pem", "--insecure"), "error: --ca-cert and --insecure contradict"),
    ],
    ids=["missing-file", "both"],
)
def test_bad_tls_options_are_usage_errors(
    tls_cli: Cli, args: tuple[str, ...], message: str
) -> None:
    result = tls_cli(*args, "pat", "list", env=tls_cli.as_admin())
    assert result.code == 2
    assert result.stderr.startswith(message)

"""`-v` shows each HTTP exchange with every credential masked; `--debug` never turns an
expected failure into a traceback, and an unexpected one's traceback shows no local values."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.servers import mint_token, new_sandbox

from iggy_cli.cli.app import run

PASSWORD = "p4ss-w0rd-xyz"


def test_verbose_masks_password_jwt_bearer_and_tokens(tmp_path: Path) -> None:
    with new_sandbox(password=PASSWORD) as server:
        url = server.url
        cli = Cli(tmp_path, url)
        admin = {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": PASSWORD}
        created = cli("-v", "pat", "create", "deploy", env=admin)
        unknown = "Q" * 66 + "=="
        refused = cli("-v", "pat", "list", env={"IGGY_TOKEN": unknown})
    assert created.code == 0 and refused.code == 4
    log = created.stderr
    assert log.splitlines()[:3] == [
        f"> POST {url}/users/login",
        '> {"username": "iggy", "password": "***"}',
        log.splitlines()[2],
    ]
    assert log.splitlines()[2].startswith("< 200 OK (")
    assert '"access_token": {"token": "***", "expiry": ' in log
    assert "> authorization: Bearer ***" in log
    assert '< {"token": "***"}' in log
    assert f"> DELETE {url}/users/logout" in log
    assert PASSWORD not in log and "eyJ" not in log
    assert '"reason": "Resource with key: *** was not found."' in refused.stderr
    assert unknown not in refused.stderr


def test_debug_keeps_expected_errors_to_one_line(cli: Cli) -> None:
    result = cli("--debug", "pat", "list")
    assert result.code == 4
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: not logged in to ")


def test_a_debug_traceback_shows_no_local_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sandbox: object
) -> None:
    import typer

    app = typer.Typer(pretty_exceptions_enable=False)

    @app.command()
    def boom() -> None:
        raw_token = mint_token(sandbox.url, "in-a-local")  # type: ignore[attr-defined]
        raise RuntimeError(f"failed after minting ({len(raw_token)} chars)")

    @app.command()
    def other() -> None:
        pass

    monkeypatch.setenv("IGGY_DEBUG", "1")
    assert run(["boom"], command=app) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: failed after minting (68 chars)" in err
    assert 'raise RuntimeError(f"failed after minting' in err  # source lines, never values
    from helpers.servers import MINTED

    assert not any(token in err for token in MINTED)
    assert "IGGY_DEBUG=1" not in err  # no hint to do what was just done

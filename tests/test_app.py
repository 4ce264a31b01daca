"""`app.run`, the one place where errors become exit codes, and the table of them in
docs/scripting.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from iggy_cli import errors
from iggy_cli.cli.app import run

SCRIPTING_DOC = Path(__file__).parent.parent / "docs" / "scripting.md"


def failing_app(error: BaseException) -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.command()
    def boom() -> None:
        raise error

    @app.command()
    def other() -> None:  # a second command keeps `boom` a subcommand
        pass

    return app


def test_an_unexpected_error_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "hunter2-secret"
    code = run(["boom"], command=failing_app(RuntimeError(f"kaboom {secret}")))
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err == (
        "error: unexpected RuntimeError; this is a bug\nhint: set IGGY_DEBUG=1 for the traceback\n"
    )


def test_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGGY_DEBUG", "1")
    assert run(["boom"], command=failing_app(RuntimeError("kaboom"))) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: kaboom" in err


@pytest.mark.parametrize(
    ("error", "code", "stderr"),
    [
        (errors.UsageError("bad"), 2, "error: bad\n"),
        (errors.TokenLimitReached("full"), 3, "error: full\n"),
        (errors.TokenExpired("old", hint="log in"), 4, "error: old\nhint: log in\n"),
        (errors.NotFound("gone"), 5, "error: gone\n"),
        (errors.ServerUnavailable("down"), 6, "error: down\n"),
        (errors.TokenNotStored("lost?"), 7, "error: lost?\n"),
        (errors.OutputFailed("cannot write"), 10, "error: cannot write\n"),
        (errors.BrokenPipe("reader gone"), 141, ""),
        (errors.Interrupted("interrupted"), 130, "error: interrupted\n"),
        (errors.Declined("Nothing deleted."), 11, "Nothing deleted.\n"),
        (KeyboardInterrupt(), 130, ""),
    ],
    ids=[
        "usage",
        "rejected",
        "auth",
        "not-found",
        "unavailable",
        "storage",
        "output",
        "broken-pipe",
        "interrupted",
        "declined",
        "ctrl-c",
    ],
)
def test_each_error_class_maps_to_its_code(
    capsys: pytest.CaptureFixture[str], error: BaseException, code: int, stderr: str
) -> None:
    assert run(["boom"], command=failing_app(error)) == code
    assert capsys.readouterr().err == stderr


def test_the_docs_document_every_exit_code() -> None:
    documented = {
        int(code): meaning
        for code, meaning in re.findall(r"^\| (\d+) \| (.+) \|$", SCRIPTING_DOC.read_text(), re.M)
    }
    assert set(documented) == {code for code, _ in errors.EXIT_CODES}
    classes = [errors.IggyCliError, *errors.IggyCliError.__subclasses__()]
    assert {cls.exit_code for cls in classes} <= set(documented)


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0\nbroken.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_every_message_and_the_debug_traceback_are_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from helpers.leaks import assert_no_secret_in

    from iggy_cli.runtime import World
    from iggy_cli.secrets.redaction import Secrets

    known = Secrets()
    known.remember(JWT)  # as the client does when a server hands it out during the run

    def world() -> World:
        return replace(World.of_process(), secrets=known)

    monkeypatch.setenv("IGGY_DEBUG", "1")
    header = ValueError(f"Invalid header value {('Bearer ' + JWT).encode()!r}")
    assert run(["boom"], command=failing_app(header), world=world()) == 1
    err = capsys.readouterr().err
    assert "ValueError: Invalid header value b'Bearer ***'" in err
    monkeypatch.delenv("IGGY_DEBUG")
    leaky = errors.StorageError(f"keyring said {JWT[5:40]}", hint=f"not {JWT[-20:]}")
    assert run(["boom"], command=failing_app(leaky), world=world()) == 7
    assert capsys.readouterr().err == "error: keyring said ***\nhint: not ***\n"
    assert_no_secret_in([JWT, *JWT.split("\n")], err)


def test_environment_secrets_are_known_before_anything_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGGY_PASSWORD", "env-password-1234")
    error = errors.UsageError("bad password env-password-1234")
    assert run(["boom"], command=failing_app(error)) == 2
    assert capsys.readouterr().err == "error: bad password ***\n"


def test_a_run_writes_nothing_back_and_shares_no_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A run is a value: --debug and --no-color stay in the run (no os.environ write), and a
    secret one run learned is not masked by the next run's registry, which starts empty."""
    import io
    import os

    from iggy_cli.cli.entry import run as run_entry
    from iggy_cli.runtime import World
    from iggy_cli.secrets import redaction

    monkeypatch.delenv("IGGY_DEBUG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    before = dict(os.environ)
    environ = {"HOME": str(tmp_path), "IGGY_PASSWORD": "first-run-password"}
    first = World(environ, io.StringIO(), io.StringIO(), io.StringIO())
    code = run_entry(["--debug", "--no-color", "config", "show", "-o", "json"], first)
    assert code == 0, first.stderr.getvalue()  # type: ignore[union-attr]
    assert dict(os.environ) == before
    assert first.secrets.redact("first-run-password") == "***"
    assert redaction.current().redact("first-run-password") == "first-run-password"
    second = World({"HOME": str(tmp_path)}, io.StringIO(), io.StringIO(), io.StringIO())
    assert second.secrets.redact("first-run-password") == "first-run-password"
    assert capsys.readouterr() == ("", "")  # everything went to the run's own streams

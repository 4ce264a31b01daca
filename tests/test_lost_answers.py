"""A request the server carried out whose answer never arrived usably is an unknown outcome,
never "cannot reach the server": the sandbox creates (or deletes) the token, then loses the
answer each way a real one gets lost (sandbox faults.LostAnswer): past the deadline, garbled,
a page that is not the answer, a body cut short, more headers than a client reads, a reset.

A lost create says the token may exist, after asking the server's list (exit 9), and its advice
works; a lost delete is checked the same way, not guessed."""

from __future__ import annotations

import pytest
from helpers.cli import Cli
from helpers.leaks import assert_no_secret_in
from helpers.servers import MINTED, server_tokens, token_works

from iggy_cli.sandbox.http_server import SandboxServer

TOKENS = "/personal-access-tokens"
# mode -> extra flags: a held answer ends at the client's deadline
MODES = {
    "hold": ("--timeout", "1"),
    "reset": (),
    "garbled": (),
    "not-json": (),
    "cut-body": (),
    "many-headers": (),
}
NEVER_SAID = ("cannot reach", "is the server running", "Traceback", "this is a bug")


def service(sandbox: SandboxServer) -> str:
    return "iggy:" + sandbox.url.removeprefix("http://")


def lines(stderr: str) -> list[str]:
    for words in NEVER_SAID:
        assert words not in stderr, stderr
    return stderr.splitlines()


@pytest.mark.parametrize("mode", MODES)
def test_a_create_whose_answer_is_lost_says_the_token_may_exist(
    cli: Cli, sandbox: SandboxServer, mode: str
) -> None:
    sandbox.lose_answer("POST", TOKENS, mode=mode)  # type: ignore[arg-type]
    result = cli(*MODES[mode], "pat", "create", "deploy", "1d", env=cli.as_admin())
    assert result.code == 9, result.stderr
    first, hint = lines(result.stderr)
    assert first.startswith(f"error: {sandbox.url} sent no usable answer to creating 'deploy' ("), (
        first
    )
    assert first.endswith(
        "): a token named 'deploy' now exists on the server, but its secret was not received"
    ), first
    assert hint == "hint: delete it (`iggy pat delete deploy`) and create it again"
    assert result.stdout == "" and cli.keyring() == {}
    assert list(server_tokens(sandbox.url)) == ["deploy"]
    # the advice, followed
    assert cli("pat", "delete", "deploy", "--yes", env=cli.as_admin()).code == 0
    again = cli("pat", "create", "deploy", "1d", env=cli.as_admin())
    assert again.code == 0, again.stderr
    assert token_works(sandbox.url, cli.keyring()[service(sandbox)]["deploy"])


@pytest.mark.parametrize("mode", MODES)
def test_a_login_whose_session_create_is_lost_says_so(
    cli: Cli, sandbox: SandboxServer, mode: str
) -> None:
    sandbox.lose_answer("POST", TOKENS, mode=mode)  # type: ignore[arg-type]
    result = cli(*MODES[mode], "login", env=cli.as_admin())
    assert result.code == 9, result.stderr
    first, hint = lines(result.stderr)
    assert first.startswith(
        f"error: {sandbox.url} sent no usable answer to creating 'iggy-cli-session' ("
    ), first
    assert hint == "hint: run `iggy login` again: it replaces any session token it finds"
    again = cli("login", env=cli.as_admin())
    assert again.code == 0, again.stderr
    assert list(server_tokens(sandbox.url)) == ["iggy-cli-session"]


@pytest.mark.parametrize("mode", MODES)
def test_a_rotation_whose_new_token_answer_is_lost_keeps_the_stand_in(
    cli: Cli, sandbox: SandboxServer, mode: str
) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    old = cli.keyring()[service(sandbox)]["deploy"]
    # the first create of the rotation mints the stand-in; the second, the new `deploy`
    sandbox.lose_answer("POST", TOKENS, mode=mode, skip=1)  # type: ignore[arg-type]
    result = cli(*MODES[mode], "pat", "rotate", "deploy", env=cli.as_admin())
    assert result.code == 9, result.stderr
    first, hint = lines(result.stderr)
    assert first.startswith("error: rotation of 'deploy' failed at minting the new token: "), first
    assert " sent no usable answer to creating 'deploy' (" in first
    assert (
        "a token named 'deploy' now exists on the server, but its secret was not received" in first
    )
    assert "the stored copy is the stand-in 'iggy-cli-standin-" in first
    assert hint == "hint: run `iggy pat rotate deploy` again to finish the rotation"
    stored = cli.keyring()[service(sandbox)]["deploy"]
    assert stored != old and token_works(sandbox.url, stored)
    again = cli("pat", "rotate", "deploy", env=cli.as_admin())
    assert again.code == 0, again.stderr
    new = cli.keyring()[service(sandbox)]["deploy"]
    assert token_works(sandbox.url, new) and not token_works(sandbox.url, old)
    assert list(server_tokens(sandbox.url)) == ["deploy"]
    assert_no_secret_in([old, stored, new], result.stderr, again.stderr)


@pytest.mark.parametrize("mode", MODES)
def test_a_delete_whose_answer_is_lost_is_checked(
    cli: Cli, sandbox: SandboxServer, mode: str
) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    sandbox.lose_answer("DELETE", f"{TOKENS}/deploy", mode=mode)  # type: ignore[arg-type]
    result = cli(*MODES[mode], "pat", "delete", "deploy", "--yes", env=cli.as_admin())
    assert result.code == 0, result.stderr
    assert lines(result.stderr)[0].startswith("Deleted token 'deploy'"), result.stderr
    assert server_tokens(sandbox.url) == {}
    assert cli.keyring() == {}


@pytest.mark.parametrize("mode", ["cut-body", "many-headers", "not-json"])
def test_a_lost_create_answer_shows_no_piece_of_the_token_under_v(
    cli: Cli, sandbox: SandboxServer, mode: str
) -> None:
    """Half a body that held the token, or an answer cut off after it, never reaches -v."""
    before = set(MINTED)
    sandbox.lose_answer("POST", TOKENS, mode=mode)  # type: ignore[arg-type]
    result = cli("-v", "pat", "create", "deploy", "1d", env=cli.as_admin())
    assert result.code == 9, result.stderr
    minted = MINTED - before
    assert len(minted) == 1
    assert_no_secret_in(minted, result.stdout, result.stderr)


def test_a_prune_whose_delete_answer_is_lost_checks_the_list(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("pat", "create", "old-one", "1ms", env=cli.as_admin()).code == 0  # expired
    sandbox.lose_answer("DELETE", f"{TOKENS}/old-one", mode="hold")
    result = cli("--timeout", "1", "pat", "prune", "--expired", "--yes", env=cli.as_admin())
    assert result.code == 0, result.stderr
    lines(result.stderr)
    assert server_tokens(sandbox.url) == {}


@pytest.mark.parametrize("mode", ["hold", "reset", "cut-body"])
def test_a_printed_rotation_whose_delete_answer_is_lost_checks_the_list(
    cli: Cli, sandbox: SandboxServer, mode: str
) -> None:
    """`pat rotate --no-store` deletes the old token before it mints the new one: a lost
    answer to that DELETE is checked against the list, and the rotation goes on."""
    created = cli(
        "pat", "create", "ci-job", "1d", "--no-store", env=cli.as_admin(), shows_token=True
    )
    assert created.code == 0, created.stderr
    old = created.stdout.strip()
    sandbox.lose_answer("DELETE", f"{TOKENS}/ci-job", mode=mode)  # type: ignore[arg-type]
    result = cli(
        *MODES[mode],
        "pat",
        "rotate",
        "ci-job",
        "--no-store",
        "--yes",
        env=cli.as_admin(),
        shows_token=True,
    )
    assert result.code == 0, result.stderr
    lines(result.stderr)
    new = result.stdout.strip()
    assert new != old and token_works(sandbox.url, new) and not token_works(sandbox.url, old)
    assert list(server_tokens(sandbox.url)) == ["ci-job"]
    assert cli.keyring() == {}

"""A store that says yes and keeps something else is a failed store: every write of a token is
read back and compared. The keyrings lie from outside (tests/helpers/faulty_keyring.py and
cue_keyring.py): one keeps only the first 40 characters, one changes the last character; both
spare the tool's short probe, so only reading back the real entry tells. A copy another
program rewrote afterwards (the test edits the keyring's file) is never handed out as the
token this tool stored."""

from __future__ import annotations

import json

import pytest
from helpers.cli import Cli
from helpers.leaks import assert_no_secret_in
from helpers.servers import mint_token, server_tokens, token_works

from iggy_cli.sandbox.http_server import SandboxServer

LIARS = ["helpers.faulty_keyring.TruncatingKeyring", "helpers.faulty_keyring.AlteringKeyring"]
IDS = ["truncating", "altering"]
CUE = "helpers.cue_keyring.CueKeyring"
NOT_KEPT = "the keyring did not keep what was written to iggy"


def service(sandbox: SandboxServer) -> str:
    return "iggy:" + sandbox.url.removeprefix("http://")


def stored(cli: Cli, sandbox: SandboxServer, name: str = "deploy") -> str | None:
    return cli.keyring().get(service(sandbox), {}).get(name)


def no_bug(stderr: str) -> None:
    assert "Traceback" not in stderr and "this is a bug" not in stderr, stderr


@pytest.mark.parametrize("backend", LIARS, ids=IDS)
def test_a_create_the_keyring_does_not_keep_is_printed(
    cli: Cli, sandbox: SandboxServer, backend: str
) -> None:
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": backend}
    result = cli("pat", "create", "deploy", env=env, shows_token=True)
    assert result.code == 7, result.stderr
    no_bug(result.stderr)
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token_works(sandbox.url, token)
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: token 'deploy' was created (never expires) but not stored")
    assert NOT_KEPT in first and first.endswith("it is printed above, save it now")
    assert stored(cli, sandbox) is None  # the damaged copy is not left to pass for the token
    assert list(server_tokens(sandbox.url)) == ["deploy"]
    assert_no_secret_in([token], result.stderr)


@pytest.mark.parametrize("backend", LIARS, ids=IDS)
def test_a_rotation_never_leaves_only_a_damaged_copy(
    cli: Cli, sandbox: SandboxServer, backend: str
) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    old = stored(cli, sandbox)
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": backend}
    result = cli("pat", "rotate", "deploy", env=env, shows_token=True)
    assert result.code == 7, result.stderr
    no_bug(result.stderr)
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: rotation of 'deploy' failed at storing the stand-in: "), first
    assert NOT_KEPT in first
    # The keyring damages every long secret, the old one too when it is put back: the old
    # token still works on the server, and is printed since the keyring cannot hold it.
    assert "putting the old token back failed too" in first
    assert result.stdout == f"{old}\n" and token_works(sandbox.url, old)
    assert list(server_tokens(sandbox.url)) == ["deploy"]  # the stand-in is gone again


def test_a_damaged_stand_in_puts_the_old_token_back(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    old = stored(cli, sandbox)
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": CUE, "CUE_KEYRING_WRITES": "1=truncate"}
    result = cli("pat", "rotate", "deploy", env=env)
    assert result.code == 7, result.stderr
    first, hint = result.stderr.splitlines()
    assert first.startswith("error: rotation of 'deploy' failed at storing the stand-in: "), first
    assert first.endswith("; the stored copy is the old token again; nothing changed"), first
    assert hint == "hint: run `iggy pat rotate deploy` again once the keyring works"
    assert stored(cli, sandbox) == old and token_works(sandbox.url, old)
    assert list(server_tokens(sandbox.url)) == ["deploy"]
    again = cli("pat", "rotate", "deploy", env=cli.as_admin())
    assert again.code == 0, again.stderr


def test_a_damaged_new_copy_is_printed_and_the_stand_in_kept(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    old = stored(cli, sandbox)
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": CUE, "CUE_KEYRING_WRITES": "2=truncate"}
    result = cli("pat", "rotate", "deploy", env=env, shows_token=True)
    assert result.code == 7, result.stderr
    printed = result.stdout.strip()
    assert result.stdout == printed + "\n" and token_works(sandbox.url, printed)
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: rotation of 'deploy': the new token was created (ends "), first
    assert NOT_KEPT in first
    assert "it is printed above, save it now; the stored copy is the stand-in" in first
    kept = stored(cli, sandbox)
    assert kept not in (None, printed, old) and token_works(sandbox.url, kept)
    assert not token_works(sandbox.url, old)
    assert_no_secret_in([printed, kept or "", old or ""], result.stderr)


def test_a_login_session_the_keyring_does_not_keep_is_revoked(
    cli: Cli, sandbox: SandboxServer
) -> None:
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": LIARS[0]}
    result = cli("login", env=env)
    assert result.code == 7, result.stderr
    no_bug(result.stderr)
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: could not keep the session (")
    assert NOT_KEPT.replace("iggy", "iggy-cli-session") in first
    assert first.endswith("its token was deleted on the server"), first
    assert server_tokens(sandbox.url) == {} and result.stdout == ""


def test_an_adopted_token_the_keyring_does_not_keep_is_not_the_session(
    cli: Cli, sandbox: SandboxServer
) -> None:
    token = mint_token(sandbox.url, "ci-job")
    env = {"IGGY_TOKEN": token, "PYTHON_KEYRING_BACKEND": LIARS[1]}
    result = cli("pat", "login", env=env)
    assert result.code == 7, result.stderr
    assert "the keyring did not keep what was written to iggy-cli-adopted-session:" in (
        result.stderr
    )
    assert_no_secret_in([token], result.stdout, result.stderr)
    sessions = cli.home / "data" / "iggy-cli" / "sessions.json"
    assert not sessions.exists() or json.loads(sessions.read_text()) == {}
    # the user's token is theirs and still works; nothing claims to be the session
    assert token_works(sandbox.url, token)
    assert cli("pat", "list", env={"IGGY_TOKEN": None}).code == 4


def rewrite(cli: Cli, sandbox: SandboxServer, secret: str) -> None:
    """Another program rewrites the entry behind the tool's back."""
    entries = json.loads(cli.keyring_file.read_text())
    entries[service(sandbox)]["deploy"] = secret
    cli.keyring_file.write_text(json.dumps(entries))


def test_pat_token_never_prints_a_copy_it_did_not_store(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    good = stored(cli, sandbox)
    assert good is not None
    damaged = good[:-1] + ("A" if not good.endswith("A") else "B")
    rewrite(cli, sandbox, damaged)
    result = cli("pat", "token", "deploy")
    assert result.code == 7 and result.stdout == "", result.stderr
    assert result.stderr.splitlines() == [
        "error: the stored copy of 'deploy' is not the one this tool stored (damaged, or "
        "rewritten by another program since); it is not printed",
        "hint: `iggy -n deploy status` tries it on the server, and keeps it if it works",
    ]
    signed = cli("-n", "deploy", "pat", "list")
    assert signed.code == 4, signed.stderr
    assert "its stored copy is not the one this tool stored" in signed.stderr
    assert_no_secret_in([good, damaged], result.stderr, signed.stdout, signed.stderr)


def test_a_rewritten_copy_the_server_accepts_is_kept(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    other = mint_token(sandbox.url, "other")  # as Iggy's own CLI would store a token there
    rewrite(cli, sandbox, other)
    signed = cli("-n", "deploy", "pat", "list", "-o", "plain")
    assert signed.code == 0, signed.stderr
    assert signed.stderr == (
        "notice: the stored copy of 'deploy' is not the one this tool stored, but the server "
        "accepts it: it is kept as the token's copy\n"
    )
    result = cli("pat", "token", "deploy", shows_token=True)
    assert (result.code, result.stdout) == (0, other + "\n"), result.stderr

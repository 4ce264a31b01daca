"""Whatever fails after the server minted a token, the raw token reaches the user once, on
stdout, and the exit code (7) says it was not stored. Each fault is injected for real: a keyring
backend that refuses, a full disk, a keyring that hangs past the timeout, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import BIN, RUNS, Cli, Result
from helpers.leaks import assert_no_secret_in
from helpers.servers import mint_token, server_tokens

from iggy_cli.sandbox.http_server import SandboxServer

FAULTY = "helpers.faulty_keyring"  # the test keyrings, loaded by name


def assert_token_handed_over(result_code: int, stdout: str, stderr: str, url: str) -> None:
    assert result_code == 7, stderr
    token = stdout.strip()
    assert stdout == token + "\n" and len(token) == 68
    assert token not in stderr
    first = stderr.splitlines()[0]
    assert first.startswith("error: token 'deploy' was created (never expires) but not stored")
    assert first.endswith("it is printed above, save it now")
    assert list(server_tokens(url)) == ["deploy"]
    # and the printed token is the real one
    from iggy_cli.server.client import IggyClient

    with IggyClient(url, timeout=5) as client:
        assert client.login_with_token(token).user_id == 0
        client.logout()


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (f"{FAULTY}.WriteFailsKeyring", "PasswordSetError: the keyring refused the write"),
        (f"{FAULTY}.DiskFullKeyring", "No space left on device"),
        (f"{FAULTY}.WriteHangsKeyring", "the keyring did not answer within 1 s (write)"),
    ],
    ids=["keyring-error", "disk-full", "keyring-timeout"],
)
def test_a_failed_store_hands_the_token_over(
    cli: Cli, sandbox: SandboxServer, backend: str, reason: str
) -> None:
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": backend, "IGGY_KEYRING_TIMEOUT": "1"}
    result = cli("pat", "create", "deploy", env=env, shows_token=True)
    assert_token_handed_over(result.code, result.stdout, result.stderr, sandbox.url)
    assert reason in result.stderr


def test_ctrl_c_while_storing_hands_the_token_over(cli: Cli, sandbox: SandboxServer) -> None:
    env = {
        **cli.env,
        **cli.as_admin(),
        "PYTHON_KEYRING_BACKEND": f"{FAULTY}.WriteHangsKeyring",
        "IGGY_KEYRING_TIMEOUT": "60",
    }
    child = subprocess.Popen(
        [str(BIN / "iggy"), "pat", "create", "deploy"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while "deploy" not in server_tokens(sandbox.url):  # minted: now it hangs in the keyring
        assert time.monotonic() < deadline, "the token was never minted"
        time.sleep(0.05)
    time.sleep(0.3)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=20)
    assert_token_handed_over(child.returncode, stdout, stderr, sandbox.url)
    assert "storing it was interrupted (Ctrl-C)" in stderr


def test_a_hung_keyring_is_answered_within_the_timeout(cli: Cli) -> None:
    env = {"PYTHON_KEYRING_BACKEND": f"{FAULTY}.HangsKeyring", "IGGY_KEYRING_TIMEOUT": "1"}
    started = time.monotonic()
    result = cli("pat", "list", env=env)  # looks for a session in the keyring
    elapsed = time.monotonic() - started
    assert result.code == 4
    assert "the keyring did not answer within 1 s (read)" in result.stderr
    assert elapsed < 15


# --- faults injected from outside: signals, keyrings that keep nothing, nowhere to print ------

SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]
SIGNAL_IDS = ["SIGTERM", "SIGHUP", "SIGINT"]
SAID = {signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP", signal.SIGINT: "Ctrl-C"}


def merged(cli: Cli, env: dict[str, str | None]) -> dict[str, str]:
    combined: dict[str, str | None] = {**cli.env, **env}
    return {key: value for key, value in combined.items() if value is not None}


def start(
    cli: Cli, *args: str, env: dict[str, str | None], **streams: Any
) -> subprocess.Popen[str]:
    streams.setdefault("stdout", subprocess.PIPE)
    return subprocess.Popen(
        [str(BIN / "iggy"), *args],
        env=merged(cli, env),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        **streams,
    )


def finish(
    child: subprocess.Popen[str], args: tuple[str, ...], shows_token: bool = False
) -> Result:
    """Wait for the child and record its output for the suite-wide leak scan."""
    stdout, stderr = child.communicate(timeout=60)
    result = Result(child.returncode, stdout or "", stderr)
    RUNS.append((args, result, shows_token))
    return result


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr and all(
        line.startswith(("error: ", "hint: ")) for line in lines
    ), stderr
    return lines[0]


@pytest.mark.parametrize("number", SIGNALS, ids=SIGNAL_IDS)
def test_a_signal_while_storing_hands_the_token_over(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path, number: signal.Signals
) -> None:
    # `timeout 4 iggy pat create deploy` with a keyring slower than 4 s once exited 143 with
    # empty stdout: the token was lost. Now the signal is handled as Ctrl-C is.
    entered = tmp_path / "storing"
    env: dict[str, str | None] = {
        **cli.as_admin(),
        "PYTHON_KEYRING_BACKEND": f"{FAULTY}.SlowKeyring",
        "FAULTY_KEYRING_ENTERED": str(entered),
        "IGGY_KEYRING_TIMEOUT": "60",
    }
    args = ("pat", "create", "deploy")
    child = start(cli, *args, env=env)
    wait_for(entered.exists, "the keyring write to begin")
    child.send_signal(number)
    result = finish(child, args, shows_token=True)
    assert_token_handed_over(result.code, result.stdout, result.stderr, sandbox.url)
    assert f"storing it was interrupted ({SAID[number]})" in result.stderr
    assert_no_secret_in([result.stdout.strip()], result.stderr)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=SIGNAL_IDS[:2])
def test_a_signal_while_the_session_is_stored_leaves_nothing_on_the_server(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path, number: signal.Signals
) -> None:
    entered = tmp_path / "storing"
    env: dict[str, str | None] = {
        **cli.as_admin(),
        "PYTHON_KEYRING_BACKEND": f"{FAULTY}.SlowKeyring",
        "FAULTY_KEYRING_ENTERED": str(entered),
        "IGGY_KEYRING_TIMEOUT": "60",
    }
    child = start(cli, "login", env=env)
    wait_for(entered.exists, "the keyring write to begin")
    child.send_signal(number)
    result = finish(child, ("login",))
    assert result.code == 7, result.stderr
    line = one_error_line(result.stderr)
    assert f"could not keep the session (interrupted ({SAID[number]}))" in line
    assert "its token was deleted on the server" in line
    assert server_tokens(sandbox.url) == {}
    assert result.stdout == ""


@pytest.mark.parametrize("number", SIGNALS, ids=SIGNAL_IDS)
def test_a_signal_while_the_create_request_is_in_flight_says_how_to_check(
    cli: Cli, sandbox: SandboxServer, number: signal.Signals
) -> None:
    # The server carries the create out and holds its answer: the token exists, its secret
    # never arrives. The message must say so, and its advice must work.
    sandbox.lose_answer("POST", "/personal-access-tokens", mode="hold")
    args = ("--timeout", "60", "pat", "create", "deploy", "30d")
    child = start(cli, *args, env=cli.as_admin())
    wait_for(lambda: "deploy" in server_tokens(sandbox.url), "the server to create the token")
    child.send_signal(number)
    result = finish(child, args)
    assert result.code == 128 + number, result.stderr
    assert result.stdout == ""
    assert one_error_line(result.stderr) == (
        f"error: interrupted ({SAID[number]}) while the server was creating token 'deploy': "
        "it may now exist on the server"
    )
    assert "hint: check with `iggy pat list`" in result.stderr
    # the advice, followed
    listed = cli("pat", "list", "-o", "plain", env=cli.as_admin())
    assert listed.stdout.splitlines() == ["deploy"]
    assert cli("pat", "delete", "deploy", "--yes", env=cli.as_admin()).code == 0
    assert server_tokens(sandbox.url) == {}


NULL_KEYRING = "keyring.backends.null.Keyring"


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("PYTHON_KEYRING_BACKEND", "the null keyring (chosen by PYTHON_KEYRING_BACKEND)"),
        ("keyringrc.cfg", "the null keyring (chosen in keyringrc.cfg)"),
        ("forgetful", f"{FAULTY}.ForgetfulKeyring keeps nothing"),
    ],
    ids=["null-by-variable", "null-by-keyringrc", "writes-not-kept"],
)
@pytest.mark.parametrize("command", [("pat", "create", "deploy", "30d"), ("login",)])
def test_a_keyring_that_keeps_nothing_is_no_keyring(
    cli: Cli, sandbox: SandboxServer, how: str, message: str, command: tuple[str, ...]
) -> None:
    env: dict[str, str | None] = {**cli.as_admin()}
    if how == "PYTHON_KEYRING_BACKEND":
        env[how] = NULL_KEYRING
    elif how == "keyringrc.cfg":
        # what `keyring --disable` writes, and what CI advice for pip and poetry leads to
        config = cli.home / "config" / "python_keyring" / "keyringrc.cfg"
        config.parent.mkdir(parents=True)
        config.write_text(f"[backend]\ndefault-keyring={NULL_KEYRING}\n")
        env["PYTHON_KEYRING_BACKEND"] = None
    else:
        env["PYTHON_KEYRING_BACKEND"] = f"{FAULTY}.ForgetfulKeyring"
    result = cli(*command, env=env)
    assert result.code == 7, result.stderr
    assert message in one_error_line(result.stderr)
    assert "--store file" in result.stderr
    assert result.stdout == ""
    assert server_tokens(sandbox.url) == {}  # refused before anything was minted
    if command == ("login",):
        after = cli("pat", "list", env={"PYTHON_KEYRING_BACKEND": env["PYTHON_KEYRING_BACKEND"]})
        assert after.code in (4, 7) and "Created" not in after.stderr


def test_a_keyring_that_hangs_on_the_check_fails_before_minting(
    cli: Cli, sandbox: SandboxServer
) -> None:
    env = {
        **cli.as_admin(),
        "PYTHON_KEYRING_BACKEND": f"{FAULTY}.HangsKeyring",
        "IGGY_KEYRING_TIMEOUT": "1",
    }
    result = cli("pat", "create", "deploy", env=env)
    assert result.code == 7
    assert one_error_line(result.stderr) == "error: the keyring did not answer within 1 s (check)"
    assert server_tokens(sandbox.url) == {}


# Where stdout goes, as a shell would set it up: closed (`>&-`), full (`>/dev/full`), or a
# pipe whose reader is gone (`| true` that has already exited).
STDOUTS = ["closed", "full", "broken-pipe"]


def run_with_stdout(
    cli: Cli, where: str, args: tuple[str, ...], env: dict[str, str | None]
) -> Result:
    if where == "closed":
        # exec'd with fd 1 closed; Python then has sys.stdout None
        script = 'exec "$0" "$@" >&-'
        child = subprocess.Popen(
            ["sh", "-c", script, str(BIN / "iggy"), *args],
            env=merged(cli, env),
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        return finish(child, args)
    if where == "full":
        with open("/dev/full", "w") as full:
            return finish(start(cli, *args, env=env, stdout=full), args)
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return finish(start(cli, *args, env=env, stdout=writer), args)
    finally:
        os.close(writer)


@pytest.mark.parametrize("where", STDOUTS)
@pytest.mark.parametrize(
    "store", ["no-store", "store-fails"], ids=["--no-store", "keyring-write-fails"]
)
def test_a_token_that_can_be_neither_stored_nor_shown_is_deleted_on_the_server(
    cli: Cli, sandbox: SandboxServer, where: str, store: str
) -> None:
    args: tuple[str, ...] = ("pat", "create", "deploy", "30d")
    env = cli.as_admin()
    if store == "no-store":
        args = (*args, "--no-store")
    else:
        env["PYTHON_KEYRING_BACKEND"] = f"{FAULTY}.WriteFailsKeyring"
    result = run_with_stdout(cli, where, args, env)
    line = one_error_line(result.stderr)
    assert server_tokens(sandbox.url) == {}
    if where == "closed" and store == "no-store":
        # checked before anything was minted
        assert result.code == 2
        assert line == (
            "error: stdout is closed: a new token that is not stored would have nowhere to go"
        )
        assert not [r for r in sandbox.requests if r.method == "POST" and "token" in r.path]
        return
    assert result.code == 7, result.stderr
    assert line.startswith("error: token 'deploy' was created but could ")
    assert line.endswith("; it was deleted on the server")
    reason = {
        "closed": "cannot write to stdout: it is closed",
        "full": "cannot write to stdout: No space left on device",
        "broken-pipe": "stdout's reader went away",
    }[where]
    assert f"shown ({reason})" in line
    assert cli.keyring() == {}


@pytest.mark.parametrize("where", ["closed", "full"])
def test_a_stored_token_needs_no_stdout(cli: Cli, sandbox: SandboxServer, where: str) -> None:
    args = ("pat", "create", "deploy", "30d")
    result = run_with_stdout(cli, where, args, cli.as_admin())
    assert (result.code, result.stdout) == (0, "")
    assert result.stderr.startswith("Created token 'deploy'")
    assert list(server_tokens(sandbox.url)) == ["deploy"]
    assert list(cli.keyring()[f"iggy:{sandbox.url.removeprefix('http://')}"]) == ["deploy"]


def test_a_broken_pipe_ends_a_listing_quietly_with_141(cli: Cli, sandbox: SandboxServer) -> None:
    for index in range(5):
        mint_token(sandbox.url, f"token-{index}")
    result = run_with_stdout(cli, "broken-pipe", ("pat", "list", "-o", "plain"), cli.as_admin())
    assert (result.code, result.stderr) == (141, "")


def test_pat_list_into_head_ends_quietly(cli: Cli, sandbox: SandboxServer) -> None:
    # Whether `head` has gone by the second write is a race: either way, no message and no 1.
    for index in range(40):
        mint_token(sandbox.url, f"token-{index:02}")
    pipeline = f'set -o pipefail; "{BIN / "iggy"}" pat list -o plain | head -1'
    for _ in range(3):
        done = subprocess.run(
            ["bash", "-c", pipeline],
            env=merged(cli, cli.as_admin()),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode in (0, 141) and done.stderr == ""
        assert done.stdout == "token-00\n"

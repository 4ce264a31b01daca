"""Whatever fails after the server minted a token, the raw token reaches the user once, on
stdout, and the exit code (7) says it was not stored. Each fault is injected for real: a keyring
backend that refuses, a full disk, a keyring that hangs past the timeout, and Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from conftest import BIN, Cli, server_tokens

from iggy_cli.sandbox.server import SandboxServer


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
    from iggy_cli.client import IggyClient

    with IggyClient(url, timeout=5) as client:
        assert client.login_with_token(token).user_id == 0
        client.logout()


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        ("faulty_keyring.WriteFailsKeyring", "PasswordSetError: the keyring refused the write"),
        ("faulty_keyring.DiskFullKeyring", "No space left on device"),
        ("faulty_keyring.WriteHangsKeyring", "the keyring did not answer within 1 s (write)"),
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
        "PYTHON_KEYRING_BACKEND": "faulty_keyring.WriteHangsKeyring",
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
    env = {"PYTHON_KEYRING_BACKEND": "faulty_keyring.HangsKeyring", "IGGY_KEYRING_TIMEOUT": "1"}
    started = time.monotonic()
    result = cli("pat", "list", env=env)  # looks for a session in the keyring
    elapsed = time.monotonic() - started
    assert result.code == 4
    assert "the keyring did not answer within 1 s (read)" in result.stderr
    assert elapsed < 15

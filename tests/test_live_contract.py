"""The live contract test (tests/test_live.py, `make test-live`) run against the sandbox, so
it keeps passing where it can be run: `make test-live` itself, in a child process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers.servers import mint_token, server_tokens

from iggy_cli.sandbox.http_server import SandboxServer

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize(
    ("found", "outcome"),
    [
        (["already-here"], "2 passed"),
        # A session token `iggy login` would replace: the login step is skipped, not run.
        (["already-here", "iggy-cli-session"], "1 passed, 1 skipped"),
    ],
)
def test_the_live_contract_passes_and_leaves_the_token_list_as_found(
    sandbox: SandboxServer, found: list[str], outcome: str
) -> None:
    for name in found:
        mint_token(sandbox.url, name, expiry_us=3_600_000_000)
    before = server_tokens(sandbox.url)
    env = {
        **os.environ,
        "IGGY_LIVE": "1",
        "IGGY_URL": sandbox.url,
        "IGGY_USERNAME": "iggy",
        "IGGY_PASSWORD": "iggy",
    }
    done = subprocess.run(
        ["make", "--no-print-directory", "test-live"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert f" {outcome} in " in done.stdout.splitlines()[-1], done.stdout[-3000:]
    assert server_tokens(sandbox.url) == before

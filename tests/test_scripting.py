"""The chores scripts do: pat token, pat list --expiring-within/--expired, pat prune, and a
whole CI-style flow in bash with `set -euo pipefail` and no terminal."""

from __future__ import annotations

import subprocess
import time

from helpers.cli import BIN, Cli
from helpers.servers import mint_token, server_tokens

from iggy_cli.sandbox.http_server import SandboxServer

DAY_US = 86_400 * 1_000_000


def test_pat_token_prints_the_stored_token_only(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0
    stored = cli.keyring()[f"iggy:{sandbox.url.removeprefix('http://')}"]["deploy"]
    printed = cli("pat", "token", "deploy", shows_token=True)
    assert (printed.code, printed.stdout, printed.stderr) == (0, stored + "\n", "")
    missing = cli("pat", "token", "nothing")
    assert missing.code == 5 and missing.stdout == ""


def some_tokens(sandbox: SandboxServer) -> None:
    mint_token(sandbox.url, "soon", expiry_us=DAY_US)
    mint_token(sandbox.url, "later", expiry_us=30 * DAY_US)
    mint_token(sandbox.url, "forever")
    mint_token(sandbox.url, "gone", expiry_us=1)
    time.sleep(0.01)


def test_expiring_within_lists_only_those_and_exits_8(cli: Cli, sandbox: SandboxServer) -> None:
    some_tokens(sandbox)
    result = cli("pat", "list", "--expiring-within", "7d", "-o", "json", env=cli.as_admin())
    assert result.code == 8
    assert [row["name"] for row in result.json] == ["soon"]  # type: ignore[attr-defined]
    assert result.stderr == "attention: 1 token needs attention (exit code 8)\n"
    calm = cli("pat", "list", "--expiring-within", "12h", "-o", "json", env=cli.as_admin())
    assert (calm.code, calm.stdout) == (0, "[]\n")


def test_expired_lists_only_expired_ones(cli: Cli, sandbox: SandboxServer) -> None:
    some_tokens(sandbox)
    result = cli("pat", "list", "--expired", env=cli.as_admin())
    assert result.code == 8
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["gone"]


def test_a_bad_window_is_a_usage_error(cli: Cli) -> None:
    result = cli("pat", "list", "--expiring-within", "soon", env=cli.as_admin())
    assert result.code == 2 and "cannot read expiry 'soon'" in result.stderr


def test_prune_expired_with_and_without_dry_run(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "brief", "1ms", env=cli.as_admin()).code == 0
    mint_token(sandbox.url, "forever")
    time.sleep(0.01)
    dry = cli("pat", "prune", "--expired", "--dry-run", "-o", "json", env=cli.as_admin())
    assert dry.json == {
        "expired": ["brief"],
        "orphans": [],
        "stand_ins": [],
        "retired": [],
        "dry_run": True,
    }
    assert sorted(server_tokens(sandbox.url)) == ["brief", "forever"]
    real = cli("pat", "prune", "--yes", "--expired", env=cli.as_admin())
    assert (real.code, real.stderr) == (0, "Deleted expired token 'brief'.\n")
    assert list(server_tokens(sandbox.url)) == ["forever"]
    assert cli.keyring() == {}


def test_prune_orphans_removes_copies_the_server_lacks(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "kept", env=cli.as_admin()).code == 0
    assert cli("pat", "create", "orphan", env=cli.as_admin()).code == 0
    from iggy_cli.server.client import IggyClient

    with IggyClient(sandbox.url, timeout=5) as client:  # deleted elsewhere, not through us
        client.login_with_password("iggy", "iggy")
        client.delete_token("orphan")
    pruned = cli("pat", "prune", "--yes", "--orphans", env=cli.as_admin())
    assert pruned.code == 0, pruned.stderr
    assert "Removed the stored copy of 'orphan'" in pruned.stderr
    assert list(cli.keyring()[f"iggy:{sandbox.url.removeprefix('http://')}"]) == ["kept"]


def test_prune_alone_removes_only_leftover_stand_ins(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "brief", "1ms", env=cli.as_admin()).code == 0
    time.sleep(0.01)
    result = cli("pat", "prune", "--yes", env=cli.as_admin())
    assert (result.code, result.stderr) == (0, "Nothing to prune.\n")
    assert list(server_tokens(sandbox.url)) == ["brief"]  # expired, but not asked for


def test_rotate_through_the_console_script(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", "30d", env=cli.as_admin()).code == 0
    before = cli("pat", "token", "deploy", shows_token=True).stdout
    rotated = cli("pat", "rotate", "deploy", env=cli.as_admin())
    assert rotated.code == 0, rotated.stderr
    assert rotated.stderr.startswith("Rotated 'deploy': a new secret is stored and expires ")
    assert rotated.stderr.endswith(" UTC (in 30 days); the old one no longer works.\n")
    after = cli("pat", "token", "deploy", shows_token=True).stdout
    assert after != before
    assert cli("pat", "list", env={"IGGY_TOKEN": after.strip()}).code == 0
    assert cli("pat", "list", env={"IGGY_TOKEN": before.strip()}).code == 4
    assert list(server_tokens(sandbox.url)) == ["deploy"]


CI_SCRIPT = r"""
set -euo pipefail
# log in from the environment, no terminal anywhere
iggy -u "$CI_USER" --password-stdin login 10m <<< "$CI_PASSWORD"
iggy pat create ci-deploy 2d -q
TOKEN=$(iggy pat token ci-deploy)
IGGY_TOKEN="$TOKEN" iggy pat list -o json > listed.json
grep -q '"name": "ci-deploy"' listed.json
# something expires within a week: the check must say so with exit 8
set +e
iggy pat list --expiring-within 7d -o json > expiring.json
status=$?
set -e
test "$status" -eq 8
grep -q ci-deploy expiring.json
iggy pat rotate ci-deploy
NEW=$(iggy pat token ci-deploy)
test "$NEW" != "$TOKEN"
IGGY_TOKEN="$NEW" iggy pat list -q -o json > /dev/null
iggy pat create ci-brief 1ms -q
sleep 0.05
iggy pat prune --expired --yes -o json > pruned.json
grep -q ci-brief pruned.json
iggy pat delete ci-deploy --yes
iggy logout
echo FLOW-OK
"""


def test_a_ci_flow_in_bash_without_a_terminal(cli: Cli, sandbox: SandboxServer) -> None:
    env = {**cli.env, "CI": "true", "CI_USER": "iggy", "CI_PASSWORD": "iggy"}
    env["PATH"] = f"{BIN}:{env['PATH']}"
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", CI_SCRIPT],
        cwd=cli.home,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("FLOW-OK")
    assert server_tokens(sandbox.url) == {}
    assert cli.keyring() == {}


def test_rotating_the_session_token_keeps_the_session_working(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0
    assert cli("pat", "login", "deploy").code == 0
    assert cli("pat", "rotate", "deploy").code == 0  # signed in with the session itself
    listed = cli("pat", "list", "-o", "plain")
    assert (listed.code, listed.stdout) == (0, "deploy\n")

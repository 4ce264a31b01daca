"""pat rotate through the console script, with the server acting and its answer lost at each
step, a keyring that refuses or hangs on cue, and real signals sent to the real process.

Each case then follows every piece of advice the tool printed (each `iggy ...` command quoted
in backticks on stderr), as a user would, and checks after every run that the stored copy is
a token that works. At the end the server has exactly the rotated token: no stand-in is left.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers.cli import BIN, RUNS, Cli, Result
from helpers.servers import MINTED, server_tokens, token_works

from iggy_cli.sandbox.http_server import SandboxServer

TOKENS = "/personal-access-tokens"
CUE = "helpers.cue_keyring.CueKeyring"
ADVICE = re.compile(r"`(iggy [^`]+)`")


def service(sandbox: SandboxServer) -> str:
    return "iggy:" + sandbox.url.removeprefix("http://")


def stored(cli: Cli, sandbox: SandboxServer) -> str | None:
    return cli.keyring().get(service(sandbox), {}).get("deploy")


def journal(cli: Cli) -> dict[str, object]:
    path = cli.home / "data" / "iggy-cli" / "rotations.json"
    document: dict[str, object] = json.loads(path.read_text()) if path.exists() else {}
    return document


def start(cli: Cli, sandbox: SandboxServer) -> str:
    """`deploy`, created and stored through the tool, as a user has it before rotating."""
    created = cli("pat", "create", "deploy", "30d", env=cli.as_admin())
    assert created.code == 0, created.stderr
    old = stored(cli, sandbox)
    assert old is not None and token_works(sandbox.url, old)
    return old


def follow_advice(cli: Cli, sandbox: SandboxServer, first: Result) -> list[Result]:
    """Run each `iggy ...` the tool advised, in order, and whatever those runs advise in turn,
    checking after each that a working token is stored."""
    runs, todo = [], ADVICE.findall(first.stderr)
    while todo:
        assert len(runs) < 6, f"advice never ends: {[run.stderr for run in runs]}"
        args = shlex.split(todo.pop(0))[1:]
        result = cli(*args, env=cli.as_admin())
        runs.append(result)
        assert token_works(sandbox.url, stored(cli, sandbox)), (args, result.stderr)
        if result.code != 0:
            todo = ADVICE.findall(result.stderr) + todo
        else:
            todo += [item for item in ADVICE.findall(result.stderr) if item not in todo]
    return runs


def assert_rotated_cleanly(cli: Cli, sandbox: SandboxServer, old: str) -> None:
    new = stored(cli, sandbox)
    assert new is not None and new != old
    assert token_works(sandbox.url, new) and not token_works(sandbox.url, old)
    assert list(server_tokens(sandbox.url)) == ["deploy"]  # no stand-in, no second token
    assert journal(cli) == {}


# --- an answer lost after the server acted, at each step ------------------------------------

# step: (method, path, skip, [exit code with mode "close", with mode "hold"])
# With "close" an idempotent request on a kept-alive connection is sent again once (the
# transport's rule), so a lost DELETE or GET there is repeated and answered: 404 for a DELETE,
# which the rotation takes as "gone".
LOST = {
    "list": ("GET", TOKENS, 0, [0, 6]),
    "mint-stand-in": ("POST", TOKENS, 0, [6, 6]),
    "check-stand-in": ("POST", f"{TOKENS}/login", 0, [6, 6]),
    "check-stand-in-logout": ("DELETE", "/users/logout", 0, [0, 0]),
    "delete-old": ("DELETE", f"{TOKENS}/deploy", 0, [0, 0]),
    "mint-new": ("POST", TOKENS, 1, [9, 9]),  # the new token may exist: an unknown outcome
    "drop-stand-in": ("DELETE", f"{TOKENS}/iggy-cli-standin-*", 0, [0, 0]),
    "logout": ("DELETE", "/users/logout", 1, [0, 0]),
}
CASES = [(step, mode) for step in LOST for mode in ("close", "hold")]


@pytest.mark.parametrize(("step", "mode"), CASES, ids=[f"{s}-{m}" for s, m in CASES])
def test_an_answer_lost_at_any_step_strands_no_one(
    cli: Cli, sandbox: SandboxServer, step: str, mode: str
) -> None:
    old = start(cli, sandbox)
    method, path, skip, codes = LOST[step]
    sandbox.lose_answer(method, path, mode=mode, skip=skip)  # type: ignore[arg-type]
    timeout = ("--timeout", "1") if mode == "hold" else ()  # the held answer waits it out
    first = cli(*timeout, "pat", "rotate", "deploy", env=cli.as_admin())
    assert first.code == codes[mode == "hold"], first.stderr
    assert token_works(sandbox.url, stored(cli, sandbox)), first.stderr
    if first.code != 0:
        assert first.stderr.startswith("error: "), first.stderr
        assert "Traceback" not in first.stderr
    runs = follow_advice(cli, sandbox, first)
    if step == "list" and mode == "hold":
        # Nothing had started: the tool says the server did not answer, and nothing changed.
        assert runs == [] and stored(cli, sandbox) == old
        assert list(server_tokens(sandbox.url)) == ["deploy"] and journal(cli) == {}
        return
    assert [run.code for run in runs[-1:]] in ([], [0]), [run.stderr for run in runs]
    if first.code != 0:
        assert runs and "iggy pat rotate deploy" in first.stderr  # it said how to finish
    assert_rotated_cleanly(cli, sandbox, old)


def test_a_lost_delete_of_the_old_token_is_not_undone(cli: Cli, sandbox: SandboxServer) -> None:
    """The server deleted the old token but the answer never came: putting the old secret back
    would store a dead token, so the rotation checks the list and carries on."""
    old = start(cli, sandbox)
    sandbox.lose_answer("DELETE", f"{TOKENS}/deploy", mode="hold")
    result = cli("--timeout", "1", "pat", "rotate", "deploy", env=cli.as_admin())
    assert (result.code, result.stderr.count("error")) == (0, 0), result.stderr
    assert_rotated_cleanly(cli, sandbox, old)


def test_a_refused_delete_puts_the_old_token_back(cli: Cli, sandbox: SandboxServer) -> None:
    old = start(cli, sandbox)
    sandbox.answer_with("DELETE", f"{TOKENS}/deploy", 503, "try later")
    result = cli("pat", "rotate", "deploy", env=cli.as_admin())
    assert result.code == 6
    assert "the stored copy is the old token again" in result.stderr
    assert stored(cli, sandbox) == old and list(server_tokens(sandbox.url)) == ["deploy"]
    assert journal(cli) == {}
    follow_advice(cli, sandbox, result)
    assert_rotated_cleanly(cli, sandbox, old)


def test_a_new_token_minted_with_its_answer_lost_is_replaced(
    cli: Cli, sandbox: SandboxServer
) -> None:
    """The server made the new `deploy` but its secret never arrived: the stored copy is the
    stand-in, and running the rotation again deletes that `deploy` and mints another."""
    old = start(cli, sandbox)
    sandbox.lose_answer("POST", TOKENS, skip=1)
    first = cli("pat", "rotate", "deploy", env=cli.as_admin())
    assert first.code == 9
    assert "the stored copy is the stand-in 'iggy-cli-standin-" in first.stderr
    assert "which works until " in first.stderr
    listed = sorted(server_tokens(sandbox.url))
    assert listed[0] == "deploy" and listed[1].startswith("iggy-cli-standin-")
    expiry = server_tokens(sandbox.url)[listed[1]]
    assert expiry is not None  # a stand-in always ends, 10 minutes after it was made
    assert abs(expiry / 1e6 - time.time() - 600) < 120
    again = cli("pat", "rotate", "deploy", env=cli.as_admin())
    assert again.code == 0, again.stderr
    assert again.stderr.startswith("Resumed an interrupted rotation of 'deploy': the stored ")
    assert_rotated_cleanly(cli, sandbox, old)


# --- the keyring refuses ---------------------------------------------------------------------


def test_a_new_token_that_cannot_be_stored_is_printed(cli: Cli, sandbox: SandboxServer) -> None:
    old = start(cli, sandbox)
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": CUE, "CUE_KEYRING_WRITES": "2=raise"}
    first = cli("pat", "rotate", "deploy", env=env, shows_token=True)
    assert first.code == 7, first.stderr
    printed = first.stdout.strip()
    assert first.stdout == printed + "\n" and token_works(sandbox.url, printed)
    lines = first.stderr.splitlines()
    assert lines[0].startswith("error: rotation of 'deploy': the new token was created (ends ")
    assert "it is printed above, save it now; the stored copy is the stand-in" in lines[0]
    assert "PasswordSetError: the keyring refused the write" in lines[0]
    assert printed not in first.stderr
    assert token_works(sandbox.url, stored(cli, sandbox)) and stored(cli, sandbox) != printed
    follow_advice(cli, sandbox, first)
    assert_rotated_cleanly(cli, sandbox, old)


@pytest.mark.parametrize(
    ("redirect", "failure"),
    [
        (">/dev/full", "cannot write to stdout: No space left on device"),
        (">&-", "cannot write to stdout: it is closed"),
    ],
    ids=["full", "closed"],
)
def test_a_new_token_that_can_be_neither_stored_nor_printed(
    cli: Cli, sandbox: SandboxServer, redirect: str, failure: str
) -> None:
    old = start(cli, sandbox)
    env = {
        **cli.env,
        **cli.as_admin(),
        "PYTHON_KEYRING_BACKEND": CUE,
        "CUE_KEYRING_WRITES": "2=raise",
    }
    done = subprocess.run(
        ["sh", "-c", f'exec "$0" pat rotate deploy {redirect}', str(BIN / "iggy")],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    first = Result(done.returncode, "", done.stderr)
    RUNS.append((("pat", "rotate", "deploy"), first, False))
    assert first.code == 7, first.stderr
    assert f"printing it failed too ({failure}), so the tool deleted it on the server" in (
        first.stderr
    )
    assert "the stored copy is the stand-in" in first.stderr
    assert len(first.stderr.splitlines()) == 2  # the error and its hint, nothing else
    assert "deploy" not in server_tokens(sandbox.url)  # the token nobody has is gone
    assert token_works(sandbox.url, stored(cli, sandbox))
    follow_advice(cli, sandbox, first)
    assert_rotated_cleanly(cli, sandbox, old)


def test_a_stand_in_that_cannot_be_stored(cli: Cli, sandbox: SandboxServer) -> None:
    old = start(cli, sandbox)
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": CUE, "CUE_KEYRING_WRITES": "1=raise"}
    first = cli("pat", "rotate", "deploy", env=env)
    assert first.code == 7 and stored(cli, sandbox) == old
    assert "failed at storing the stand-in" in first.stderr
    assert first.stdout == ""
    follow_advice(cli, sandbox, first)
    assert_rotated_cleanly(cli, sandbox, old)


# --- signals ----------------------------------------------------------------------------------


def spawn(cli: Cli, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "iggy"), *args],
        env={**cli.env, **cli.as_admin(), **env},  # type: ignore[dict-item]
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)
    time.sleep(0.2)  # well inside the call now


def finish(child: subprocess.Popen[str], args: tuple[str, ...]) -> Result:
    stdout, stderr = child.communicate(timeout=30)
    result = Result(child.returncode, stdout, stderr)
    RUNS.append((args, result, True))  # the leak scan: stdout may hold the printed token
    return result


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


@pytest.mark.parametrize("signum", SIGNALS, ids=[s.name for s in SIGNALS])
def test_a_signal_while_storing_the_new_token_prints_it(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path, signum: signal.Signals
) -> None:
    old = start(cli, sandbox)
    mark = tmp_path / "hanging"
    env = {
        "PYTHON_KEYRING_BACKEND": CUE,
        "CUE_KEYRING_WRITES": "2=hang",
        "CUE_KEYRING_MARK": str(mark),
        "IGGY_KEYRING_TIMEOUT": "60",
    }
    args = ("pat", "rotate", "deploy")
    child = spawn(cli, env, *args)
    wait_for(mark.exists, "the new token's write")
    child.send_signal(signum)
    first = finish(child, args)
    assert first.code == 7, first.stderr
    printed = first.stdout.strip()
    assert (
        first.stdout == printed + "\n" and printed in MINTED and token_works(sandbox.url, printed)
    )
    words = "Ctrl-C" if signum == signal.SIGINT else signum.name
    assert f"but not stored: interrupted ({words})" in first.stderr
    assert "the stored copy is the stand-in 'iggy-cli-standin-" in first.stderr
    assert token_works(sandbox.url, stored(cli, sandbox))
    follow_advice(cli, sandbox, first)
    assert_rotated_cleanly(cli, sandbox, old)


def test_sigterm_while_storing_the_stand_in(
    cli: Cli, sandbox: SandboxServer, tmp_path: Path
) -> None:
    old = start(cli, sandbox)
    mark = tmp_path / "hanging"
    env = {
        "PYTHON_KEYRING_BACKEND": CUE,
        "CUE_KEYRING_WRITES": "1=hang",
        "CUE_KEYRING_MARK": str(mark),
        "IGGY_KEYRING_TIMEOUT": "60",
    }
    args = ("pat", "rotate", "deploy")
    child = spawn(cli, env, *args)
    wait_for(mark.exists, "the stand-in's write")
    child.send_signal(signal.SIGTERM)
    first = finish(child, args)
    assert (first.code, first.stdout) == (143, ""), first.stderr
    assert "failed at storing the stand-in: interrupted (SIGTERM)" in first.stderr
    assert stored(cli, sandbox) == old
    follow_advice(cli, sandbox, first)
    assert_rotated_cleanly(cli, sandbox, old)


def test_sigterm_while_deleting_the_old_token(cli: Cli, sandbox: SandboxServer) -> None:
    """The DELETE is carried out but its answer held back; SIGTERM arrives while waiting."""
    old = start(cli, sandbox)
    sandbox.lose_answer("DELETE", f"{TOKENS}/deploy", mode="hold")
    args = ("pat", "rotate", "deploy")
    child = spawn(cli, {}, *args)
    wait_for(lambda: "deploy" not in server_tokens(sandbox.url), "the delete")
    child.send_signal(signal.SIGTERM)
    first = finish(child, args)
    assert first.code == 143, first.stderr
    assert "failed at deleting the old token: interrupted (SIGTERM)" in first.stderr
    assert "the stored copy is the stand-in" in first.stderr
    assert token_works(sandbox.url, stored(cli, sandbox))
    follow_advice(cli, sandbox, first)
    assert_rotated_cleanly(cli, sandbox, old)


# --- pat prune and the journal ----------------------------------------------------------------


def test_prune_removes_a_leftover_stand_in_but_keeps_one_in_use(
    cli: Cli, sandbox: SandboxServer
) -> None:
    start(cli, sandbox)
    assert cli("pat", "create", "other", "30d", env=cli.as_admin()).code == 0
    # `deploy`: stopped with its stand-in stored (needed); `other`: stopped before (leftover)
    sandbox.lose_answer("POST", TOKENS, skip=1)
    assert cli("pat", "rotate", "deploy", env=cli.as_admin()).code == 9
    env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": CUE, "CUE_KEYRING_WRITES": "1=raise"}
    assert cli("pat", "rotate", "other", env=env).code == 7
    stand_ins = sorted(name for name in server_tokens(sandbox.url) if "standin" in name)
    assert len(stand_ins) == 2
    in_use = journal(cli)[sandbox.url.removeprefix("http://")]["deploy"]["stand_in"]  # type: ignore[index]
    leftover = next(name for name in stand_ins if name != in_use)

    dry = cli("pat", "prune", "--dry-run", "-o", "json", env=cli.as_admin())
    assert dry.json == {
        "expired": [],
        "orphans": [],
        "stand_ins": [leftover],
        "retired": [],
        "dry_run": True,
    }
    assert len([name for name in server_tokens(sandbox.url) if "standin" in name]) == 2
    pruned = cli("pat", "prune", "--yes", env=cli.as_admin())
    assert (pruned.code, pruned.stderr) == (
        0,
        f"Deleted the leftover rotation stand-in {leftover!r}.\n",
    )
    assert sorted(server_tokens(sandbox.url)) == sorted(["deploy", "other", in_use])
    assert token_works(sandbox.url, stored(cli, sandbox))  # deploy's stored copy: the stand-in
    finished = cli("pat", "rotate", "deploy", env=cli.as_admin())
    assert finished.code == 0, finished.stderr
    assert sorted(server_tokens(sandbox.url)) == ["deploy", "other"]
    assert journal(cli) == {}


def test_prune_leaves_a_never_expiring_namesake_alone(cli: Cli, sandbox: SandboxServer) -> None:
    from helpers.servers import mint_token

    mint_token(sandbox.url, "iggy-cli-standin-0badc0de")  # someone's own, never expires
    result = cli("pat", "prune", "--yes", "-o", "json", env=cli.as_admin())
    assert result.json == {
        "expired": [],
        "orphans": [],
        "stand_ins": [],
        "retired": [],
        "dry_run": False,
    }
    assert list(server_tokens(sandbox.url)) == ["iggy-cli-standin-0badc0de"]


def test_the_journal_never_holds_a_secret(cli: Cli, sandbox: SandboxServer) -> None:
    start(cli, sandbox)
    sandbox.lose_answer("POST", TOKENS, skip=1)
    assert cli("pat", "rotate", "deploy", env=cli.as_admin()).code == 9
    path = cli.home / "data" / "iggy-cli" / "rotations.json"
    text = path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not any(token[:16] in text for token in MINTED)
    entry = json.loads(text)[sandbox.url.removeprefix("http://")]["deploy"]
    assert sorted(entry) == [
        "ends_at_us",
        "label",
        "lifetime_us",
        "new_sha256",
        "old_sha256",
        "stand_in",
        "stand_in_sha256",
        "started_at",
        "user_id",
    ]
    assert re.fullmatch(r"[0-9a-f]{64}", entry["stand_in_sha256"])
    assert entry["new_sha256"] is None and entry["user_id"] == 0


def test_a_token_past_its_end_needs_an_expiry_and_the_hint_gives_one(
    cli: Cli, sandbox: SandboxServer
) -> None:
    assert cli("pat", "create", "deploy", "1ms", env=cli.as_admin()).code == 0
    old = stored(cli, sandbox)
    time.sleep(0.01)
    first = cli("pat", "rotate", "deploy", env=cli.as_admin())
    assert first.code == 2 and first.stderr.splitlines()[-1] == (
        "hint: give the new token an EXPIRY, such as `iggy pat rotate deploy 30d`"
    )
    assert list(server_tokens(sandbox.url)) == ["deploy"] and journal(cli) == {}
    runs = follow_advice(cli, sandbox, first)
    assert [run.code for run in runs] == [0]
    assert runs[0].stderr.startswith("Rotated 'deploy': a new secret is stored and expires ")
    assert_rotated_cleanly(cli, sandbox, old or "")


def test_rotating_a_stand_in_is_refused(cli: Cli) -> None:
    result = cli("pat", "rotate", "iggy-cli-standin-0badc0de", env=cli.as_admin())
    assert result.code == 2
    assert result.stderr.startswith("error: 'iggy-cli-standin-0badc0de' is a stand-in")

"""The suite keeps to its own folders (issue 22, point 19): run with HOME and every XDG_*
variable pointed at an empty folder, it leaves nothing of the product's there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent
# Tests that build the app's parts with their default folders, run it in-process and run the
# console script: each wrote into the real ~/.local/share/iggy-cli/ before the suite gave every
# test a home of its own.
SAMPLE = ["test_use_cases.py", "test_status.py"]


def test_the_suite_leaves_nothing_in_the_users_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env["HOME"] = str(home)
    for variable in ("DATA_HOME", "CONFIG_HOME", "CACHE_HOME", "STATE_HOME", "RUNTIME_DIR"):
        env[f"XDG_{variable}"] = str(home)
    for variable in ("DATA_DIRS", "CONFIG_DIRS"):
        env[f"XDG_{variable}"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:randomly", *SAMPLE],
        cwd=TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(str(path.relative_to(home)) for path in home.rglob("*")) == []

"""Import discipline: the fast paths never load the heavy libraries, and a command loads only
what it uses. Each check runs in a fresh interpreter, so nothing imported by the test suite
itself can hide an import."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers.cli import BIN, Cli
from helpers.servers import mint_token

from iggy_cli.sandbox.http_server import SandboxServer

HEAVY = ("typer", "click", "rich", "httpx", "httpcore", "keyring", "platformdirs")

# Top-level names of the modules really loaded (None entries are imports blocked on purpose).
LOADED = (
    "import json; print(json.dumps(sorted({n.split('.')[0] for n, m in sys.modules.items()"
    " if m is not None})))"
)
PROBE = """
import json, sys, contextlib, io
sys.argv = ["iggy", *json.loads(sys.argv[1])]
from iggy_cli.cli import entry
with contextlib.redirect_stdout(io.StringIO()):
    try:
        entry.main()
    except SystemExit:
        pass
loaded = {name for name, module in sys.modules.items() if module is not None}
print(json.dumps(sorted(loaded)), file=sys.stderr)
"""


def loaded_by(arguments: list[str], env: dict[str, str] | None = None) -> set[str]:
    """The top-level names of the modules running `iggy ARGUMENTS` loaded."""
    return {name.split(".")[0] for name in modules_loaded_by(arguments, env)}


def modules_loaded_by(arguments: list[str], env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(arguments)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def imported_by(argv: list[str], env: dict[str, str]) -> set[str]:
    """Every module a fresh interpreter imports to run argv, as `-X importtime` reports it."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return {
        line.rpartition("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and not line.endswith("imported package")
    }


def loaded_on_import(module: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; {LOADED}"], capture_output=True, text=True
    )
    return set(json.loads(done.stdout))


def test_importing_the_entry_module_loads_nothing_heavy() -> None:
    assert not loaded_on_import("iggy_cli.cli.entry") & set(HEAVY)


def test_importing_the_app_loads_no_rich_httpx_or_keyring() -> None:
    modules = loaded_on_import("iggy_cli.cli.app")
    assert "typer" in modules
    assert not modules & {"rich", "httpx", "keyring"}


@pytest.mark.parametrize(
    ("arguments", "env"),
    [
        (["--version"], {}),
        (["--help"], {"COLUMNS": "120"}),
        (["pat", "create", "-h"], {"COLUMNS": "120"}),
        (
            [],
            {
                "_IGGY_COMPLETE": "bash_complete",
                "COMP_WORDS": "iggy pat delete ",
                "COMP_CWORD": "3",
            },
        ),
    ],
    ids=["version", "help", "command-help", "completion"],
)
def test_fast_paths_load_nothing_heavy(arguments: list[str], env: dict[str, str]) -> None:
    assert not loaded_by(arguments, env) & set(HEAVY)


# The console script pip writes imports these before it calls entry.main(), so they are the
# floor of any run; --version and --help add only the tool's own small modules to it.
CONSOLE_SCRIPT_FLOOR = "import re, sys"
FAST_PATH_MODULES = {"iggy_cli", "iggy_cli.cli", "iggy_cli.cli.entry", "iggy_cli.cli.spec_data"}


@pytest.mark.parametrize(
    "arguments",
    [["--version"], ["--help"], ["pat", "create", "-h"]],
    ids=["version", "help", "command-help"],
)
def test_version_and_help_import_nothing_beyond_the_console_script(arguments: list[str]) -> None:
    env = {"COLUMNS": "120"}  # wide enough for the generated pages
    floor = imported_by(["-c", CONSOLE_SCRIPT_FLOOR], env)
    run = imported_by([str(BIN / "iggy"), *arguments], env)
    assert run - floor <= FAST_PATH_MODULES, sorted(run - floor - FAST_PATH_MODULES)


# A TAB press reads the command tree, settings (config.toml through its companion) and the
# names index (through its companion): no json, typing, contextlib or tomllib, on a key press
# whose whole budget is a few milliseconds over the floor.
TAB_PATH_MODULES = FAST_PATH_MODULES | {
    "iggy_cli.cli.tab",
    "iggy_cli.cli.command_tree",
    "iggy_cli.state",
    "iggy_cli.state.config_file",
    "iggy_cli.state.indexes",
    "iggy_cli.errors",
    "iggy_cli.state.local_state",
    "iggy_cli.state.paths",
    "iggy_cli.settings",
    "__future__",
    "shlex",
    "math",
    "fcntl",
    "marshal",
}


def test_tab_imports_only_what_it_needs(cli: Cli, sandbox: SandboxServer) -> None:
    assert cli("pat", "create", "deploy", env=cli.as_admin()).code == 0
    assert cli("context", "create", "here", "--url", sandbox.url, "--use").code == 0
    assert cli("context", "list").code == 0  # config.toml has been read: its companion exists
    env = {key: value for key, value in cli.env.items() if key != "IGGY_URL"}
    env.update(_IGGY_COMPLETE="bash_complete", COMP_WORDS="iggy pat delete ", COMP_CWORD="3")
    floor = imported_by(["-c", CONSOLE_SCRIPT_FLOOR], env)
    run = imported_by([str(BIN / "iggy")], env)
    assert run - floor <= TAB_PATH_MODULES, sorted(run - floor - TAB_PATH_MODULES)


def test_pat_list_as_json_loads_no_rich_or_keyring(cli: Cli, sandbox: SandboxServer) -> None:
    token = mint_token(sandbox.url, "probe")
    env = {**cli.env, "IGGY_TOKEN": token}
    env.pop("PYTHONPATH")
    loaded = modules_loaded_by(["pat", "list", "-o", "json"], env)
    modules = {name.split(".")[0] for name in loaded}
    assert {"typer", "httpx", "httpcore"} <= modules
    assert not modules & {"rich", "pygments", "keyring", "platformdirs"}
    # Of the commands, only its own module; nothing of rotation's.
    assert "iggy_cli.cli.commands.pat" in loaded
    others = {
        f"iggy_cli.cli.commands.{name}" for name in ("context", "config", "sandbox", "session")
    }
    assert not loaded & (others | {"iggy_cli.usecases.rotation_plan", "iggy_cli.usecases.rotation"})

"""TAB completion: the generated files match the app, the fast path answers from local data
only, and the generated scripts work in real bash, zsh and fish."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.cli import BIN, Cli

from iggy_cli.cli import spec
from iggy_cli.cli.tab import candidates

ROOT = Path(__file__).parent.parent


def test_generated_files_match_the_app() -> None:
    """Fails when a command or option changes without `make generate`."""
    from iggy_cli.cli import spec_data

    assert spec.SPEC_FILE.read_text() == spec.spec_source(), (
        "iggy_cli/cli/spec_data.py is stale: run `make generate`"
    )
    # The literals written read back as the very data they were made from.
    data = spec.spec()
    assert (data["tree"], data["help"]) == (spec_data.TREE, spec_data.HELP)
    for (program, shell), name in spec.SCRIPT_NAMES.items():
        assert (ROOT / "completions" / name).read_text() == spec.script(shell, program=program), (
            f"completions/{name} is stale: run `make generate`"
        )


def test_the_drift_check_sees_a_new_command() -> None:
    import typer

    from iggy_cli.cli.app import make_app

    grown = make_app()

    @grown.command("extra")
    def extra() -> None:
        """A command nobody generated for."""

    command = typer.main.get_command(grown)
    assert "extra" in spec.spec(command)["tree"][""]["commands"]
    assert spec.SPEC_FILE.read_text() != spec.spec_source(command)


def write_names(home: Path, address: str, names: dict[str, list[str]]) -> dict[str, str]:
    data = home / "data"
    (data / "iggy-cli").mkdir(parents=True, exist_ok=True)
    (data / "iggy-cli" / "names.json").write_text(json.dumps({address: names}))
    return {"XDG_DATA_HOME": str(data), "IGGY_URL": f"http://{address}"}


@pytest.mark.parametrize(
    ("words", "incomplete", "expected"),
    [
        (
            [],
            "",
            ["completion", "config", "context", "login", "logout", "pat", "sandbox", "status"],
        ),
        (
            ["pat"],
            "",
            ["create", "delete", "exec", "list", "login", "prune", "rotate", "show", "token"],
        ),
        (["pat"], "l", ["list", "login"]),
        (["pat", "delete"], "", ["deploy", "old-ci", "seen-only"]),
        (["pat", "delete", "deploy"], "", ["old-ci", "seen-only"]),
        (["pat", "login"], "d", ["deploy"]),
        (["pat", "exec"], "d", ["deploy"]),
        (["pat", "exec", "--env", "X"], "", ["deploy", "old-ci", "seen-only"]),
        (["pat", "exec", "deploy"], "", []),
        (["pat", "exec", "--"], "", []),
        (["-n"], "", ["deploy", "old-ci", "seen-only"]),
        (["-o"], "", ["table", "json", "csv", "plain", "env"]),
        (["--store"], "f", ["file"]),
        (
            ["--url", "http://elsewhere:1"],
            "",
            ["completion", "config", "context", "login", "logout", "pat", "sandbox", "status"],
        ),
        (["--url", "http://elsewhere:1", "pat", "delete"], "", []),
        (["pat", "create"], "", []),
        (["pat", "create", "x"], "--n", ["--no-store", "--no-color"]),
    ],
    ids=lambda value: repr(value),
)
def test_candidates(tmp_path: Path, words: list[str], incomplete: str, expected: list[str]) -> None:
    env = write_names(
        tmp_path, "127.0.0.1:9", {"keyring": ["deploy", "old-ci"], "seen": ["seen-only", "deploy"]}
    )
    os.environ["XDG_DATA_HOME"] = env["XDG_DATA_HOME"]
    try:
        values = [value for _, value, _ in candidates(words, incomplete, env)]
    finally:
        del os.environ["XDG_DATA_HOME"]
    assert values == expected


def require(shell: str) -> str:
    path = shutil.which(shell)
    if path is None and os.environ.get("CI"):
        pytest.fail(f"{shell} is missing: `make test` installs it")
    if path is None:
        pytest.skip(f"{shell} is not installed")
    return path


def shell_env(cli: Cli, seen: tuple[str, ...] = ()) -> dict[str, str]:
    names = {"keyring": ["deploy", "old-ci"], "seen": list(seen)}
    env = write_names(cli.home, "127.0.0.1:9", names)
    return {**cli.env, **env, "PATH": f"{BIN}:{os.environ['PATH']}"}


def test_bash_completes_commands_and_token_names(cli: Cli) -> None:
    bash = require("bash")
    script = ROOT / "completions" / "iggy.bash"

    def complete(line: str, seen: tuple[str, ...] = ()) -> list[str]:
        program = (
            f"source {script}\n"
            f"COMP_WORDS=({line})\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n"
            '[[ "$LINE" == *" " ]] && COMP_WORDS+=("") && COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n'
            "_iggy_completion iggy\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n'
        )
        env = {**shell_env(cli, seen), "LINE": line}
        done = subprocess.run(
            [bash, "--norc", "--noprofile", "-c", program],
            capture_output=True,
            text=True,
            env=env,
            cwd=cli.home,  # holds files a `*` would glob to
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    assert complete("iggy pa") == ["pat"]
    assert complete("iggy pat de") == ["delete"]
    assert complete("iggy pat delete ") == ["deploy", "old-ci"]
    assert complete("iggy pat delete o") == ["old-ci"]
    assert complete("iggy -o j") == ["json"]
    # a server's names reach the shell whole, quoted as bash reads them back: not split at
    # spaces, never globbed
    assert complete("iggy pat token ", seen=("*", "two words")) == [
        "\\*",
        "deploy",
        "old-ci",
        "two\\ words",
    ]


def test_zsh_completes_token_names(cli: Cli) -> None:
    zsh = require("zsh")
    script = ROOT / "completions" / "_iggy"
    # compadd/_describe only work inside the completion system; stand in for them and print.
    program = (
        "autoload -Uz compinit && compinit -u\n"
        f"source {script}\n"
        'compadd() { shift 4; for w in "${(@P)1}"; do print -r -- "$w"; done }\n'
        '_describe() { for w in "${(@P)4}"; do print -r -- "${w%%:*}"; done }\n'
        "words=(iggy pat delete '')\nCURRENT=4\n"
        "_iggy_completion\n"
    )
    done = subprocess.run(
        [zsh, "-f", "-c", program], capture_output=True, text=True, env=shell_env(cli), timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["deploy", "old-ci"]


def test_fish_completes_token_names(cli: Cli) -> None:
    fish = require("fish")
    script = ROOT / "completions" / "iggy.fish"
    program = f"source {script}; complete --do-complete 'iggy pat delete '"
    done = subprocess.run(
        [fish, "--no-config", "-c", program],
        capture_output=True,
        text=True,
        env={**shell_env(cli), "HOME": str(cli.home)},
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(line.split("\t")[0] for line in done.stdout.splitlines()) == ["deploy", "old-ci"]


def test_completion_show_prints_the_checked_in_script(cli: Cli) -> None:
    shown = cli("completion", "show", "fish")
    assert (shown.code, shown.stderr) == (0, "")
    assert shown.stdout == (ROOT / "completions" / "iggy.fish").read_text()


@pytest.mark.parametrize(
    ("shell", "where"),
    [
        ("bash", "data/bash-completion/completions/iggy"),
        ("zsh", ".zfunc/_iggy"),
        ("fish", "config/fish/completions/iggy.fish"),
    ],
)
def test_completion_install_writes_where_the_shell_looks(cli: Cli, shell: str, where: str) -> None:
    installed = cli("completion", "install", shell)
    assert installed.code == 0, installed.stderr
    path = cli.home / where
    assert installed.stderr.startswith(f"Wrote {path}.\n")
    assert path.read_text() == (ROOT / "completions" / spec.SCRIPT_NAMES["iggy", shell]).read_text()


def test_completion_install_for_bash_says_how_to_load_it_without_bash_completion(
    cli: Cli, tmp_path: Path
) -> None:
    nowhere = {"XDG_DATA_DIRS": str(tmp_path / "empty")}
    installed = cli("completion", "install", "bash", env=nowhere)
    path = cli.home / "data/bash-completion/completions/iggy"
    assert installed.stderr.splitlines()[1] == (
        "bash-completion is not installed here, so bash will not load it by itself: install the "
        f"bash-completion package, or add `source {path}` to ~/.bashrc."
    )
    loader = tmp_path / "share" / "bash-completion" / "bash_completion"
    loader.parent.mkdir(parents=True)
    loader.write_text("# stand-in for the package's loader\n")
    installed = cli("completion", "install", "bash", env={"XDG_DATA_DIRS": str(tmp_path / "share")})
    assert installed.stderr.splitlines()[1] == "Open a new shell to use it."


def test_completion_for_an_unknown_shell_is_a_usage_error(cli: Cli) -> None:
    result = cli("completion", "show", "tcsh")
    assert result.code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.stderr

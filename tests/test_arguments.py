"""Global options anywhere (arguments.py), in-process against the generated command tree, and
through the console script."""

from __future__ import annotations

import pytest
from helpers.cli import Cli

from iggy_cli.cli.arguments import hoist_global_options
from iggy_cli.cli.spec_data import TREE
from iggy_cli.sandbox.http_server import SandboxServer


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("pat token deploy -o json", "-o json pat token deploy"),
        ("login -u iggy --password-stdin", "-u iggy --password-stdin login"),
        ("login --url http://x:1 8h", "--url http://x:1 login 8h"),
        ("pat list --url=http://x:1 --expired", "--url=http://x:1 pat list --expired"),
        ("pat -q list", "-q pat list"),
        ("-o json pat list", "-o json pat list"),
        # the command's own option of the same name stays with it
        ("context create prod --url http://x:1 -u a", "context create prod --url http://x:1 -u a"),
        ("sandbox --port 1 --username u", "sandbox --port 1 --username u"),
        # a value that looks like a global option is a value
        ("pat create -- -o", "pat create -- -o"),
        ("pat delete x --yes --store file", "--store file pat delete x --yes"),
        ("nosuch -o json", "nosuch -o json"),
    ],
)  # fmt: skip
def test_global_options_move_in_front_of_the_command(given: str, expected: str) -> None:
    assert hoist_global_options(given.split(), TREE) == expected.split()


def test_habits_from_docker_and_gh_work(cli: Cli, sandbox: SandboxServer) -> None:
    login = cli("login", "-u", "iggy", "--password-stdin", input="iggy\n")
    assert login.code == 0, login.stderr
    created = cli("pat", "create", "deploy", "--url", sandbox.url, env={"IGGY_URL": None})
    assert created.code == 0, created.stderr
    token = cli("pat", "token", "deploy", "-o", "json", shows_token=True)
    assert token.code == 0 and len(token.stdout.strip()) == 68
    listed = cli("pat", "list", "--field", "name", "--utc")
    assert listed.stdout.split() == ["deploy", "iggy-cli-session"]

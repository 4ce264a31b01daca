"""The arrows between modules point one way (shared/STYLE.md); this keeps them so."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "iggy_cli"


def imports_of(path: Path) -> set[str]:
    """What a module imports when it runs (imports only for type checkers are left out)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


# (module glob, names it must not import)
RULES = [
    ("errors.py", ("iggy_cli.",)),
    ("models.py", ("iggy_cli.client", "iggy_cli.service", "iggy_cli.commands", "httpx")),
    ("sandbox/*.py", ("iggy_cli.client", "iggy_cli.service", "iggy_cli.commands", "httpx")),
    ("client.py", ("iggy_cli.credentials", "iggy_cli.service", "iggy_cli.commands", "keyring")),
    ("commands/*.py", ("httpx", "keyring", "json", "rich", "iggy_cli.client")),
    ("service/*.py", ("iggy_cli.commands", "iggy_cli.app", "rich", "typer")),
]
ONLY_USERS = {
    "httpx": {"client.py", "transport.py"},
    "rich": {"output.py"},
    "platformdirs": {"paths.py"},
}


@pytest.mark.parametrize(("pattern", "forbidden"), RULES, ids=[rule[0] for rule in RULES])
def test_module_does_not_import(pattern: str, forbidden: tuple[str, ...]) -> None:
    for path in PACKAGE.glob(pattern):
        bad = {name for name in imports_of(path) for prefix in forbidden if name.startswith(prefix)}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"


@pytest.mark.parametrize("library", sorted(ONLY_USERS))
def test_library_has_one_user(library: str) -> None:
    users = {
        str(path.relative_to(PACKAGE))
        for path in modules()
        if any(name == library or name.startswith(f"{library}.") for name in imports_of(path))
    }
    assert users == ONLY_USERS[library]


def test_keyring_is_used_only_by_the_stores() -> None:
    users = {
        str(path.relative_to(PACKAGE))
        for path in modules()
        if any(name.split(".")[0] == "keyring" for name in imports_of(path))
    }
    assert users == {"credentials.py", "plaintext_keyring.py"}


def test_the_tools_folders_agree_with_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    from iggy_cli import paths

    for variables in ({}, {"XDG_DATA_HOME": "/x/data", "XDG_CONFIG_HOME": "/x/config"}):
        for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        assert paths.data_dir() == platformdirs.user_data_dir("iggy-cli", appauthor=False)
        assert paths.config_dir() == platformdirs.user_config_dir("iggy-cli", appauthor=False)

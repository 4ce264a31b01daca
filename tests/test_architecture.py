"""The arrows between modules point one way (ARCHITECTURE.md); this keeps them so."""

import ast
import functools
import os
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "iggy_cli"


@functools.cache  # every test here reads every module: parsed once for all of them
def imports_of(path: Path) -> frozenset[str]:
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
    return frozenset(found)


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


# Layers, top to bottom (ARCHITECTURE.md): a module imports only from its own layer or below.
LAYERS = {
    "cli": 4,
    "usecases": 3,
    "runtime": 2,
    "server": 1,
    "secrets": 1,
    "state": 1,
    "console": 1,
    "sandbox": 1,
    "errors": 0,
    "models": 0,
    "expiry": 0,
    "settings": 0,
    "signals": 0,
}


def name_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else 0  # `iggy_cli` itself: __version__


def package_imports() -> dict[str, set[str]]:
    """Every module of the package and the modules of the package it imports."""
    known = {name_of(path): path for path in modules()}
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        found = set()
        for imported in imports_of(path):
            # `from iggy_cli.x import y` names module x, or x.y when y is a module itself
            if imported in known and imported != name:
                found.add(imported)
        graph[name] = found
    return graph


def test_every_module_has_a_layer() -> None:
    unplaced = {m for m in package_imports() if m not in ("iggy_cli", "iggy_cli.__main__")}
    assert {m for m in unplaced if layer(m) is None} == set()


def test_no_module_imports_upward() -> None:
    upward = []
    for module, imported in package_imports().items():
        if module == "iggy_cli.__main__":
            continue
        for other in imported:
            here, there = layer(module), layer(other)
            assert here is not None and there is not None
            if there > here:
                upward.append(f"{module} -> {other}")
    assert upward == []


def test_the_sandbox_imports_nothing_of_the_client_side() -> None:
    graph = package_imports()
    reaching = {
        f"{module} -> {other}"
        for module, imported in graph.items()
        if module.startswith("iggy_cli.sandbox")
        for other in imported
        if not other.startswith("iggy_cli.sandbox")
    }
    assert reaching == set()


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle in the graph, or [] (depth-first search with an explicit path)."""
    done: set[str] = set()
    for start in sorted(graph):
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        if start in done:
            continue
        path.append(start)
        on_path.add(start)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            nxt = pending.pop()
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                stack.append((nxt, sorted(graph.get(nxt, ()))))
                path.append(nxt)
                on_path.add(nxt)
    return []


def test_no_import_cycle_between_modules() -> None:
    assert _cycle(package_imports()) == []


def test_no_import_cycle_between_folders() -> None:
    folders: dict[str, set[str]] = {}
    for module, imported in package_imports().items():
        here = module.split(".")[1] if "." in module else module
        folders.setdefault(here, set()).update(
            other.split(".")[1] for other in imported if "." in other
        )
    for folder, others in folders.items():
        others.discard(folder)
    assert _cycle(folders) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []


# (module glob, names it must not import)
RULES = [
    ("errors.py", ("iggy_cli.",)),
    ("server/client.py", ("keyring",)),
    ("cli/commands/*.py", ("httpx", "keyring", "json", "rich", "iggy_cli.server.client")),
    ("usecases/*.py", ("rich", "typer", "click")),
    ("sandbox/*.py", ("httpx", "keyring", "typer")),
]
ONLY_USERS = {
    "httpx": {"server/client.py", "server/transport.py"},
    "httpcore": {"server/transport.py"},
    "rich": {"console/output.py"},
    "platformdirs": {"state/paths.py"},
}


@pytest.mark.parametrize(("pattern", "forbidden"), RULES, ids=[rule[0] for rule in RULES])
def test_module_does_not_import(pattern: str, forbidden: tuple[str, ...]) -> None:
    paths = list(PACKAGE.glob(pattern))
    assert paths, f"{pattern} matches no module"
    for path in paths:
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


def test_no_module_speaks_http_by_hand() -> None:
    """One HTTP stack, httpx's own (httpcore, under transport.py): a module that imports
    http.client is writing a second one."""
    users = {
        str(path.relative_to(PACKAGE))
        for path in modules()
        if any(
            name == "http.client" or name.startswith("http.client.") for name in imports_of(path)
        )
    }
    assert users == set()


# Tests that speak HTTP by hand on purpose: fake servers and proxies for the HTTP layer's own
# tests, and the sandbox's contract tests, which check the server with a client that is not
# ours. Every other test reaches a server through the tool's own client.
HAND_WRITTEN_HTTP_IN_TESTS = {
    "helpers/fake_servers.py",
    "helpers/forwarding_proxy.py",
    "helpers/sandbox_http.py",
    "test_sandbox.py",
    "test_sandbox_faults.py",
    "test_sandbox_load.py",
}


def test_only_the_http_tests_speak_http_by_hand() -> None:
    tests = Path(__file__).parent
    users = {
        str(path.relative_to(tests))
        for path in sorted(tests.rglob("*.py"))
        if any(
            name == "http.client" or name.startswith("http.client.") for name in imports_of(path)
        )
    }
    assert users == HAND_WRITTEN_HTTP_IN_TESTS


def test_keyring_is_used_only_by_the_stores() -> None:
    users = {
        str(path.relative_to(PACKAGE))
        for path in modules()
        if any(name.split(".")[0] == "keyring" for name in imports_of(path))
    }
    assert users == {"secrets/stores.py", "secrets/plaintext_keyring.py"}


def test_the_tools_folders_agree_with_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    from iggy_cli.state import paths

    for variables in ({}, {"XDG_DATA_HOME": "/x/data", "XDG_CONFIG_HOME": "/x/config"}):
        # platformdirs reads the process's environment; the tool reads the one it is given
        for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        environ = {"HOME": os.environ["HOME"], **variables}
        assert paths.data_dir(environ) == platformdirs.user_data_dir("iggy-cli", appauthor=False)
        assert paths.config_dir(environ) == platformdirs.user_config_dir(
            "iggy-cli", appauthor=False
        )

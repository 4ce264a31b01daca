"""The documentation as a reader meets it: a short README that points to docs/, links that lead
somewhere, and no measurements copied into prose (the benchmark writes its own report)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "ARCHITECTURE.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "benchmarks" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_readme_is_a_front_door() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "```sh\nmake demo\nmake test\n```" in quick_start
    for doc in ("usage", "scripting", "storage", "server-versions", "security"):
        assert f"](docs/{doc}.md)" in readme


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a markdown file."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_in_the_repository(doc: Path) -> None:
    broken = []
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        found = path.is_relative_to(ROOT) and path.exists()
        if not found or (anchor and anchor not in anchors(path)):
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_doc_copies_a_measurement(doc: Path) -> None:
    """Start-up figures live in benchmarks/last-run.json, which `make bench` writes; a copy in
    prose is stale by the next run."""
    assert re.findall(r"\d(?:\.\d+)? ?(?:ms|MB)\b", doc.read_text()) == []


def test_nothing_refers_to_files_outside_the_repository() -> None:
    """A clone has only what is in it: facts from elsewhere are carried with their source."""
    outside = "shared" + "/"  # spelled so this file does not match itself
    files = [
        *ROOT.glob("*.md"),
        *ROOT.glob("*.toml"),
        ROOT / "Makefile",
        *(ROOT / ".ci").glob("*"),
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "scripts").glob("*"),
        *(ROOT / "benchmarks").glob("*.py"),
        *(ROOT / "benchmarks").glob("*.md"),
        *(ROOT / "iggy_cli").rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
    ]
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        if path.is_file()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if outside in line
    ]
    assert found == []


def test_no_comment_quotes_milliseconds() -> None:
    """Figures of milliseconds in comments disagree with each other and go stale; a comment
    says why, and `make bench` measures."""
    figure = re.compile("~ ?" + r"\d+(\.\d+)? ?ms\b")  # split so this file does not match itself
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("iggy_cli", "tests", "benchmarks", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        # the project's own files: `make bench` leaves installed packages in benchmarks/.venvs/
        if ".venvs" not in path.relative_to(ROOT).parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if figure.search(line)
    ]
    assert found == []


def test_every_command_help_has_examples_as_the_readme_says() -> None:
    from iggy_cli.cli.spec_data import HELP, TREE

    commands = [path for path, node in TREE.items() if path and not node.get("commands")]
    assert commands and [path for path in commands if "Examples:" not in HELP[path]] == []
    assert "`iggy COMMAND --help` has examples" in (ROOT / "README.md").read_text()

"""iggy-cli: manage Apache Iggy personal access tokens. Kept import-free for a fast start."""

import sys

TYPE_CHECKING = False  # the fast path imports no typing; mypy reads this name as true
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

__version__ = "0.1.0"


def program_name(argv0: str) -> str:
    """`iggy-cli` when started by that name (beside Iggy's own CLI, which owns `iggy`), else
    `iggy` (also for `python -m iggy_cli`)."""
    import os

    name = os.path.basename(argv0).removesuffix(".exe")
    return "iggy-cli" if name == "iggy-cli" else "iggy"


def as_program(text: str, program: str) -> str:
    """Text written for `iggy` (a hint's `iggy login`, help's examples) for the name the user
    runs: where Iggy's own CLI is `iggy`, a hint naming it would lead to the other tool."""
    if program == "iggy":
        return text
    import re  # loaded by the console script already

    # `iggy` followed by a command or an option; not `'iggy'`, `iggy:host` or `iggy-cli`
    return re.sub(r"(?<![\w.:/'\"-])iggy(?= [a-z[-])", program, text)


def terminal_columns(environ: "Mapping[str, str]", stream: "TextIO | None") -> "int | None":
    """The width text on `stream` wraps to, as shutil.get_terminal_size works it out, but for a
    run's own environment and stream: COLUMNS when a positive number, else the terminal's;
    None when neither tells (not a terminal)."""
    import os  # loaded by the interpreter's start-up already

    try:
        columns = int(environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(stream.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return None


def version_text() -> str:
    """`iggy --version`: the first line as scripts read it, then the Python running it (free:
    `sys` is loaded anyway); `--version -v` adds the libraries and the keyring backend."""
    python = ".".join(str(part) for part in sys.version_info[:3])
    return f"iggy-cli {__version__}\nPython {python} on {sys.platform}\n"


# `import httpx` also imports httpx's own command-line tool, and with it rich and pygments,
# whenever they are installed. This tool never runs httpx's; a None entry in
# sys.modules makes that one import fail, and httpx falls back to the stub it keeps for that
# case (a guarded `except ImportError`). Set here so it precedes every import of httpx.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

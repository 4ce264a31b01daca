"""iggy-cli: manage Apache Iggy personal access tokens. Kept import-free for a fast start."""

import sys

__version__ = "0.1.0"


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

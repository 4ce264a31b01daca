"""iggy-cli: manage Apache Iggy personal access tokens. Kept import-free for a fast start."""

import sys

__version__ = "0.1.0"

# `import httpx` also imports httpx's own command-line tool, and with it rich and pygments,
# whenever they are installed. This tool never runs httpx's; a None entry in
# sys.modules makes that one import fail, and httpx falls back to the stub it keeps for that
# case (a guarded `except ImportError`). Set here so it precedes every import of httpx.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

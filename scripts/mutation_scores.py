"""Mutation score per module from mutmut's results (`make mutate`).

A mutant that timed out counts as killed (the tests noticed: it looped); one no test reached
counts against the score, as a survivor does. Survivors are listed by name for `mutmut show`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

LINE = re.compile(r"^\s*(?P<name>[\w.ǁ]+?)__mutmut_\d+: (?P<status>.+)$")
CAUGHT = {"killed", "timeout"}


def main() -> int:
    mutmut = Path(sys.executable).parent / "mutmut"
    done = subprocess.run(
        [str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for line in done.stdout.splitlines():
        match = LINE.match(line)
        if match is None:
            continue
        function, status = match["name"], match["status"].strip()
        module = ".".join(part for part in function.split(".") if not part.startswith("x"))
        counts[module][status] += 1
        if status not in CAUGHT and status != "not checked":
            survivors[module].append(line.strip())
    for module in sorted(counts):
        tally = counts[module]
        checked = sum(n for status, n in tally.items() if status != "not checked")
        if not checked:
            continue
        caught = sum(tally[status] for status in CAUGHT)
        detail = ", ".join(f"{n} {status}" for status, n in sorted(tally.items()))
        print(f"{module}: {caught}/{checked} = {100 * caught / checked:.0f}% ({detail})")
        for survivor in survivors[module]:
            print(f"    {survivor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

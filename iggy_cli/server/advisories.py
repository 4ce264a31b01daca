"""What a server's own version says about it: the published advisories that affect it.

Over HTTP the only place a server names its release is `GET /stats` (`iggy_server_version`,
the server crate's CARGO_PKG_VERSION: "0.9.0", "0.9.0-edge.5"; core/common/src/types/stats/
mod.rs in iggy_common 0.11.0, core/server/src/lib.rs), and only to a user with the
read_servers or manage_servers permission. An advisory is reported only from that version,
never from the generation the client detected: what Iggy 0.10.0 answers over HTTP cannot be
read from released source (its server crate is not published), so no answer shape proves a
server is older than the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Generations none of whose releases names its version: Stats gained `iggy_server_version` in
# 0.4.112 (#1445; sdk/src/models/stats.rs at server-0.4.112), long after 0.2.24.
UNNAMED = frozenset(("first", "legacy"))
# A release as Iggy numbers them; anything else a server says is not believed (and not shown).
_RELEASE = re.compile(r"(\d{1,5})\.(\d{1,5})\.(\d{1,6})(-[0-9A-Za-z.]{1,40})?")


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    summary: str
    last_affected: tuple[int, int, int]  # this release and every one before it, pre-releases too
    fixed_in: str


ADVISORIES = (
    Advisory(
        "CVE-2026-110513",
        "over HTTP, a JWT of a deleted user authenticates as the next user given the same "
        "numeric id",
        (0, 9, 0),
        "0.10.0",
    ),
)


def release(text: object) -> str | None:
    """`text` when it is a release number such as 0.9.0 or 0.9.0-edge.5, else None."""
    return text if isinstance(text, str) and _RELEASE.fullmatch(text) else None


def affecting(version: str) -> list[Advisory]:
    """The advisories that certainly affect a server at `version`: at or before the last
    affected release (a pre-release of it comes before it). A version between the last
    affected release and the fix (0.9.1-edge.1, 0.10.0-edge.1) gets none: not known."""
    found = _RELEASE.fullmatch(version)
    if found is None:
        return []
    numbers = (int(found[1]), int(found[2]), int(found[3]))
    return [advisory for advisory in ADVISORIES if numbers <= advisory.last_affected]

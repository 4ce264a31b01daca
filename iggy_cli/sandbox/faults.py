"""What a test can make the sandbox do wrong on purpose, and what it remembers of each request.

Everything here is shared by the request threads and the test thread, so every read and write
of a counter goes through a lock; a rule armed for N requests fires exactly N times even when
requests race.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

LoseMode = Literal["close", "hold", "reset", "garbled", "not-json", "cut-body", "many-headers"]
Body = bytes | str


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the sandbox received it. Bodies and headers hold secrets (passwords,
    tokens), so they stay out of repr(); the sandbox itself never prints any of this."""

    method: str
    path: str  # as sent, still percent-encoded, without the query
    query: str
    headers: Mapping[str, str] = field(repr=False)  # lower-cased names
    body: bytes = field(repr=False)
    json: object = field(repr=False)  # the parsed body; None when it is not JSON


@dataclass(frozen=True, slots=True)
class CannedAnswer:
    """A response sent instead of handling the request."""

    status: int
    body: Body | Callable[[RecordedRequest], Body]
    content_type: str | None
    headers: Mapping[str, str]

    def render(self, request: RecordedRequest) -> bytes:
        body = self.body(request) if callable(self.body) else self.body
        return body.encode() if isinstance(body, str) else body


@dataclass(frozen=True, slots=True)
class LostAnswer:
    """Carry the request out, then lose its answer, each way a real answer gets lost:
    - "close": close the connection without a byte;
    - "hold": send nothing until the client closes the connection, the server stops, or
      `hold_s` passes (the client's deadline ends it);
    - "reset": abort the connection (a TCP reset) without a byte;
    - "garbled": a first line that is not HTTP at all;
    - "not-json": `200 OK` with a body that is not the answer (a proxy's page);
    - "cut-body": the real status and headers, then only part of the body, then close;
    - "many-headers": the real answer behind 3,000 extra header lines, over 300 KiB: more
      than a client reads (httpcore, under httpx, stops at 100 KiB of head)."""

    mode: LoseMode
    hold_s: float


class Fault:
    """One armed rule: requests whose method and path match get `action`, `count` times,
    after the first `skip` matching requests have been let through untouched.

    `method` is an HTTP method or "*"; `path` is a shell-style pattern (fnmatch: `*` also
    matches `/`) over the path as sent, without the query, e.g. "/personal-access-tokens*".
    """

    __slots__ = ("_lock", "_remaining", "_skip", "action", "method", "path")

    def __init__(
        self,
        method: str,
        path: str,
        action: CannedAnswer | LostAnswer,
        count: int,
        skip: int = 0,
    ) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        if skip < 0:
            raise ValueError("skip must not be negative")
        self.method = method.upper()
        self.path = path
        self.action = action
        self._remaining = count
        self._skip = skip
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        """How many more matching requests this rule will catch."""
        with self._lock:
            return self._remaining

    def claim(self, method: str, path: str) -> bool:
        if self.method not in ("*", method) or not fnmatch.fnmatchcase(path, self.path):
            return False
        with self._lock:
            if self._remaining == 0:
                return False
            if self._skip:
                self._skip -= 1
                return False
            self._remaining -= 1
            return True


class FaultPlan:
    """The armed rules, first armed first served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            faults = list(self._faults)
        found = next((fault for fault in faults if fault.claim(method, path)), None)
        if found is not None:
            with self._lock:
                self._faults = [fault for fault in self._faults if fault.remaining]
        return found

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


class Countdown:
    """A number of upcoming events to treat specially (busy answers, uncommitted creates)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._left = 0

    def add(self, count: int) -> None:
        if count < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            self._left += count

    def take(self) -> bool:
        with self._lock:
            if self._left == 0:
                return False
            self._left -= 1
            return True

    @property
    def left(self) -> int:
        with self._lock:
            return self._left


class Recorder:
    """The last `limit` requests, oldest first (bounded, so a long demo does not grow)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._requests: deque[RecordedRequest] = deque(maxlen=limit)

    def add(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

"""Start-up benchmark: how long a whole `iggy` process takes, next to bare Python baselines.

What it measures: the wall time of complete processes (spawn, interpreter start, imports, work,
exit), timed with `time.perf_counter` around `subprocess.run`, for

- baselines on the venv's interpreter: `python -c pass`, `python -c "import typer"` and
  `python -c "import typer, httpx"`;
- the tool: `iggy --version`, `iggy --help`, TAB completion of `iggy pat delete <TAB>` (click's
  bash completion protocol via `_IGGY_COMPLETE=bash_complete`), and `iggy pat list -o json`
  against an in-process sandbox server holding 21 tokens.

The targets are ratios of a tool case to the baseline that bounds it (see TARGETS), so they hold
on a slow machine as well as a fast one.

Why medians: start-up times are skewed by rare slow runs (page cache, scheduler, another process
waking up); the median ignores them where a mean would not, and the minimum is shown alongside.
Why interleaving: every round runs each case once, round-robin, after two warm-up rounds, so a
burst of machine noise lands on all cases alike instead of on whichever case ran during it, and
the ratios stay fair.

Run it from the project root with `make bench`, or directly:

    .venv/bin/python benchmarks/startup.py [--runs N] [--out PATH] [--check]

It prints a table and the ratio targets, and writes the samples to a JSON file
(benchmarks/last-run.json by default). It exits 0 even when a target is missed, since it is a
measurement; with --check it exits 1 when any target fails.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iggy_cli.sandbox.server import SandboxServer

WARMUP_ROUNDS = 2
DEFAULT_RUNS = 21
DEFAULT_OUT = Path(__file__).resolve().parent / "last-run.json"
EXTRA_TOKENS = 20  # on top of the one the benchmark itself uses, so `pat list` has 21 rows
LOOPBACK = "127.0.0.1"

PYTHON = sys.executable
IGGY = str(Path(sys.executable).parent / "iggy")

PASS = "python -c pass"
IMPORT_TYPER = 'python -c "import typer"'
IMPORT_TYPER_HTTPX = 'python -c "import typer, httpx"'
VERSION = "iggy --version"
HELP = "iggy --help"
COMPLETE = "iggy pat delete <TAB>"
PAT_LIST = "iggy pat list -o json"


@dataclass(frozen=True)
class Case:
    """One command to time: its argv and the variables added to the clean environment."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """A ratio of two cases' medians that should stay at or under `limit`."""

    case: str
    baseline: str
    limit: float


TARGETS = (
    Target(VERSION, PASS, 2.5),
    Target(COMPLETE, PASS, 2.5),
    Target(HELP, IMPORT_TYPER, 1.2),
    Target(PAT_LIST, IMPORT_TYPER_HTTPX, 1.3),
)


def clean_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """os.environ without any IGGY_* or _IGGY_COMPLETE variable, plus `extra`."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("IGGY_") and key != "_IGGY_COMPLETE"
    }
    return base | dict(extra)


# ---- the sandbox and its tokens ----


def post_json(url: str, path: str, payload: object, bearer: str | None = None) -> object:
    """POST `payload` as JSON to the sandbox and return the decoded 200 response."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or LOOPBACK, parts.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    try:
        connection.request("POST", path, body=json.dumps(payload).encode(), headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"POST {path} -> {response.status}: {body.decode(errors='replace')}")
    return json.loads(body)


def mint_tokens(url: str, count: int) -> str:
    """Log in as iggy/iggy, create `count` + 1 tokens and return the first one's raw value."""
    login = post_json(url, "/users/login", {"username": "iggy", "password": "iggy"})
    assert isinstance(login, dict)
    jwt = str(login["access_token"]["token"])
    names = ["bench-token"] + [f"bench-token-{index:02d}" for index in range(1, count + 1)]
    raws = []
    for name in names:
        created = post_json(url, "/personal-access-tokens", {"name": name, "expiry": 0}, jwt)
        assert isinstance(created, dict)
        raws.append(str(created["token"]))
    return raws[0]


# ---- cases and timing ----


def build_cases(url: str, token: str, home: Path) -> list[Case]:
    private_dirs = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    completion = {
        "_IGGY_COMPLETE": "bash_complete",
        "COMP_WORDS": "iggy pat delete ",
        "COMP_CWORD": "3",
    }
    return [
        Case(PASS, (PYTHON, "-c", "pass")),
        Case(IMPORT_TYPER, (PYTHON, "-c", "import typer")),
        Case(IMPORT_TYPER_HTTPX, (PYTHON, "-c", "import typer, httpx")),
        Case(VERSION, (IGGY, "--version")),
        Case(HELP, (IGGY, "--help")),
        Case(COMPLETE, (IGGY,), completion),
        Case(
            PAT_LIST,
            (IGGY, "pat", "list", "-o", "json"),
            {"IGGY_URL": url, "IGGY_TOKEN": token, **private_dirs},
        ),
    ]


def run_once(case: Case) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        case.argv,
        env=clean_environment(case.env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def problem_with(case: Case, result: subprocess.CompletedProcess[str]) -> str | None:
    """Why a tool case's output shows it did not work, or None if it did."""
    if result.returncode != 0:
        return f"exit code {result.returncode}"
    if case.name == VERSION and not result.stdout.startswith("iggy-cli "):
        return f"stdout does not start with 'iggy-cli ': {result.stdout!r}"
    if case.name == PAT_LIST:
        try:
            rows = json.loads(result.stdout)
        except json.JSONDecodeError as error:
            return f"stdout is not JSON ({error}): {result.stdout!r}"
        expected = EXTRA_TOKENS + 1
        if not isinstance(rows, list) or len(rows) != expected:
            return f"expected a JSON list of {expected} tokens, got: {result.stdout!r}"
    return None


def check_cases(cases: Sequence[Case]) -> bool:
    """Run each case once; print what is wrong with any that does not work."""
    ok = True
    for case in cases:
        result = run_once(case)
        problem = problem_with(case, result)
        if problem is not None:
            ok = False
            print(f"{case.name}: {problem}", file=sys.stderr)
            print(result.stderr.rstrip() or "(no stderr)", file=sys.stderr)
    return ok


def time_once(case: Case) -> float:
    """Wall time of one whole process, in milliseconds."""
    env = clean_environment(case.env)
    start = time.perf_counter()
    subprocess.run(
        case.argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return (time.perf_counter() - start) * 1000.0


def measure(cases: Sequence[Case], runs: int) -> dict[str, list[float]]:
    """Samples per case, taken round-robin after the warm-up rounds."""
    for _ in range(WARMUP_ROUNDS):
        for case in cases:
            time_once(case)
    samples: dict[str, list[float]] = {case.name: [] for case in cases}
    for _ in range(runs):
        for case in cases:
            samples[case.name].append(time_once(case))
    return samples


# ---- report ----


@dataclass(frozen=True)
class Outcome:
    target: Target
    ratio: float

    @property
    def passed(self) -> bool:
        return self.ratio <= self.target.limit


def evaluate(medians: Mapping[str, float]) -> list[Outcome]:
    return [Outcome(target, medians[target.case] / medians[target.baseline]) for target in TARGETS]


def print_report(samples: Mapping[str, list[float]], outcomes: Sequence[Outcome]) -> None:
    width = max(len(name) for name in samples)
    print(f"{'case':<{width}}  {'median ms':>9}  {'min ms':>7}")
    for name, values in samples.items():
        print(f"{name:<{width}}  {statistics.median(values):9.1f}  {min(values):7.1f}")
    print()
    labels = [f"{o.target.case} / {o.target.baseline}" for o in outcomes]
    label_width = max(len(label) for label in labels)
    for label, outcome in zip(labels, outcomes, strict=True):
        verdict = "PASS" if outcome.passed else "FAIL"
        limit = outcome.target.limit
        print(f"{label:<{label_width}}  {outcome.ratio:5.2f}  <= {limit:<4}  {verdict}")


def write_json(
    path: Path, runs: int, samples: Mapping[str, list[float]], outcomes: Sequence[Outcome]
) -> None:
    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": {"arch": platform.machine(), "cpus": os.cpu_count()},
        "runs": runs,
        "warmup_rounds": WARMUP_ROUNDS,
        "cases": {
            name: {
                "median_ms": round(statistics.median(values), 3),
                "min_ms": round(min(values), 3),
                "samples_ms": [round(value, 3) for value in values],
            }
            for name, values in samples.items()
        },
        "ratios": [
            {
                "case": outcome.target.case,
                "baseline": outcome.target.baseline,
                "ratio": round(outcome.ratio, 3),
                "limit": outcome.target.limit,
                "pass": outcome.passed,
            }
            for outcome in outcomes
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


# ---- entry point ----


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="timed rounds (median)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when any target fails")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(IGGY).exists():
        print(f"no iggy console script at {IGGY}; run `make setup`", file=sys.stderr)
        return 1
    server = SandboxServer(host=LOOPBACK, port=0).start()
    try:
        with tempfile.TemporaryDirectory(prefix="iggy-bench-") as home:
            token = mint_tokens(server.url, EXTRA_TOKENS)
            cases = build_cases(server.url, token, Path(home))
            if not check_cases(cases):
                return 1
            samples = measure(cases, args.runs)
    finally:
        server.stop()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    outcomes = evaluate(medians)
    print_report(samples, outcomes)
    write_json(args.out, args.runs, samples, outcomes)
    print(f"\nwrote {args.out}")
    return 1 if args.check and not all(outcome.passed for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())

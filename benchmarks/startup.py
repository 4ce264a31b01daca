"""Start-up benchmark: how long a whole `iggy` process takes, as a user installs it, next to
bare Python baselines from the same interpreter.

What is installed. The project's own `.venv` is an editable install, and its `__editable__`
path hook slows every interpreter start there, the baselines included (`python -c pass` took
about twice as long there as in a plain venv), which flattered every ratio. So this script builds a
wheel (`pip wheel --no-deps`, from a copy of the package files, so no build/ or egg-info lands
in the work tree) and installs it, without `-e`, into a fresh virtual environment, with the
runtime dependencies pip resolves within the project's pins (recorded in the report). The
venv is cached under benchmarks/.venvs/ (git-ignored), keyed by the commit and a hash of the
package files in the work tree (pyproject.toml, README.md, iggy_cli/, tracked or not), so an
uncommitted change is measured as it is, never an older build; the newest few are kept.

What is timed: the wall time of complete processes (fork, exec, interpreter start, imports,
work, exit), with `time.perf_counter` around `os.fork`/`os.execve` and `os.wait4`, whose
rusage also gives each process's peak resident memory. A small spawner process does this
(see SPAWNER for why not this one). All with the bench venv's interpreter:

- baselines: `python -c pass`; `python -c "import re"`, the floor of any console script,
  since the wrapper pip writes imports `re` (and `sys`) before it imports our entry point;
  the console-script floor itself (that very wrapper, calling nothing); and
  `python -c "import typer, httpx, httpcore"`, the floor of a command that talks to a server
  through httpx's own transport;
- the tool: `iggy --version`, `iggy --help`, `iggy pat list -o json` against an in-process
  sandbox server holding 21 tokens, and TAB completion of `iggy pat delete <TAB>`.

TAB goes through the real completions/iggy.bash, timed inside bash. A bash process sources the
script, sets COMP_WORDS and COMP_CWORD as bash's programmable completion does, and reads
$EPOCHREALTIME just before and after calling `_iggy_completion iggy "" delete`, the call
`complete -F` makes on a TAB press. That interval is what a TAB costs in a running shell: the
command substitution's fork, `env`, the whole `iggy` process (found on PATH, the bench venv's
bin first) reading the names index, and the loop that fills COMPREPLY with the 21 names. Bash's
own start-up and the sourcing of the script are left out, because an interactive shell pays
them once, not per key press; counting them would add a constant to every sample and bury the
tool's cost (the whole bash process's wall time is kept in the JSON for reference). A second
bash case, the TAB floor, calls the same function with the console-script floor in place of
`iggy`: what any Python completer pays through this script. The target compares TAB with
`python -c "import re"` as the issue states it; TAB over the TAB floor shows what is ours.

Why medians: start-up times are skewed by rare slow runs (page cache, scheduler, another
process waking up); the median ignores them where a mean would not, and the minimum is shown
alongside. Why interleaving: after two warm-up rounds every round runs each case once, in an
order shuffled per round (fixed seed), so a burst of machine noise lands on all cases alike and
no case always follows the heavy one; the ratios, taken within one run, stay fair.

With --imports it also runs each case under `python -X importtime` (median of 5 runs per
module) and prints where the import time goes, module by module, beyond what
`python -c "import re"` loads. Import times under -X importtime are inflated by its own
bookkeeping; read them as shares, the wall times above as the cost.

Run it from the project root with `make bench`, or directly:

    .venv/bin/python benchmarks/startup.py [--runs N] [--out PATH] [--check] [--imports]

It prints a table and the ratio targets, and writes the samples to a JSON file
(benchmarks/last-run.json by default). It exits 0 even when a target is missed, since it is a
measurement; with --check it exits 1 when any target fails. A case that does not work (exit
code, output) stops it with exit 1 before timing.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import http.client
import json
import marshal
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iggy_cli.sandbox.http_server import SandboxServer

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".venvs"
KEEP_VENVS = 3
PACKAGE_PATHS = ("pyproject.toml", "README.md", "iggy_cli")
MARKER = "bench-venv.json"

WARMUP_ROUNDS = 2
DEFAULT_RUNS = 31
IMPORTTIME_RUNS = 5
PRINTED_SHARES = 12  # the JSON keeps them all
DEFAULT_OUT = Path(__file__).resolve().parent / "last-run.json"
EXTRA_TOKENS = 20  # on top of the one the benchmark itself uses, so `pat list` has 21 rows
LOOPBACK = "127.0.0.1"
SEED = 14
BUSY_LOAD = 0.75  # per CPU: above it, the report says the machine was busy

PASS = "python -c pass"
IMPORT_RE = 'python -c "import re"'
CONSOLE_FLOOR = "console-script floor"
IMPORT_TYPER_HTTPX = 'python -c "import typer, httpx, httpcore"'
VERSION = "iggy --version"
HELP = "iggy --help"
PAT_LIST = "iggy pat list -o json"
TAB_FLOOR = "bash TAB floor"
TAB = "iggy pat delete <TAB>"

# pip's console-script wrapper (pip 23, distlib's template) with our import and call taken out.
CONSOLE_FLOOR_SOURCE = """\
# -*- coding: utf-8 -*-
import re
import sys
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(0)
"""

# $1: the completion script, $2: the command it runs. Prints the call's microseconds, then
# COMPREPLY one per line. ${EPOCHREALTIME/[.,]/}: microseconds, whatever the locale's point.
BASH_TAB = """\
source "$1" || exit 3
COMP_WORDS=(iggy pat delete "")
COMP_CWORD=3
start=${EPOCHREALTIME/[.,]/}
_iggy_completion "$2" "" delete
end=${EPOCHREALTIME/[.,]/}
echo $(( end - start ))
printf '%s\\n' "${COMPREPLY[@]}"
"""


@dataclass(frozen=True)
class Case:
    """One command to time: its argv, the variables added to the clean environment, and
    whether its sample is its own report of an inner interval (first line of stdout, in µs)
    rather than the wall time of the whole process."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    inner: bool = False


@dataclass(frozen=True)
class Target:
    """A ratio of two cases' medians that should stay at or under `limit`."""

    case: str
    baseline: str
    limit: float


TARGETS = (
    Target(VERSION, IMPORT_RE, 1.25),
    Target(HELP, IMPORT_RE, 1.25),
    Target(TAB, IMPORT_RE, 1.4),
    Target(PAT_LIST, IMPORT_TYPER_HTTPX, 1.0),
)
# Shown next to the targets, to read them by.
INFO_RATIOS = ((PASS, IMPORT_RE), (CONSOLE_FLOOR, IMPORT_RE), (TAB, TAB_FLOOR))


def clean_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """os.environ without the tool's variables, Python's, the make venv's, or a terminal
    width (help is served at the default width), plus `extra`."""
    dropped = ("IGGY_", "_IGGY_", "PYTHON")
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(dropped) and key not in ("VIRTUAL_ENV", "COLUMNS", "LINES")
    }
    return base | dict(extra)


# ---- the non-editable install ----


@dataclass(frozen=True)
class BenchVenv:
    root: Path
    info: Mapping[str, object]

    @property
    def python(self) -> str:
        return str(self.root / "venv" / "bin" / "python")

    @property
    def bin(self) -> Path:
        return self.root / "venv" / "bin"

    @property
    def console_floor(self) -> str:
        return str(self.root / "console-floor")


def git(*arguments: str) -> str:
    done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(arguments)}: {done.stderr.strip()}")
    return done.stdout


def package_files() -> list[str]:
    """What the wheel is built from: the package's files in the work tree, tracked or not,
    without what git ignores (caches, build output)."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", *PACKAGE_PATHS)
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def venv_key(files: Sequence[str]) -> tuple[str, str, str]:
    """(key, commit, files' sha256): the commit, and a hash of the files as they are now."""
    commit = git("rev-parse", "HEAD").strip()
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    files_sha = digest.hexdigest()
    return f"{commit[:12]}-{files_sha[:12]}", commit, files_sha


def dependency_names() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = []
    for requirement in pyproject["project"]["dependencies"]:
        name = requirement
        for stop in "<>=!~;[ ":
            name = name.split(stop)[0]
        names.append(name)
    return names


def bench_venv() -> BenchVenv:
    """The venv holding this work tree's wheel, built on first use and then reused."""
    files = package_files()
    key, commit, files_sha = venv_key(files)
    root = CACHE / key
    marker = root / MARKER
    if marker.is_file():
        return BenchVenv(root, json.loads(marker.read_text()))
    shutil.rmtree(root, ignore_errors=True)  # a build that did not finish
    root.mkdir(parents=True)
    say(f"building {key}: wheel, venv, install (once per commit and work-tree state)")
    with tempfile.TemporaryDirectory(prefix="iggy-bench-src-") as scratch:
        source = Path(scratch) / "src"
        for name in files:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
        wheels = Path(scratch) / "wheels"
        pip = (sys.executable, "-m", "pip")
        # The source as a path, never a bare name: pip would look a bare `src` up on an index.
        run_quietly(*pip, "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(source))
        (wheel,) = wheels.glob("*.whl")
        run_quietly(sys.executable, "-m", "venv", str(root / "venv"))
        venv_python = str(root / "venv" / "bin" / "python")
        run_quietly(venv_python, "-m", "pip", "install", "--quiet", str(wheel))
        wheel_name = wheel.name
    floor = root / "console-floor"
    floor.write_text(f"#!{venv_python}\n{CONSOLE_FLOOR_SOURCE}")
    floor.chmod(0o755)
    versions = subprocess.run(
        [
            venv_python,
            "-c",
            "import importlib.metadata as m, json, sys;"
            "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))",
            "iggy-cli",
            *dependency_names(),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    info = {
        "key": key,
        "commit": commit,
        "files_sha256": files_sha,
        "wheel": wheel_name,
        "built": now(),
        "versions": json.loads(versions.stdout),
    }
    marker.write_text(json.dumps(info, indent=2) + "\n")
    prune(keep=root)
    return BenchVenv(root, info)


def prune(keep: Path) -> None:
    """Keep the newest KEEP_VENVS venvs (each is ~100 MB of dependencies)."""
    built = sorted(
        (path for path in CACHE.iterdir() if (path / MARKER).is_file() and path != keep),
        key=lambda path: (path / MARKER).stat().st_mtime,
        reverse=True,
    )
    for old in built[KEEP_VENVS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def run_quietly(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


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


def mint_tokens(url: str, count: int) -> tuple[str, list[str]]:
    """Log in as iggy/iggy, create `count` + 1 tokens; the first one's raw value, and names."""
    login = post_json(url, "/users/login", {"username": "iggy", "password": "iggy"})
    assert isinstance(login, dict)
    jwt = str(login["access_token"]["token"])
    names = ["bench-token"] + [f"bench-token-{index:02d}" for index in range(1, count + 1)]
    raws = []
    for name in names:
        created = post_json(url, "/personal-access-tokens", {"name": name, "expiry": 0}, jwt)
        assert isinstance(created, dict)
        raws.append(str(created["token"]))
    return raws[0], names


# ---- cases and timing ----


def build_cases(venv: BenchVenv, url: str, token: str) -> list[Case]:
    """In the order the check runs them: `pat list` fills the names index that TAB reads.
    Every case runs in the private home folder: with `-c`, the current folder comes first on
    sys.path, and the project root holds an `iggy_cli` of its own."""
    python, iggy = venv.python, str(venv.bin / "iggy")
    bash = shutil.which("bash") or "/bin/bash"
    script = str(ROOT / "completions" / "iggy.bash")
    tab_env = {"PATH": f"{venv.bin}{os.pathsep}{os.environ.get('PATH', '')}", "IGGY_URL": url}

    def in_bash(command: str) -> tuple[str, ...]:
        return (bash, "--norc", "--noprofile", "-c", BASH_TAB, "bench", script, command)

    return [
        Case(PASS, (python, "-c", "pass")),
        Case(IMPORT_RE, (python, "-c", "import re")),
        Case(CONSOLE_FLOOR, (venv.console_floor,)),
        Case(IMPORT_TYPER_HTTPX, (python, "-c", "import typer, httpx, httpcore")),
        Case(VERSION, (iggy, "--version")),
        Case(HELP, (iggy, "--help")),
        Case(PAT_LIST, (iggy, "pat", "list", "-o", "json"), {"IGGY_URL": url, "IGGY_TOKEN": token}),
        Case(TAB_FLOOR, in_bash(venv.console_floor), tab_env, inner=True),
        Case(TAB, in_bash("iggy"), tab_env, inner=True),
    ]


def problem_with(case: Case, stdout: str, code: int, names: Sequence[str]) -> str | None:
    """Why a case's output shows it did not work, or None if it did."""
    if code != 0:
        return f"exit code {code}"
    if case.name == VERSION and not stdout.startswith("iggy-cli "):
        return f"stdout does not start with 'iggy-cli ': {stdout!r}"
    if case.name == HELP and not stdout.startswith("Usage: iggy [OPTIONS] COMMAND"):
        return f"stdout is not the help page: {stdout[:200]!r}"
    if case.name == PAT_LIST:
        try:
            rows = json.loads(stdout)
        except json.JSONDecodeError as error:
            return f"stdout is not JSON ({error}): {stdout!r}"
        if not isinstance(rows, list) or len(rows) != len(names):
            return f"expected a JSON list of {len(names)} tokens, got: {stdout!r}"
    if case.inner:
        first, *offered = stdout.splitlines()
        if not first.isdigit():
            return f"no elapsed microseconds on the first line: {stdout!r}"
        expected = sorted(names) if case.name == TAB else []
        if sorted(filter(None, offered)) != expected:
            return f"offered {offered!r}, expected {expected!r}"
    return None


def check_cases(cases: Sequence[Case], home: Mapping[str, str], names: Sequence[str]) -> bool:
    """Run each case once; print what is wrong with any that does not work."""
    ok = True
    for case in cases:
        done = subprocess.run(
            case.argv,
            cwd=home["HOME"],
            env=clean_environment({**home, **case.env}),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        problem = problem_with(case, done.stdout, done.returncode, names)
        if problem is not None:
            ok = False
            say(f"{case.name}: {problem}")
            say(done.stderr.rstrip() or "(no stderr)")
    return ok


@dataclass(frozen=True)
class Sample:
    ms: float  # the case's measure: the process's wall time, or its inner interval
    process_ms: float  # the whole process's wall time
    peak_rss_kb: int


# Runs in its own small interpreter (-I -S: no site, ~3 MB of its own memory): forks, execs one
# case, and answers (seconds, wait status, peak RSS in KiB) from os.wait4. A process's
# ru_maxrss also counts what the process it was forked from held up to its exec, so spawning
# from this harness (it holds the sandbox, ~27 MB) would report at least that for every case.
SPAWNER = """
import marshal, os, sys, time
while True:
    try:
        argv, env, out = marshal.load(sys.stdin.buffer)
    except EOFError:
        break
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    marshal.dump((elapsed, status, usage.ru_maxrss), sys.stdout.buffer)
    sys.stdout.buffer.flush()
"""


class Spawner:
    """The small process that times the cases (see SPAWNER)."""

    def __init__(self, python: str, cwd: str) -> None:
        self.process = subprocess.Popen(
            [python, "-I", "-S", "-c", SPAWNER],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def run(self, argv: Sequence[str], env: Mapping[str, str], stdout: str) -> tuple[float, int]:
        """(wall ms, peak RSS KiB) of one run of argv that exits 0, its stdout to a file."""
        assert self.process.stdin is not None and self.process.stdout is not None
        marshal.dump((list(argv), dict(env), stdout), self.process.stdin)
        self.process.stdin.flush()
        seconds, status, peak = marshal.load(self.process.stdout)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{argv[0]} failed while timed: wait status {status}")
        return seconds * 1000.0, peak

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def time_once(case: Case, env: Mapping[str, str], spawner: Spawner, scratch: Path) -> Sample:
    stdout = str(scratch / "stdout") if case.inner else os.devnull
    elapsed, peak = spawner.run(case.argv, env, stdout)
    measure = elapsed
    if case.inner:
        with open(stdout) as reported:
            measure = int(reported.readline()) / 1000.0
    return Sample(measure, elapsed, peak)


def measure(
    cases: Sequence[Case], home: Mapping[str, str], runs: int, scratch: Path, python: str
) -> dict[str, list[Sample]]:
    """Samples per case, taken round-robin in a shuffled order after the warm-up rounds."""
    envs = {case.name: clean_environment({**home, **case.env}) for case in cases}
    order = list(cases)
    shuffler = random.Random(SEED)
    samples: dict[str, list[Sample]] = {case.name: [] for case in cases}
    spawner = Spawner(python, cwd=home["HOME"])
    try:
        for round_number in range(WARMUP_ROUNDS + runs):
            shuffler.shuffle(order)
            for case in order:
                sample = time_once(case, envs[case.name], spawner, scratch)
                if round_number >= WARMUP_ROUNDS:
                    samples[case.name].append(sample)
    finally:
        spawner.close()
    return samples


# ---- where the import time goes ----


def importtime(case: Case, env: Mapping[str, str], python: str) -> dict[str, tuple[int, int]]:
    """{module: (self µs, cumulative µs)} of one run of the case under -X importtime. TAB is
    run as the completion script runs it, without bash (bash only adds a fork and exec)."""
    argv = list(case.argv)
    extra: dict[str, str] = {}
    if case.name == TAB:
        argv = [str(Path(python).parent / "iggy")]
        extra = {
            "_IGGY_COMPLETE": "bash_complete",
            "COMP_WORDS": "iggy pat delete ",
            "COMP_CWORD": "3",
        }
    if argv[0] != python:
        argv = [python, *argv]  # a console script: run its file with the venv's interpreter
    done = subprocess.run(
        [python, "-X", "importtime", *argv[1:]],
        cwd=env["HOME"],
        env={**env, **extra},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or line.endswith("imported package"):
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        modules[name.strip()] = (int(own), int(cumulative))
    return modules


def import_report(
    cases: Sequence[Case], home: Mapping[str, str], python: str
) -> dict[str, dict[str, object]]:
    """Per case: total self time of all imports, of those beyond `import re`, and the
    biggest modules beyond it (median of IMPORTTIME_RUNS runs each)."""
    report: dict[str, dict[str, object]] = {}
    medians_by_case: dict[str, dict[str, float]] = {}
    for case in cases:
        if case.name in (PASS, CONSOLE_FLOOR, TAB_FLOOR):
            continue  # nothing beyond `import re` to show
        env = clean_environment({**home, **case.env})
        runs = [importtime(case, env, python) for _ in range(IMPORTTIME_RUNS)]
        names = set().union(*runs)
        medians_by_case[case.name] = {
            name: statistics.median(run.get(name, (0, 0))[0] for run in runs) for name in names
        }
    floor = set(medians_by_case[IMPORT_RE])
    for name, medians in medians_by_case.items():
        beyond = {module: us for module, us in medians.items() if module not in floor}
        top = sorted(beyond.items(), key=lambda item: -item[1])[:15]
        report[name] = {
            "all_imports_ms": round(sum(medians.values()) / 1000, 2),
            "beyond_import_re_ms": round(sum(beyond.values()) / 1000, 2),
            "modules_beyond_import_re": len(beyond),
            "by_package_ms": by_package(beyond),
            "top_modules_ms": {module: round(us / 1000, 2) for module, us in top},
        }
    return report


def by_package(self_us: Mapping[str, float]) -> dict[str, float]:
    """Self times summed per top-level package (iggy_cli per module), largest first."""
    totals: dict[str, float] = {}
    for module, us in self_us.items():
        parts = module.split(".")
        group = ".".join(parts[:2]) if parts[0] == "iggy_cli" else parts[0]
        totals[group] = totals.get(group, 0.0) + us
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return {group: round(us / 1000, 2) for group, us in ranked if us >= 100}


def print_imports(report: Mapping[str, Mapping[str, object]]) -> None:
    print("\nimport time (python -X importtime, self times, median of", IMPORTTIME_RUNS, "runs)")
    for name, entry in report.items():
        print(
            f"\n{name}: all imports {entry['all_imports_ms']} ms, beyond `import re` "
            f"{entry['beyond_import_re_ms']} ms in {entry['modules_beyond_import_re']} modules"
        )
        for label, key in (("by package", "by_package_ms"), ("top modules", "top_modules_ms")):
            shares = entry[key]
            assert isinstance(shares, dict)
            if shares:
                shown = list(shares.items())[:PRINTED_SHARES]
                print(f"  {label}: " + ", ".join(f"{name} {ms}" for name, ms in shown))


# ---- report ----


@dataclass(frozen=True)
class Outcome:
    target: Target
    ratio: float

    @property
    def passed(self) -> bool:
        return self.ratio <= self.target.limit


def median_of(samples: Sequence[Sample]) -> float:
    return statistics.median(sample.ms for sample in samples)


def evaluate(medians: Mapping[str, float]) -> list[Outcome]:
    return [Outcome(target, medians[target.case] / medians[target.baseline]) for target in TARGETS]


def print_report(samples: Mapping[str, list[Sample]], outcomes: Sequence[Outcome]) -> None:
    width = max(len(name) for name in samples)
    print(f"{'case':<{width}}  {'median ms':>9}  {'min ms':>7}  {'peak RSS MB':>11}")
    for name, values in samples.items():
        rss = statistics.median(sample.peak_rss_kb for sample in values) / 1024
        low = min(sample.ms for sample in values)
        print(f"{name:<{width}}  {median_of(values):9.1f}  {low:7.1f}  {rss:11.1f}")
    print()
    medians = {name: median_of(values) for name, values in samples.items()}
    rows = [(f"{o.target.case} / {o.target.baseline}", o.ratio, o) for o in outcomes]
    rows += [
        (f"{case} / {base}", medians[case] / medians[base], None) for case, base in INFO_RATIOS
    ]
    label_width = max(len(row[0]) for row in rows)
    for label, ratio, outcome in rows:
        if outcome is None:
            print(f"{label:<{label_width}}  {ratio:5.2f}")
        else:
            verdict = "PASS" if outcome.passed else "FAIL"
            print(f"{label:<{label_width}}  {ratio:5.2f}  <= {outcome.target.limit:<4}  {verdict}")


def write_json(
    path: Path,
    runs: int,
    venv: BenchVenv,
    samples: Mapping[str, list[Sample]],
    outcomes: Sequence[Outcome],
    imports: Mapping[str, object] | None,
    load: tuple[float, float],
) -> None:
    medians = {name: median_of(values) for name, values in samples.items()}
    report: dict[str, object] = {
        "date": now(),
        "python": platform.python_version(),
        "machine": {"arch": platform.machine(), "cpus": os.cpu_count(), "cpu": cpu_model()},
        "load_average": {"before": round(load[0], 2), "after": round(load[1], 2)},
        "install": dict(venv.info),
        "runs": runs,
        "warmup_rounds": WARMUP_ROUNDS,
        "cases": {
            name: {
                "median_ms": round(medians[name], 3),
                "min_ms": round(min(sample.ms for sample in values), 3),
                "peak_rss_kb": int(statistics.median(sample.peak_rss_kb for sample in values)),
                "process_median_ms": round(statistics.median(s.process_ms for s in values), 3),
                "samples_ms": [round(sample.ms, 3) for sample in values],
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
        ]
        + [
            {"case": case, "baseline": base, "ratio": round(medians[case] / medians[base], 3)}
            for case, base in INFO_RATIOS
        ],
    }
    if imports is not None:
        report["imports"] = imports
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return None


# ---- entry point ----


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="timed rounds (median)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when any target fails")
    parser.add_argument(
        "--imports", action="store_true", help="also break the import time down by module"
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    venv = bench_venv()
    say(f"timing the wheel installed in {venv.root.relative_to(ROOT)}")
    server = SandboxServer(host=LOOPBACK, port=0).start()
    imports = None
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="iggy-bench-") as scratch:
            home = Path(scratch)
            private = {
                "HOME": str(home),
                "XDG_DATA_HOME": str(home / ".local" / "share"),
                "XDG_CONFIG_HOME": str(home / ".config"),
            }
            token, names = mint_tokens(server.url, EXTRA_TOKENS)
            cases = build_cases(venv, server.url, token)
            if not check_cases(cases, private, names):
                return 1
            samples = measure(cases, private, args.runs, home, venv.python)
            if args.imports:
                imports = import_report(cases, private, venv.python)
    finally:
        server.stop()
    outcomes = evaluate({name: median_of(values) for name, values in samples.items()})
    print_report(samples, outcomes)
    if imports is not None:
        print_imports(imports)
    load = (load_before, os.getloadavg()[0])
    if max(load) > BUSY_LOAD * (os.cpu_count() or 1):
        say(
            f"\nnote: the machine was busy (1-minute load {load[0]:.1f}, then {load[1]:.1f}, on "
            f"{os.cpu_count()} CPUs): waiting for a CPU adds to every case, and most to those "
            "that start several processes (TAB: a subshell, env, iggy), so the ratios are rough"
        )
    write_json(args.out, args.runs, venv, samples, outcomes, imports, load)
    print(f"\nwrote {args.out}")
    return 1 if args.check and not all(outcome.passed for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())

"""The composition root: builds, once per run, what commands and use cases need.

A run is a value: everything it reads from outside (environment, standard streams, clock, the
secrets it learns) comes in one `World`, and it writes none of it back to the process. The
console script builds the World from the real process; tests build their own, so a test runs
the whole app in its own process without patching anything. Expensive parts (the keyring
backend, the HTTP client) are built only when used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, NamedTuple, TextIO

from iggy_cli.console.output import Output
from iggy_cli.errors import UsageError
from iggy_cli.models import masked_repr
from iggy_cli.secrets.redaction import Secrets, remember
from iggy_cli.settings import Settings
from iggy_cli.state.config_file import UserConfig
from iggy_cli.state.indexes import NameIndex, ServerIndex, SessionIndex
from iggy_cli.state.rotation_journal import RotationJournal

if TYPE_CHECKING:
    import httpx

    from iggy_cli.secrets.stores import CredentialStore
    from iggy_cli.server.client import IggyClient
    from iggy_cli.server.dialect import Knowledge


class StoreChoice(NamedTuple):
    """Where tokens live in this run, and why (in words)."""

    kind: str
    reason: str


class AuthInputs(NamedTuple):
    """The credential options given on the command line (environment is read separately)."""

    username: str | None = None
    password: str | None = None
    password_stdin: bool = False
    token_name: str | None = None
    token_stdin: bool = False

    def __repr__(self) -> str:
        return masked_repr(self, "password")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _exec(argv: list[str], environment: dict[str, str]) -> None:
    """Become `argv` (execvpe), with `environment` as its whole environment: from then on the
    exit status, and a signal that ends it, are the command's own, and Ctrl-C or a runner's
    SIGTERM reach it directly. Returns only by raising CannotRun."""
    import signal

    from iggy_cli.errors import CannotRun, NotRunnable, quoted

    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    # Python ignores SIGPIPE (and SIGXFSZ), and an ignored signal stays ignored across exec:
    # `yes | head` inside the command would then never end. subprocess resets them likewise.
    names = ("SIGPIPE", "SIGXFSZ")
    reset = {
        n: signal.signal(getattr(signal, n), signal.SIG_DFL) for n in names if hasattr(signal, n)
    }
    blocked = signal.pthread_sigmask(signal.SIG_SETMASK, set())
    try:
        os.execvpe(argv[0], argv, environment)
    except OSError as error:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        for name, handler in reset.items():
            signal.signal(getattr(signal, name), handler)
        why = error.strerror or type(error).__name__
        failure = CannotRun if isinstance(error, FileNotFoundError) else NotRunnable
        raise failure(f"cannot run {quoted(argv[0])}: {why}") from None


def _ask(text: str, hidden: bool) -> str:
    import click

    return str(click.prompt(text, hide_input=hidden, err=True))


@dataclass(frozen=True)
class World:
    """What one run is given from outside, and all it reads of the outside: its environment,
    standard streams (stdout None when the process started with it closed), clock, and the
    registry of the secrets it comes to know (fresh for each run: runs share nothing).
    `program` is the name it was started by (`iggy` or `iggy-cli`); `exec_command` is how it
    becomes another program (`pat exec`), which a run in a test's own process must not do."""

    environ: Mapping[str, str] = field(repr=False)  # holds secrets
    stdin: TextIO | None = None
    stdout: TextIO | None = None
    stderr: TextIO | None = None
    now: Callable[[], datetime] = _utc_now
    secrets: Secrets = field(default_factory=Secrets, repr=False)
    program: str = "iggy"
    exec_command: Callable[[list[str], dict[str, str]], None] = _exec

    @classmethod
    def of_process(cls) -> World:
        """The console script's: this process's environment, streams and clock."""
        from iggy_cli import program_name

        program = program_name(sys.argv[0] if sys.argv else "")
        return cls(os.environ, sys.stdin, sys.stdout, sys.stderr, program=program)

    def with_streams(self, stdout: TextIO | None, stderr: TextIO | None) -> World:
        return replace(self, stdout=stdout, stderr=stderr)


@dataclass
class AppContext:
    settings: Settings
    auth: AuthInputs = field(default_factory=AuthInputs)
    output: Output = field(default_factory=Output)
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)  # holds secrets
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    now: Callable[[], datetime] = _utc_now
    ask: Callable[[str, bool], str] = _ask
    # `pat exec`: become the command; tests give one that records what it was given
    exec_command: Callable[[list[str], dict[str, str]], None] = _exec
    verbose: bool = False
    store_factory: Callable[[], CredentialStore] | None = None
    transport_factory: Callable[[], httpx.BaseTransport] | None = None
    sessions: SessionIndex = field(default_factory=SessionIndex)
    names: NameIndex = field(default_factory=NameIndex)
    servers: ServerIndex = field(default_factory=ServerIndex)
    config: UserConfig = field(default_factory=UserConfig)
    rotations: RotationJournal = field(default_factory=RotationJournal)
    _store: CredentialStore | None = field(default=None, init=False)
    _other_stores: dict[str, CredentialStore] = field(default_factory=dict, init=False)
    _dialect: Knowledge | None = field(default=None, init=False)
    _stdin_secret: str | None = field(default=None, init=False, repr=False)

    @property
    def interactive(self) -> bool:
        """Someone can answer a prompt: stdin is a terminal and this is not a CI job."""
        if self.environ.get("CI", "").lower() not in ("", "0", "false"):
            return False
        isatty = getattr(self.stdin, "isatty", None)
        return bool(isatty and isatty())

    @property
    def zone(self) -> tzinfo | None:
        """The zone times are shown in: UTC with --utc, else the one TZ names in this run's
        environment, else (None) the machine's."""
        if self.settings.utc:
            return UTC
        from iggy_cli.expiry import zone_named

        return zone_named(self.environ)

    @property
    def store_choice(self) -> StoreChoice:
        origin = self.settings.origins.get("store")
        return StoreChoice(self.settings.store, origin or "the default")

    @property
    def keeps_tokens(self) -> bool:
        """Whether new tokens are stored in this run: not with --store none (a store a test
        gives is always one)."""
        return self.store_factory is not None or self.store_choice.kind != "none"

    def store(self) -> CredentialStore:
        """Where tokens live, built on first use (finding a keyring backend is slow)."""
        if self._store is None:
            self._store = self.store_factory() if self.store_factory else self._default_store()
        return self._store

    def store_for(self, kind: str | None) -> CredentialStore:
        """The store of that kind (`keyring`, `file`): a session is read where it was kept,
        whatever store this run would keep new tokens in."""
        if kind is None or kind == self.store_choice.kind or self.store_factory is not None:
            return self.store()
        if kind not in self._other_stores:
            self._other_stores[kind] = self._default_store(kind)
        return self._other_stores[kind]

    def _default_store(self, kind: str | None = None) -> CredentialStore:
        from iggy_cli.secrets import stores
        from iggy_cli.state.paths import token_file

        chosen = kind is None or kind == self.store_choice.kind
        kind = kind or self.store_choice.kind
        if kind == "file":
            path = token_file(self.environ)
            if chosen:
                self.output.warning(f"tokens are kept unencrypted in {path} (--store file)")
            return stores.FileStore(path, self.output.warning)
        if kind == "none":
            return stores.NoStore()
        environ = self.environ
        return stores.KeyringStore(
            self.settings.keyring_timeout_s, discover=lambda: stores.discover_backend(environ)
        )

    def client(self) -> IggyClient:
        from iggy_cli.server.client import IggyClient

        log = self.output.trace if self.verbose else None
        settings = self.settings
        transport = self.transport_factory() if self.transport_factory else None
        return IggyClient(
            settings.url,
            settings.timeout_s,
            transport=transport,
            log=log,
            ca_cert=settings.ca_cert,
            verify_tls=settings.verify_tls,
            dialect=self.dialect(),
            on_learned=self._remember_dialect,
            environ=self.environ,
        )

    def dialect(self) -> Knowledge:
        """What is known of this server's generation: remembered from earlier runs (or named
        by --server-dialect), shared by every client of this run as they learn more."""
        if self._dialect is None:
            from iggy_cli.server.dialect import AUTO, Knowledge
            from iggy_cli.settings import subject_of

            chosen = self.settings.server_dialect
            origin = self.settings.origins.get("server_dialect")
            self._dialect = Knowledge.from_record(
                self.servers.get(self.settings.address),
                override=None if chosen == AUTO else chosen,
                override_origin=subject_of("server_dialect", origin),
            )
        return self._dialect

    def _remember_dialect(self, knowledge: Knowledge) -> None:
        knowledge.changed = False
        self.servers.put(self.settings.address, knowledge.record())
        if knowledge.relearned_from is not None:
            from iggy_cli.server.dialect import describe

            before, knowledge.relearned_from = knowledge.relearned_from, None
            self.output.notice(
                f"{self.settings.address} no longer answers as {describe(before)} did "
                f"(upgraded?); it is {describe(knowledge.detected)}"
            )

    def record_owner(self, name: str, user_id: int | None, sha256: str | None = None) -> None:
        """The stored copy `name` in this run's store is `user_id`'s (usecases/ownership.py;
        None keeps the owner recorded); `sha256`, the digest of a secret this run just
        stored there (or found to work), is what `pat token` checks the copy against."""
        self.names.add_stored(self.settings.keyring, self.store_choice.kind, name, user_id, sha256)

    def read_stdin_secret(self, what: str) -> str:
        """The first line of stdin, for --password-stdin and --token-stdin (read once)."""
        if self._stdin_secret is None:
            try:
                secret = self.stdin.readline().strip()
            except UnicodeDecodeError:
                raise UsageError(f"{what}: what stdin holds is not valid UTF-8") from None
            if not secret:
                raise UsageError(f"{what}: nothing was read from stdin")
            remember(secret)
            self._stdin_secret = secret
        return self._stdin_secret

    def prompt(self, text: str, hidden: bool = False) -> str:
        if not self.interactive:
            raise UsageError(f"cannot ask for {text.lower()}: stdin is not a terminal")
        answer = self.ask(text, hidden)
        if hidden:
            remember(answer)
        return answer

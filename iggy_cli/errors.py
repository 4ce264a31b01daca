"""One exception tree for every failure the tool expects, each class with its exit code.

    IggyCliError (1, unexpected)
    ├── UsageError (2)                  bad input caught before any request is sent
    ├── ServerRejected (3)              the server refused the request
    │   ├── InvalidTokenName
    │   ├── TokenAlreadyExists
    │   └── TokenLimitReached
    ├── AuthenticationError (4)         wrong password, bad or expired token, no credential
    │   └── TokenExpired
    ├── NotFound (5)
    ├── ServerUnavailable (6)           unreachable, timed out, or not answering as Iggy does
    │   ├── ServerBusy                  503 with Retry-After for longer than --timeout allows
    │   └── AnswerLost                  sent, but no usable answer came back: outcome unknown
    ├── StorageError (7)                the keyring (or other store) failed, or would replace
    │                                   another user's stored copy
    │   ├── TokenNotStored              minted on the server, but could not be stored
    │   └── TokenNotDelivered           neither stored nor shown, so deleted on the server
    ├── TokensNeedAttention (8)         pat list --expiring-within/--expired found some
    ├── OutcomeUnknown (9)              a create the server may have carried out, its secret
    │                                   never received (edge's 57, or an answer lost)
    ├── OutputFailed (10)               stdout closed, full or failing
    │   └── BrokenPipe (141)            stdout's reader went away: the run ends quietly
    ├── Declined (11)                   you answered no at a confirmation: nothing changed
    ├── Interrupted (130)               Ctrl-C (129 SIGHUP, 143 SIGTERM)
    └── CannotRun (127)                 pat exec: no such command
        └── NotRunnable (126)           pat exec: found, but it could not be run

`pat exec` becomes the command it runs, so once it has started, the exit status is the
command's own, whatever it is.

`app.main()` is the only place these become messages and exit codes. Usage errors raised by
Typer itself (unknown option, missing argument) keep Typer's exit code 2.
"""

from __future__ import annotations


class IggyCliError(Exception):
    """Base of every expected failure: a one-line message, an optional hint, an exit code."""

    exit_code = 1
    label = "error"  # what the line on stderr starts with

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(IggyCliError):
    exit_code = 2


class ServerRejected(IggyCliError):
    """The server answered with an error that is not about credentials or a missing thing."""

    exit_code = 3


class InvalidTokenName(ServerRejected):
    pass


class TokenAlreadyExists(ServerRejected):
    pass


class TokenLimitReached(ServerRejected):
    pass


class AuthenticationError(IggyCliError):
    exit_code = 4


class TokenExpired(AuthenticationError):
    pass


class NotFound(IggyCliError):
    exit_code = 5


class ServerUnavailable(IggyCliError):
    exit_code = 6


class ServerBusy(ServerUnavailable):
    pass


class AnswerLost(ServerUnavailable):
    """The request was sent, and no usable answer came back: the deadline passed, the
    connection was reset or closed, or the answer was garbled, cut short or not the answer.
    Whether the server carried the request out is unknown: a create or a delete is checked
    against the server's list, never retried blindly. `why` says how the answer was lost."""

    def __init__(self, message: str, why: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.why = why


class StorageError(IggyCliError):
    exit_code = 7


class TokenNotStored(StorageError):
    """A token exists on the server but storing it failed; the caller has already shown it."""


class TokenNotDelivered(StorageError):
    """A minted token could be neither stored nor written to stdout; it was withdrawn."""


class TokensNeedAttention(IggyCliError):
    """Not a failure of the tool: an alert a CI job can act on (the list was printed). With
    `quiet` (-q) only the exit code says it: the line is a note, not an error."""

    exit_code = 8
    label = "attention"

    def __init__(self, message: str, quiet: bool = False) -> None:
        super().__init__(message)
        self.quiet = quiet


class OutcomeUnknown(IggyCliError):
    """A create the server may have carried out, whose secret never arrived: it answered "not
    committed, may still commit" (edge, 503 id 57), or its answer was lost (AnswerLost)."""

    exit_code = 9


class OutputFailed(IggyCliError):
    """stdout could not be written: closed (`>&-`), full (`>/dev/full`) or failing."""

    exit_code = 10


class BrokenPipe(OutputFailed):
    """stdout's reader went away (`| head -1`): app.run ends the run quietly, as SIGPIPE would."""

    exit_code = 141


class Declined(IggyCliError):
    """The person at the terminal answered no. Not an error (no `error:` label), but not a
    success either: a script that goes on after `iggy pat delete old && ...` must not believe
    the token is gone. Its own code, so it is never taken for Ctrl-C (130)."""

    exit_code = 11
    label = ""


class Interrupted(IggyCliError):
    """Ctrl-C (or SIGTERM, SIGHUP); app.run reports 128 + the signal's number when a
    signal caused it (signals.py)."""

    exit_code = 130


class CannotRun(IggyCliError):
    """`pat exec` found no such command (127, as a shell says it)."""

    exit_code = 127


class NotRunnable(CannotRun):
    """`pat exec` found the command but could not run it (126, as a shell says it)."""

    exit_code = 126


EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "success"),
    (1, "unexpected error (a bug: set IGGY_DEBUG=1 for the traceback)"),
    (2, "usage: bad option, argument, variable, token name or expiry (nothing was sent)"),
    (3, "rejected by the server: invalid name, duplicate name, token limit reached"),
    (4, "authentication: wrong password, unknown or expired token, not logged in"),
    (5, "not found: no such token on the server or in the keyring"),
    (6, "server unreachable, timed out, or not answering as an Iggy server"),
    (7, "keyring failure: no keyring, storing/reading/deleting failed, or another user's copy"),
    (8, "alert: pat list --expiring-within or --expired found tokens (it lists them)"),
    (9, "unknown outcome: the server may have created the token, but its secret never came"),
    (10, "could not write the output: stdout closed or full"),
    (11, "declined: you answered no at a confirmation; nothing was changed"),
    (126, "pat exec: the command was found but could not be run"),
    (127, "pat exec: no such command (once it runs, pat exec exits as the command does)"),
    (129, "stopped by SIGHUP"),
    (130, "interrupted (Ctrl-C)"),
    (141, "stdout's reader went away (a broken pipe, as with `| head -1`)"),
    (143, "stopped by SIGTERM"),
)


def quoted(text: str) -> str:
    """Someone's words for an error line, quoted and cut to 40 characters: 400 digits of an
    expiry or a 255-byte name help no one there."""
    return repr(text if len(text) <= 40 else text[:37] + "...")

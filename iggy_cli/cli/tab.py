"""TAB completion, answered without typer, click, httpx or keyring: it reads the command tree
from spec_data.py (generated from the app; a test fails when it drifts) and token names
from the local names index, so a TAB never waits on the network or asks for a password.

It speaks click's shell-completion protocol, which the scripts in completions/ use:
`_IGGY_COMPLETE=bash_complete|zsh_complete|fish_complete` with COMP_WORDS and COMP_CWORD.
"""

from __future__ import annotations

import shlex

from iggy_cli.cli.command_tree import ARGUMENT, OPTION, walk
from iggy_cli.cli.spec_data import TREE

TYPE_CHECKING = False  # the fast path imports no typing; mypy reads this name as true
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, TextIO

URL_OPTIONS = ("--url", "--http-api-url")
# Where a token name is expected: after these options, and as these commands' arguments.
NAME_OPTIONS = ("-n", "--token-name")
NAME_COMMANDS = ("pat delete", "pat login", "pat token", "pat rotate", "pat show")
FILE_OPTIONS = ("--ca-cert",)
CONTEXT_OPTIONS = ("--context",)
CONTEXT_COMMANDS = ("context use", "context show", "context delete")

Candidate = tuple[str, str, str]  # (type, value, help): type is plain or file
# Generated from the app by spec.py; a test fails when it drifts.
SPEC: dict[str, dict[str, dict[str, Any]]] = TREE


def answer(instruction: str, environ: Mapping[str, str], out: TextIO | None) -> int:
    shell = instruction.removesuffix("_complete")
    if shell not in ("bash", "zsh", "fish"):
        print(f"error: unknown completion instruction {instruction!r}", file=out)
        return 1
    words, incomplete = _words(shell, environ)
    lines = [_format(shell, item) for item in candidates(words, incomplete, environ)]
    if lines:
        print("\n".join(lines), file=out)
    return 0


def candidates(words: list[str], incomplete: str, environ: Mapping[str, str]) -> list[Candidate]:
    """What may come next after `words` (the program name excluded), starting with `incomplete`."""
    path, arguments, pending = "", 0, None
    given: dict[str, str] = {}  # the options that choose the server: --url, --context
    for step in walk(words, SPEC):
        path = step.path
        if step.kind == OPTION:
            if step.pending:
                pending = step
            elif step.value is not None:
                given[_server_option(step.word)] = step.value
        elif step.kind == ARGUMENT:
            arguments += 1
    node = SPEC[path]
    if pending is not None:
        assert pending.option is not None
        return _option_values(pending.option, pending.word, incomplete, given, environ)
    if incomplete.startswith("-"):
        # a command's own options, then the global ones, which are accepted after it too
        options = dict(node["options"])
        for name, option in SPEC[""]["options"].items() if path else ():
            options.setdefault(name, option)
        return _matching(
            [("plain", name, option[2]) for name, option in options.items()], incomplete
        )
    if node["commands"]:
        return _matching(
            [("plain", name, text) for name, text in node["commands"].items()], incomplete
        )
    if path in NAME_COMMANDS:
        typed = set(words)
        names = sorted(_token_names(given, environ) - typed)
        return _matching_names(names, incomplete)
    # `pat exec NAME -- COMMAND`: a token name first; what follows `--` is another program's.
    if path == "pat exec" and arguments == 0 and "--" not in words:
        return _matching_names(sorted(_token_names(given, environ)), incomplete)
    if path in CONTEXT_COMMANDS and arguments == 0:
        return _matching([("plain", name, "") for name in _context_names(environ)], incomplete)
    return []


def _server_option(name: str) -> str:
    return "--url" if name in URL_OPTIONS else name


def _option_values(
    option: list[Any],
    name: str,
    incomplete: str,
    given: Mapping[str, str],
    environ: Mapping[str, str],
) -> list[Candidate]:
    choices = option[1]
    if isinstance(choices, list):
        return _matching([("plain", str(choice), "") for choice in choices], incomplete)
    if name in NAME_OPTIONS:
        return _matching_names(sorted(_token_names(given, environ)), incomplete)
    if name in FILE_OPTIONS:
        return [("file", incomplete, "")]
    if name in CONTEXT_OPTIONS:
        return _matching([("plain", n, "") for n in _context_names(environ)], incomplete)
    return []


def _matching(items: list[Candidate], incomplete: str) -> list[Candidate]:
    return [item for item in items if item[1].startswith(incomplete)]


def _matching_names(names: list[str], incomplete: str) -> list[Candidate]:
    """Token names starting with `incomplete` in either spelling: `Deploy K` also finds
    `deploy.key`, which is what a server up to 0.4.140 made of `Deploy Key`."""
    if not incomplete:
        return [("plain", name, "") for name in names]
    from iggy_cli.server.dialect import normalize_name

    normalized = normalize_name(incomplete)
    if incomplete[-1:].isspace() and normalized:
        normalized += "."  # the space begins the next word
    return [
        ("plain", name, "")
        for name in names
        if name.startswith(incomplete) or (normalized and name.startswith(normalized))
    ]


def _token_names(given: Mapping[str, str], environ: Mapping[str, str]) -> set[str]:
    """Names known for the server the command line would use, resolved exactly as a run
    resolves it (settings.py): --url, --context, IGGY_URL, the current context."""
    from iggy_cli.errors import IggyCliError
    from iggy_cli.settings import Flags, resolve
    from iggy_cli.state.config_file import UserConfig
    from iggy_cli.state.indexes import NameIndex

    flags = Flags(context=given.get("--context"), url=given.get("--url"))
    try:
        config = UserConfig(environ=environ).view()
        settings, _ = resolve(flags, environ, config, ignore_missing_context=True)
        return NameIndex(environ=environ).known(settings.keyring)
    except (IggyCliError, OSError):
        return set()  # a TAB never prints an error


def _context_names(environ: Mapping[str, str]) -> list[str]:
    """Context names from config.toml, read only when a context is being completed."""
    from iggy_cli.errors import IggyCliError
    from iggy_cli.state.config_file import UserConfig

    try:
        return sorted(UserConfig(environ=environ).contexts())
    except (IggyCliError, OSError):
        return []


def _words(shell: str, environ: Mapping[str, str]) -> tuple[list[str], str]:
    words = _split(environ.get("COMP_WORDS", ""))
    if shell == "fish":
        # fish passes the words up to the cursor, and the partial word separately
        partial = environ.get("COMP_CWORD", "")
        incomplete = _split(partial)[0] if partial else ""
        arguments = words[1:]
        if incomplete and arguments and arguments[-1] == incomplete:
            arguments.pop()
        return arguments, incomplete
    index = int(environ.get("COMP_CWORD", "0") or 0)
    incomplete = words[index] if index < len(words) else ""
    return words[1:index], incomplete


def _split(text: str) -> list[str]:
    """shlex.split that keeps a partial last word (an open quote) instead of failing."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words: list[str] = []
    try:
        words.extend(lexer)
    except ValueError:
        words.append(lexer.token)
    return words


def _format(shell: str, item: Candidate) -> str:
    kind, value, help_text = item
    if shell == "zsh":
        if help_text:
            return f"{kind}\n{value.replace(':', chr(92) + ':')}\n{help_text}"
        return f"{kind}\n{value}\n_"
    if shell == "fish" and help_text:
        return f"{kind},{value}\t{help_text}"
    return f"{kind},{value}"

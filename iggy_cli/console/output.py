"""Everything the tool writes: data on stdout, messages and warnings on stderr.

The only module that imports rich, and only to draw tables on a terminal: piped output is
plain text with no markup, colour or wrapping, so scripts can read it.

Whatever it prints may hold a server's text, so every line a person or a line-reading script
sees goes through `untrusted_text.shown` here, at the last step (control and format characters
escaped: one value, one line); JSON keeps exact values with its own escapes; CSV carries values
exactly (quoted when they hold a comma, quote or newline), as a program reading it expects.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from iggy_cli import as_program, terminal_columns
from iggy_cli.console.untrusted_text import json_text, shown

URGENCY_STYLES = {"expired": "red", "day": "bold yellow", "week": "yellow"}


Record = dict[str, Any]


class Output:
    """Formats: table (for people), json, csv, plain (one value per line), or one --field.

    The machine formats print data only, on stdout, and keep human notes off stderr; their
    keys are a contract (docs/scripting.md), never changed without a major version.
    """

    def __init__(
        self,
        format: str = "table",
        quiet: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        field: str | None = None,
        environ: Mapping[str, str] | None = None,
        color: bool = True,
        mask_tokens: bool = False,
        program: str = "iggy",
    ) -> None:
        """`environ`: the run's environment, which rich reads on a terminal (NO_COLOR, COLUMNS,
        TERM); `color` False is --no-color."""
        self.format = format
        self.quiet = quiet
        self.field = field
        # Under GitHub Actions: have the runner hide each raw token before it is printed.
        self.mask_tokens = mask_tokens
        self.env_name = DEFAULT_ENV_NAME  # the variable `-o env` sets (a command's --env)
        self._masked: set[str] = set()
        self._stdout = stdout or sys.stdout
        self._stderr = stderr or sys.stderr
        self._environ = environ
        self._color = color
        self._program = program  # `iggy-cli`: the commands a note names are said that way

    @property
    def stdout(self) -> TextIO:
        """The run's stdout, for text that is neither data nor a message (a shell script)."""
        return self._stdout

    @property
    def json(self) -> bool:
        return self.format == "json" and self.field is None

    @property
    def machine(self) -> bool:
        return self.format != "table" or self.field is not None

    @property
    def stdout_open(self) -> bool:
        """False when stdout is closed (`>&-`): nothing printed there can reach anyone."""
        return self._stdout is not None and not getattr(self._stdout, "closed", False)

    def emit(self, payload: Record | list[Record], primary: tuple[str, ...] = ()) -> bool:
        """Print `payload` in a machine format and return True; False in table mode, where
        the command renders it for people. `primary` names the values `plain` prints."""
        if not self.machine:
            return False
        records = payload if isinstance(payload, list) else [payload]
        shown_tokens = [record.get("token") for record in records]
        for token in shown_tokens:
            if isinstance(token, str):
                self.mask(token)
        flat = [_flatten(record) for record in records]
        if self.format == "env" and self.field is None:
            if not all(isinstance(token, str) for token in shown_tokens) or not records:
                from iggy_cli.errors import UsageError

                raise UsageError("-o env prints a token, and this command prints none")
            for token in shown_tokens:
                self.token(str(token))
        elif self.field is not None:
            for record in flat:
                if self.field not in record:
                    from iggy_cli.errors import UsageError

                    known = ", ".join(record) or "none"
                    raise UsageError(f"no field {self.field!r} here; fields: {known}")
                self.value(_text(record[self.field]))
        elif self.format == "json":
            self.data(payload)
        elif self.format == "csv":
            self._csv(flat)
        else:
            for record in records:
                for key in primary:
                    value = record.get(key)
                    for item in value if isinstance(value, list) else [value]:
                        if item is not None:
                            self.value(_text(item))
        return True

    def _csv(self, records: list[Record]) -> None:
        columns = list(records[0]) if records else []
        rows = [[_text(record.get(column)) for column in columns] for record in records]
        for row in [columns, *rows] if columns else []:
            print(",".join(_csv_cell(cell) for cell in row), file=self._stdout)
        self._stdout.flush()

    def message(self, text: str) -> None:
        """A human note on stderr: silent with -q and in the machine formats."""
        if not self.quiet and not self.machine:
            self._note(text)

    def warning(self, text: str) -> None:
        self._note(text, "warning: ")

    def notice(self, text: str) -> None:
        """Something surprising about this run's settings; shown in every format (stderr)
        unless -q, since a script is as likely to be surprised by it as a person."""
        if not self.quiet:
            self._note(text, "notice: ")

    def trace(self, text: str) -> None:
        """A line of -v detail on stderr."""
        self._note(text)

    def error(self, text: str, hint: str | None = None, label: str = "error") -> None:
        self._note(text, f"{label}: " if label else "")
        if hint:
            self._note(hint, "hint: ")

    def _note(self, text: str, label: str = "") -> None:
        """One line on stderr, masked after escaping and after whatever the caller did to the
        text (collapsing, cutting), forms the masker knows; but before the program's name goes
        in (`iggy login` as `iggy-cli login`), which would turn a secret holding `iggy ` into
        one no rule knows, and can put no secret into view."""
        from iggy_cli.secrets.redaction import redact

        line = label + as_program(redact(shown(text)), self._program)
        # Wrapped after masking: wrapping only turns spaces into line breaks, so it cannot
        # show a secret, while a secret with a space in it, split first, would escape the mask.
        print(self._wrapped(line, self._stderr, len(label)), file=self._stderr, flush=True)

    def _wrapped(self, line: str, stream: TextIO, indent: int) -> str:
        """On a terminal, the line broken at spaces to its width (the terminal itself would
        cut words), continued under the text after `indent` columns; elsewhere, as it is."""
        width = self._terminal_width(stream)
        if width is None or len(line) <= width:
            return line
        import textwrap

        return textwrap.fill(
            line,
            width,
            subsequent_indent=" " * min(indent, width // 2),
            break_long_words=False,  # a URL or path stays whole, even past the edge
            break_on_hyphens=False,
        )

    def _terminal_width(self, stream: TextIO) -> int | None:
        if not _is_terminal(stream):
            return None
        return terminal_columns(self._environ or {}, stream)

    def value(self, text: str) -> None:
        """One bare value on stdout (a line of -o plain; a raw token goes through token())."""
        print(shown(text), file=self._stdout, flush=True)

    def token(self, token: str) -> None:
        """A raw token on stdout, masked first under GitHub Actions: the value alone, or with
        -o env a `VAR=value` line."""
        self.mask(token)
        if self.format == "env":
            print(env_line(self.env_name, token), file=self._stdout, flush=True)
        else:
            self.value(token)

    def mask(self, token: str) -> None:
        """Under GitHub Actions, `::add-mask::TOKEN` once per token, before it is printed. On
        stderr, not stdout: `$(iggy pat token X)`, `-o env >> $GITHUB_ENV` and `-o json | jq`
        must get only the data, and the runner reads workflow commands on both streams
        (actions/runner, src/Runner.Worker/Handlers/ScriptHandler.cs). Even with -q."""
        if not self.mask_tokens or token in self._masked:
            return
        self._masked.add(token)
        # A workflow command's value escapes %, CR and LF (actions/toolkit, command.ts).
        escaped = token.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        print(f"::add-mask::{escaped}", file=self._stderr, flush=True)

    def data(self, payload: Any) -> None:
        text = json_text(json.dumps(payload, indent=2, ensure_ascii=False))
        print(text, file=self._stdout, flush=True)

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        """`Label:  value` lines on stdout, labels aligned; values masked as a note is (a server's
        or the OS's problem text can quote a secret), in the same order as `_note`."""
        from iggy_cli.secrets.redaction import redact

        shown_pairs = [
            (shown(label), as_program(redact(shown(value)), self._program))
            for label, value in pairs
        ]
        width = max(len(label) for label, _ in shown_pairs) + 1
        for label, value in shown_pairs:
            line = self._wrapped(f"{label + ':':<{width}}  {value}", self._stdout, width + 2)
            print(line, file=self._stdout)
        self._stdout.flush()

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        urgencies: Sequence[str | None] = (),
    ) -> None:
        """Rows as a table: rich, coloured by urgency, on a terminal; plain text otherwise."""
        if _is_terminal(self._stdout):
            self._rich_table(columns, rows, urgencies)
        else:
            self._plain_table(columns, rows)

    def _rich_table(
        self, columns: Sequence[str], rows: Sequence[Sequence[str]], urgencies: Sequence[str | None]
    ) -> None:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, header_style="bold", pad_edge=False)
        for index, column in enumerate(columns):
            # Names and dates never break; the relative words wrap at spaces if they must.
            table.add_column(column, no_wrap=index != 2, overflow="ellipsis")
        for index, row in enumerate(rows):
            urgency = urgencies[index] if index < len(urgencies) else None
            # Text, never a str: rich would read `[bold red]` or `[link=...]` in a name as markup.
            cells = [Text(shown(str(cell))) for cell in row]
            table.add_row(*cells, style=URGENCY_STYLES.get(urgency or ""))
        # rich leaves colour out where NO_COLOR is set (https://no-color.org) in the environment
        # it is given, and where --no-color says so.
        environ = dict(os.environ if self._environ is None else self._environ)
        Console(file=self._stdout, no_color=None if self._color else True, _environ=environ).print(
            table
        )

    def _plain_table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        rows = [[shown(str(cell)) for cell in row] for row in rows]
        widths = [
            max(_width(str(cell)) for cell in column) for column in zip(columns, *rows, strict=True)
        ]
        for row in (columns, *rows):
            cells = [
                str(cell) + " " * (width - _width(str(cell)))
                for cell, width in zip(row, widths, strict=True)
            ]
            print("  ".join(cells).rstrip(), file=self._stdout)
        self._stdout.flush()


def _width(text: str) -> int:
    """The columns `text` takes on a terminal: a combining mark (the accent of a decomposed
    `café`) takes none, a wide East Asian character two; len() would count code points and
    misalign the row."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(
        0
        if unicodedata.combining(character)
        else 2
        if unicodedata.east_asian_width(character) in ("W", "F")
        else 1
        for character in text
    )


DEFAULT_ENV_NAME = "IGGY_TOKEN"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What a POSIX shell's `.`, docker compose, python-dotenv and GitHub's env file all read as is,
# unquoted; every Iggy token (68 characters of base64) is made of these.
_BARE = re.compile(r"[A-Za-z0-9+/=._:@%,-]*")
_QUOTABLE = re.compile(r"[^'\x00-\x1f\x7f]*")


def env_line(name: str, value: str) -> str:
    """`NAME=value`, single-quoted when the value holds other characters (then GitHub's env
    file, which strips no quotes, would keep them); a value that holds a quote or a control
    character has no form every reader agrees on, and is refused."""
    if _BARE.fullmatch(value):
        return f"{name}={value}"
    if _QUOTABLE.fullmatch(value):
        return f"{name}='{value}'"
    from iggy_cli.errors import UsageError

    raise UsageError(
        "this token holds a quote or a control character, which no env line carries as is",
        hint="use `iggy pat exec NAME -- COMMAND`, or print it without -o env",
    )


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _flatten(record: Record, prefix: str = "") -> Record:
    """Nested objects become dotted keys (`server.reachable`) for csv and --field."""
    flat: Record = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _csv_cell(text: str) -> str:
    """RFC 4180 quoting. The csv module leaves a lone \r unquoted when lines end in \n, and a
    reader then splits the row there: a name holding one would forge a record."""
    text = _encodable(text)
    if any(special in text for special in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _encodable(text: str) -> str:
    """A lone surrogate (JSON can carry one) cannot be written as UTF-8 at all: escaped."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)

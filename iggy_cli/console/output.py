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
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

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
    ) -> None:
        """`environ`: the run's environment, which rich reads on a terminal (NO_COLOR, COLUMNS,
        TERM); `color` False is --no-color."""
        self.format = format
        self.quiet = quiet
        self.field = field
        self._stdout = stdout or sys.stdout
        self._stderr = stderr or sys.stderr
        self._environ = environ
        self._color = color

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
        flat = [_flatten(record) for record in records]
        if self.field is not None:
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
        self._note(text, f"{label}: ")
        if hint:
            self._note(hint, "hint: ")

    def _note(self, text: str, label: str = "") -> None:
        """One line on stderr, masked last: after escaping, and after whatever the caller did
        to the text (collapsing, cutting), so the masker sees exactly what is printed."""
        from iggy_cli.secrets.redaction import redact

        print(label + redact(shown(text)), file=self._stderr, flush=True)

    def value(self, text: str) -> None:
        """One bare value on stdout (a raw token the user asked for, a line of -o plain)."""
        print(shown(text), file=self._stdout, flush=True)

    def data(self, payload: Any) -> None:
        text = json_text(json.dumps(payload, indent=2, ensure_ascii=False))
        print(text, file=self._stdout, flush=True)

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        """`Label:  value` lines on stdout, labels aligned."""
        shown_pairs = [(shown(label), shown(value)) for label, value in pairs]
        width = max(len(label) for label, _ in shown_pairs) + 1
        for label, value in shown_pairs:
            print(f"{label + ':':<{width}}  {value}", file=self._stdout)
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
            max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=True)
        ]
        for row in (columns, *rows):
            cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
            print("  ".join(cells).rstrip(), file=self._stdout)
        self._stdout.flush()


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

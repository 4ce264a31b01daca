"""Server text is untrusted (STYLE.md, lesson 16): `untrusted_text.shown` and the output paths that
use it, tested in-process. The console script against hostile servers is in test_hostile.py."""

from __future__ import annotations

import ast
import csv
import io
import json

import pytest

from iggy_cli.console.output import Output
from iggy_cli.console.untrusted_text import json_text, shown

HOSTILE = [
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b]0;pwned\x07",  # retitle the window
    "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",  # a hyperlink
    "evil\nforged  2099-01-01 00:00:00 UTC  in 9 days  yes",  # a forged row
    "cr\roverwrite",
    "\x9b31mred",  # C1 CSI
    "del\x7f",
    "\u202egnp.exe",  # right-to-left override
    "\u2066isolate\u2069",
    "zero\u200bwidth",
    "\ufeffbom",
    "tag\U000e0041",
    "line\u2028separator",
    "nbsp\u00a0",
    "surrogate\ud800",  # JSON can carry a lone surrogate; no encoder can write it
    "tab\there",
    "back\\slash\x1b",
    "\x00nul",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deploy", "deploy"),
        ("[bold red]x[/]", "[bold red]x[/]"),  # markup is rich's business, not an escape's
        ("名前-トークン", "名前-トークン"),
        ("a\\b", "a\\b"),  # printable text is left exactly as it is
        ("\x1b[2J", "\\x1b[2J"),
        ("a\nb", "a\\nb"),
        ("a\r\tb", "a\\r\\tb"),
        ("\x9b", "\\x9b"),
        ("\x7f", "\\x7f"),
        ("\u202e", "\\u202e"),
        ("\U000e0041", "\\U000e0041"),
        ("\ud800", "\\ud800"),
        ("\u00a0", "\\xa0"),
        ("a\\b\n", "a\\\\b\\n"),  # once escaping, backslashes too: it reads back exactly
    ],
    ids=repr,
)
def test_shown_escapes_what_is_not_printable(text: str, expected: str) -> None:
    assert shown(text) == expected


@pytest.mark.parametrize("text", HOSTILE, ids=repr)
def test_shown_is_one_printable_line_that_reads_back_exactly(text: str) -> None:
    escaped = shown(text)
    assert escaped.isprintable()
    assert ast.literal_eval("'" + escaped.replace("'", "\\'") + "'") == text


def test_every_character_of_the_first_planes_comes_out_printable() -> None:
    everything = "".join(chr(code) for code in range(0x3000))
    assert shown(everything).isprintable()


@pytest.mark.parametrize("text", HOSTILE, ids=repr)
def test_json_text_keeps_the_exact_value_and_nothing_raw(text: str) -> None:
    document = json.dumps({"name": text}, indent=2, ensure_ascii=False)
    safe = json_text(document)
    assert json.loads(safe) == {"name": text}
    assert all(character.isprintable() or character in " \n" for character in safe)


def streams(terminal: bool = False) -> tuple[io.StringIO, io.StringIO]:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return terminal

    return Stream(), Stream()


def raw_controls(text: str) -> list[str]:
    return [character for character in text if not (character.isprintable() or character == "\n")]


def test_a_piped_table_keeps_one_line_per_row() -> None:
    out, err = streams()
    rows = [[name, "never", "never", "no"] for name in HOSTILE]
    Output(stdout=out, stderr=err).table(("NAME", "EXPIRES", "WHEN", "STORED"), rows)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + len(HOSTILE)
    assert raw_controls(out.getvalue()) == []
    assert lines[4].startswith("evil\\nforged")


def test_a_terminal_table_shows_markup_and_escapes_literally() -> None:
    out, err = streams(terminal=True)
    names = ["[bold red]x[/]", "[link=http://evil]click[/link]", "\x1b[2J", ":smile:"]
    Output(stdout=out, stderr=err).table(("NAME",), [[name] for name in names])
    text = out.getvalue()
    for shown_name in ("[bold red]x[/]", "[link=http://evil]click[/link]", "\\x1b[2J", ":smile:"):
        assert shown_name in text
    assert "\x1b]8;" not in text and "\x1b[2J" not in text  # no hyperlink, no clear screen


@pytest.mark.parametrize("field", [None, "name"])
def test_plain_and_field_print_one_escaped_line_per_value(field: str | None) -> None:
    out, err = streams()
    records = [{"name": name, "stored": False} for name in HOSTILE]
    Output("plain", stdout=out, stderr=err, field=field).emit(records, primary=("name",))
    assert out.getvalue().splitlines() == [shown(name) for name in HOSTILE]
    assert raw_controls(out.getvalue()) == []


def test_json_carries_every_value_exactly() -> None:
    out, err = streams()
    records = [{"name": name} for name in HOSTILE]
    Output("json", stdout=out, stderr=err).emit(records)
    assert json.loads(out.getvalue()) == records
    assert raw_controls(out.getvalue()) == []


def test_csv_carries_every_value_exactly_but_a_lone_surrogate() -> None:
    out, err = streams()
    records = [{"name": name} for name in HOSTILE]
    Output("csv", stdout=out, stderr=err).emit(records)
    read = [row["name"] for row in csv.DictReader(io.StringIO(out.getvalue(), newline=""))]
    expected = [name.replace("\ud800", "\\ud800") for name in HOSTILE]
    # the csv module reads a lone \r inside a quoted field back as written
    assert read == expected


@pytest.mark.parametrize("method", ["error", "warning", "notice", "trace", "message"])
def test_every_stderr_line_is_escaped(method: str) -> None:
    out, err = streams()
    output = Output(stdout=out, stderr=err)
    text = "server: evil \x1b]0;pwned\x07 \x1b[2J\nerror: forged"
    if method == "error":
        output.error(text, hint="\x1b[31mred\nhint")
    else:
        getattr(output, method)(text)
    lines = err.getvalue().splitlines()
    assert len(lines) == (2 if method == "error" else 1)
    assert "\\x1b]0;pwned\\x07 \\x1b[2J\\nerror: forged" in lines[0]
    assert raw_controls(err.getvalue()) == []


def test_fields_are_escaped() -> None:
    out, err = streams()
    Output(stdout=out, stderr=err).fields([("Server", "ok"), ("Problem", "bad\nforged: yes")])
    assert out.getvalue().splitlines() == ["Server:   ok", "Problem:  bad\\nforged: yes"]

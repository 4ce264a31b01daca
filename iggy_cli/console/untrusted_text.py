"""Text from elsewhere made safe to print: what a server sends is data, never instructions.

A token name or a server's reason can hold anything JSON can carry: ESC sequences that clear
the screen or retitle the window (`\\x1b[2J`, `\\x1b]0;...\\x07`), a newline that forges a table
row or a line of `-o plain`, a C1 CSI (U+009B) that some terminals obey, bidi and other format
characters (U+202E, U+2066, U+200B) that reorder or hide what follows, lone surrogates that no
encoder can write. `shown` turns every character Python does not call printable into an
escape a person can read, so one name always stays one visible line of exactly what it says.

Printable text passes unchanged (the common case, and what scripts reading `-o plain` rely on);
text that needs escaping has its backslashes doubled too, so its shown form reads back as a
Python string literal. JSON keeps the exact characters with its own \\uXXXX escapes
(`json_text`). Rich markup is another matter: output.py hands rich `Text` objects, never
markup strings, so `[bold red]` in a name is only ever those eleven characters.
"""

from __future__ import annotations

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def shown(text: str) -> str:
    """`text` with each non-printable character escaped (`\\x1b`, `\\n`, `\\u202e`)."""
    if text.isprintable():
        return text
    return "".join(_escape(character) for character in text)


def _escape(character: str) -> str:
    if character.isprintable() and character != "\\":
        return character
    short = _SHORT.get(character)
    if short is not None:
        return short
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def json_text(document: str) -> str:
    """JSON text from json.dumps(ensure_ascii=False) with every non-printable character left
    raw by it (DEL, C1, format characters, lone surrogates) as a \\uXXXX escape: the same JSON
    value, character for character, with nothing a terminal would act on. Outside strings
    json.dumps writes only ASCII punctuation, spaces and newlines, which are left alone."""
    if document.isprintable():
        return document
    return "".join(
        character if character.isprintable() or character in " \n" else _json_escape(character)
        for character in document
    )


def _json_escape(character: str) -> str:
    code = ord(character)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the BMP JSON spells a character as its UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

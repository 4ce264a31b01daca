"""One reading of a command line against the generated command tree (spec_data.TREE), shared by
the three places that need it before typer runs: the entry (which command will run, so only its
module is imported), the hoisting of global options given after the command, and TAB
completion.

The tree maps a command path (`""`, `"pat"`, `"pat create"`) to its `commands` (name -> help)
and `options` (name -> [takes_value, choices, help]). A global option is one of the root's; it
is accepted after a command too, unless that command has an option of the same name itself
(`context create --url` is the context's URL).

This module is on the fast path (`--help`, TAB): no typing, no dataclasses.
"""

TYPE_CHECKING = False  # the fast path imports no typing; mypy reads this name as true
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

COMMAND = "command"  # word: a command name; path: the path it leads to
OPTION = "option"  # word: the option's name; option: its spec or None; value: its value or None
ARGUMENT = "argument"  # word: a positional argument of the command at path
END = "end"  # word: "--"; rest: every word after it, unread


class Step:
    """What one word (with its value, for an option that takes one) is on the command line."""

    __slots__ = ("global_", "kind", "option", "path", "pending", "rest", "value", "word", "words")

    def __init__(
        self,
        kind: str,
        word: str,
        path: str,
        words: "list[str]",
        option: "list[Any] | None" = None,
        value: "str | None" = None,
        global_: bool = False,
        pending: bool = False,
        rest: "list[str] | None" = None,
    ) -> None:
        self.kind = kind
        self.word = word
        self.path = path
        self.words = words  # the words as given: ["-o", "json"], ["-o=json"], ["pat"]
        self.option = option
        self.value = value
        self.global_ = global_  # found among the root's options after a command
        self.pending = pending  # an option that takes a value, and the words ran out
        self.rest = rest or []


def option_at(tree: "dict[str, Any]", path: str, name: str) -> "tuple[list[Any] | None, bool]":
    """The option `name` as the command at `path` knows it, else as a global option; and
    whether it was found among the global ones (after a command)."""
    own = tree[path]["options"].get(name)
    if own is not None or not path:
        return own, False
    found = tree[""]["options"].get(name)
    return found, found is not None


def walk(arguments: "list[str]", tree: "dict[str, Any]") -> "Iterator[Step]":
    path = ""
    words = iter(arguments)
    for word in words:
        if word == "--":
            yield Step(END, word, path, [word], rest=list(words))
            return
        if word.startswith("-") and word != "-":
            name, has_value, inline = word.partition("=")
            option, global_ = option_at(tree, path, name)
            given = [word]
            value: str | None = inline if has_value else None
            pending = False
            if option is not None and option[0] and not has_value:
                value = next(words, None)
                if value is None:
                    pending = True
                else:
                    given.append(value)
            yield Step(OPTION, name, path, given, option, value, global_, pending)
            continue
        if word in tree[path]["commands"]:
            path = f"{path} {word}".strip()
            yield Step(COMMAND, word, path, [word])
        else:
            yield Step(ARGUMENT, word, path, [word])


def is_leaf(tree: "dict[str, Any]", path: str) -> bool:
    return bool(path) and not tree[path]["commands"]

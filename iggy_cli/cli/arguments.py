"""Global options anywhere: `iggy pat token deploy -o json` and `iggy login -u iggy
--password-stdin` mean what `iggy -o json pat token deploy` and `iggy -u iggy --password-stdin
login` mean, as docker and gh users expect.

click only accepts a group's options before its subcommand, so the arguments are rearranged
before click sees them: a global option (and its value) found after the command moves in front
of it, unless the command has an option of that name itself (`context create --url` is the
context's URL, not the server to talk to). Everything after `--` is left alone.

It reads the command tree generated into spec_data (command -> its options, and whether each
takes a value), so it needs no click and costs next to nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~7 ms to import; mypy reads this name as true
if TYPE_CHECKING:
    from typing import Any


def hoist_global_options(arguments: list[str], tree: dict[str, Any]) -> list[str]:
    global_options = tree[""]["options"]
    path: list[str] = []
    hoisted: list[str] = []
    rest: list[str] = []
    words = iter(arguments)
    for word in words:
        node = tree.get(" ".join(path))
        if word == "--" or node is None:
            rest.append(word)
            rest.extend(words)
            break
        if not word.startswith("-") or word == "-":
            if word in node["commands"]:
                path.append(word)
            rest.append(word)
            continue
        name, has_value, _ = word.partition("=")
        own = node["options"].get(name)
        if own is None and path and name in global_options:
            takes_value = global_options[name][0]
            hoisted.append(word)
            if takes_value and not has_value:
                value = next(words, None)
                if value is not None:
                    hoisted.append(value)
            continue
        rest.append(word)
        if own is not None and own[0] and not has_value:
            value = next(words, None)
            if value is not None:
                rest.append(value)
    return hoisted + rest

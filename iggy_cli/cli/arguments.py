"""Global options anywhere: `iggy pat token deploy -o json` and `iggy login -u iggy
--password-stdin` mean what `iggy -o json pat token deploy` and `iggy -u iggy --password-stdin
login` mean, as docker and gh users expect.

click only accepts a group's options before its subcommand, so the arguments are rearranged
before click sees them: a global option (and its value) found after the command moves in front
of it, unless the command has an option of that name itself (`context create --url` is the
context's URL, not the server to talk to). Everything after `--` is left alone.

It reads the command line as command_tree.walk does for the entry and TAB completion.
"""

from __future__ import annotations

from typing import Any

from iggy_cli.cli.command_tree import END, OPTION, walk


def hoist_global_options(arguments: list[str], tree: dict[str, Any]) -> list[str]:
    hoisted: list[str] = []
    rest: list[str] = []
    for step in walk(arguments, tree):
        if step.kind == END:
            rest += [step.word, *step.rest]
        elif step.kind == OPTION and step.global_:
            hoisted += step.words
        else:
            rest += step.words
    return hoisted + rest

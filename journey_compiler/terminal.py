"""Printing to the terminal: text from data is printed as it is, never read as rich markup.

Conversation ids, event keys, file and database paths, template titles come from outside;
rich would read `[/x]` in them as a closing tag (and raise MarkupError) and `:smile:` as an
emoji. So the CLI's consoles read neither, and every function that prints data on a console
it is given (which may read markup) passes that data as rich.text.Text, which rich never parses.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text


def plain_console(stderr: bool = False) -> Console:
    """A console that prints strings literally (no markup, no emoji codes).

    soft_wrap: a `file:line:col: message` stays one line at any terminal width (CI problem
    matchers read it)."""
    return Console(stderr=stderr, soft_wrap=True, markup=False, emoji=False)


def styled(text: object, style: str = "") -> Text:
    """`text` as literal rich Text in `style`: safe on any console."""
    return Text(str(text), style=style)


def cells(*values: Any) -> list[Any]:
    """Table cells with every string as literal Text (rich parses markup in string cells)."""
    return [Text(value) if isinstance(value, str) else value for value in values]

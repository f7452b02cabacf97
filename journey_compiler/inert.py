"""Template text is data: write it so that dbt's Jinja cannot read any of it as code.

dbt renders every model and YAML file as Jinja before the warehouse sees it, so a template
value `{{ 7*7 }}` written as the literal `'{{ 7*7 }}'` would compare with `'49'`, and
`{{ run_query(...) }}` would run. Every Jinja construct starts with `{` (`{{`, `{%`, `{#`),
so a string literal holding `{` is written as pieces joined by `CHR(123)`: the text reaches
the warehouse unchanged and no Jinja delimiter appears in the file.

>>> text_literal("{{ 7*7 }}").sql()
"(CHR(123) || CHR(123) || ' 7*7 }}')"

`foreign_jinja` is the last guard: it finds any Jinja in a generated file that is not the
compiler's own frame, so a future code path that forgets `text_literal` fails loudly.
"""

from __future__ import annotations

from collections.abc import Iterable

import jinja2
from sqlglot import exp

BRACE = "{"
BRACE_CODE = 123  # ord("{"), the same in every warehouse's CHR
Construct = tuple[tuple[str, str], ...]


def text_literal(text: str) -> exp.Expr:
    """`text` as a SQL string expression with no `{` in its SQL: 'a' || CHR(123) || 'b'."""
    if BRACE not in text:
        return exp.Literal.string(text)
    pieces: list[exp.Expr] = []
    for index, part in enumerate(text.split(BRACE)):
        if index:
            pieces.append(exp.Chr(expressions=[exp.Literal.number(BRACE_CODE)]))
        if part:
            pieces.append(exp.Literal.string(part))
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = exp.DPipe(this=joined, expression=piece)
    return exp.paren(joined, copy=False) if len(pieces) > 1 else joined


def jinja_constructs(text: str) -> list[tuple[int, Construct]]:
    """Every Jinja construct in `text` ({{ }}, {% %}, {# #}, raw blocks) as (line, its tokens
    without whitespace); jinja2.TemplateSyntaxError when the text is not even valid Jinja."""
    constructs: list[tuple[int, Construct]] = []
    current: list[tuple[str, str]] | None = None
    start_line = 0
    for line, kind, value in jinja2.Environment().lex(text):
        if kind.endswith("_begin"):
            current, start_line = [], line
        if current is None:
            continue  # data outside any construct: plain SQL or YAML
        if kind != "whitespace":
            current.append((kind, value.strip()))
        if kind.endswith("_end"):
            constructs.append((start_line, tuple(current)))
            current = None
    if current:  # the lexer ends an unterminated `{% raw %}` quietly: it is a construct too
        constructs.append((start_line, tuple(current)))
    return constructs


def foreign_jinja(text: str, allowed: Iterable[str]) -> tuple[int, str] | None:
    """The first Jinja construct in `text` that is none of the `allowed` snippets, as
    (line, what it is), or None when the only Jinja is the allowed frame."""
    permitted = {construct for snippet in allowed for _, construct in jinja_constructs(snippet)}
    try:
        found = jinja_constructs(text)
    except jinja2.TemplateSyntaxError as error:
        return error.lineno, f"text dbt cannot parse as Jinja ({error.message})"
    for line, construct in found:
        if construct not in permitted:
            return line, " ".join(value for _, value in construct)
    return None

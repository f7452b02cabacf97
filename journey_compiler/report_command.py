"""`journeys report` as a command: the terminal report or the HTML file, and its exit code.

Apart from `report` (the data and the terminal pictures) and `report_html` (the HTML page), so
neither of those imports the other's caller: report_html reads report's data model, this
module uses both.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
from rich.console import Console

from journey_compiler import environment
from journey_compiler.report import ReportError, load_report, parse_since, render_terminal
from journey_compiler.report_html import write_html
from journey_compiler.terminal import styled


def write_html_report(database: Path, path: Path, template: str | None = None, since: date | None = None) -> Path:
    """Write the HTML report of `database` to `path`; return the file's absolute path."""
    return write_html(load_report(database, template, since), path).resolve()


def report_command(
    console: Console, errors: Console, database: Path, template: str | None, since: str | None, html: Path | None
) -> int:
    """`journeys report`: the terminal report, or with `html` the HTML file; the exit code."""
    try:
        since_date = parse_since(since)
        if html is not None:
            path = write_html_report(database, html, template, since_date)
            console.print(styled(f"Wrote the HTML report to {path}"), soft_wrap=True)
        else:
            render_terminal(console, load_report(database, template, since_date))
    except (ReportError, duckdb.Error) as error:
        known = None if isinstance(error, ReportError) else environment.explain(error, database, writing=False)
        errors.print(styled(known or error, "red"), soft_wrap=True)
        if known:
            return environment.EXIT_CODE
        return error.exit_code if isinstance(error, ReportError) else 1
    return 0

"""The summary printed after a build: events in, journeys out, where the tables are."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table


def print_summary(console: Console, database: Path) -> None:
    with duckdb.connect(str(database)) as connection:
        outcomes = dict(connection.execute(
            "select row_outcome, count(*) from main.stg_events__validated group by 1"
        ).fetchall())
        reasons = connection.execute(
            "select rejection_reason, count(*) from main.stg_events__validated "
            "where row_outcome = 'rejected' group by 1 order by 2 desc, 1"
        ).fetchall()
        journeys = connection.execute(
            "select template_name, status, count(*) from main.journeys group by 1, 2 order by 1, 2"
        ).fetchall()
    read = sum(outcomes.values())
    events = Table(title="Events", show_header=False)
    events.add_row("read", f"{read:,}")
    events.add_row("accepted", f"{outcomes.get('accepted', 0):,}")
    events.add_row("duplicates", f"{outcomes.get('duplicate', 0):,}")
    events.add_row("rejected", f"{outcomes.get('rejected', 0):,}")
    for reason, count in reasons:
        events.add_row(f"  {reason}", f"{count:,}")
    console.print(events)

    by_template: dict[str, dict[str, int]] = {}
    for template, status, count in journeys:
        by_template.setdefault(template, {})[status] = count
    table = Table(title="Journeys")
    for column in ("template", "journeys", "completed", "timed out", "open"):
        table.add_column(column, justify="right" if column != "template" else "left")
    for template, counts in by_template.items():
        table.add_row(
            template, f"{sum(counts.values()):,}", f"{counts.get('completed', 0):,}",
            f"{counts.get('timed_out', 0):,}", f"{counts.get('open', 0):,}",
        )
    console.print(table)
    console.print(f"Tables are in [bold]{database}[/bold] (schema main): journeys, journey_milestones, rejected_events, ...")

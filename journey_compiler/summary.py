"""The summary printed after a build: events in, journeys out, where the tables are."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table
from rich.text import Text

from journey_compiler.queries import scalar
from journey_compiler.terminal import cells, styled


def print_summary(console: Console, database: Path, full_refresh: bool = False) -> None:
    with duckdb.connect(str(database)) as connection:
        recomputed = _recomputed(connection, full_refresh)
        outcomes = dict(
            connection.execute("select row_outcome, count(*) from main.stg_events__validated group by 1").fetchall()
        )
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
        events.add_row(*cells(f"  {reason}", f"{count:,}"))
    console.print(events)

    by_template: dict[str, dict[str, int]] = {}
    for template, status, count in journeys:
        by_template.setdefault(template, {})[status] = count
    table = Table(title="Journeys")
    for column in ("template", "journeys", "completed", "timed out", "open"):
        table.add_column(column, justify="right" if column != "template" else "left")
    for template, counts in by_template.items():
        table.add_row(
            *cells(
                template,
                f"{sum(counts.values()):,}",
                f"{counts.get('completed', 0):,}",
                f"{counts.get('timed_out', 0):,}",
                f"{counts.get('open', 0):,}",
            )
        )
    console.print(table)
    console.print(styled(recomputed))
    if not outcomes.get("accepted"):
        console.print(styled(_no_events_line(read), "yellow"))
    print_headlines(console, database)
    console.print(
        Text.assemble(
            "Tables are in ",
            styled(database, "bold"),
            " (schema main): journeys, journey_milestones, rejected_events, ...",
        )
    )


def _no_events_line(read: int) -> str:
    """Why journeys and marts are empty when nothing was accepted, so an empty first run
    does not look like a broken one (docs/semantics.md)."""
    why = "no file had any rows" if read == 0 else f"all {read:,} rows were rejected (see rejected_events)"
    return (
        f"No accepted events yet: {why}, so journeys and marts are empty. "
        "Load events with `journeys run --events FILE`."
    )


def _recomputed(connection: duckdb.DuckDBPyConnection, full_refresh: bool) -> str:
    """What this run recomputed (docs/incremental.md), so a nightly log shows its own cost.
    Counted over conversations with accepted events: the refresh sets also hold ids whose
    rows were all rejected."""
    conversations = scalar(connection, "select count(distinct conversation_id) from main.stg_events")
    if full_refresh:
        return f"This run recomputed all {conversations:,} conversations: full refresh."
    restaged, refreshed = (
        scalar(
            connection,
            f"select count(*) from main.{table} where conversation_id in (select conversation_id from main.stg_events)",
        )
        for table in ("stg_refresh_conversations", "int_refresh_conversations")
    )
    if refreshed == conversations:
        why = full_recompute_reasons(connection)
        return f"This run recomputed all {conversations:,} conversations" + (
            f" (full recompute: {', '.join(why)})." if why else "."
        )
    return (
        f"This run recomputed {refreshed:,} of {conversations:,} conversations: {restaged:,} with rows "
        f"loaded since the last run, {refreshed - restaged:,} more with journeys that timed out."
    )


# manifest columns that force a full recompute when they differ from the run before
# (models/staging/stg_refresh_conversations.sql), in the order a summary names them
RECOMPUTE_CAUSES = (
    ("template_fingerprint", "the templates changed"),
    ("catalog_fingerprint", "the event catalog changed"),
    ("rules_fingerprint", "the project's models or macros changed"),
    ("as_of_setting", "the --as-of setting changed"),
)


def full_recompute_reasons(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Why the last recorded run recomputed everything, from its manifest row and the one
    before: a nightly log that suddenly costs a full refresh says what caused it."""
    columns = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'main' and table_name = 'journeys_run_manifest'"
        ).fetchall()
    }
    if not columns:
        return []
    names = [name for name, _ in RECOMPUTE_CAUSES if name in columns] + ["as_of_at"]
    runs = connection.execute(
        f"select {', '.join(names)} from main.journeys_run_manifest order by recorded_at desc limit 2"
    ).fetchall()
    if len(runs) < 2:
        return ["first run"]
    now, before = (dict(zip(names, run, strict=True)) for run in runs)
    reasons = [why for name, why in RECOMPUTE_CAUSES if name in columns and now[name] != before[name]]
    if "the templates changed" in reasons and "the project's models or macros changed" in reasons:
        reasons.remove("the project's models or macros changed")  # the generated models follow the templates
    if not reasons and None not in (now["as_of_at"], before["as_of_at"]) and now["as_of_at"] < before["as_of_at"]:
        reasons.append("the as-of time went back")
    return reasons


HEADLINES_SQL = """
with slowest as (
    select template_name, transition_name, p50_seconds, p90_seconds
    from main.journey_step_durations
    where dimension = 'all' and is_bottleneck
),

dropoff as (
    select template_name, step_name, journeys, share
    from main.journey_dropoffs
    where outcome = 'timed_out' and is_biggest
),

stalled as (
    select template_name, count(*) filter (where is_stalled) as stalled, count(*) as open_journeys
    from main.journey_stalls
    group by template_name
)

select
    templates.template_name,
    slowest.transition_name, slowest.p50_seconds, slowest.p90_seconds,
    dropoff.step_name, dropoff.journeys, dropoff.share,
    coalesce(stalled.stalled, 0), coalesce(stalled.open_journeys, 0)
from main.journey_templates as templates
left join slowest using (template_name)
left join dropoff using (template_name)
left join stalled using (template_name)
order by templates.template_name
"""


def print_headlines(console: Console, database: Path) -> None:
    """The three answers per template: slowest step, biggest drop-off, stalled now."""
    with duckdb.connect(str(database)) as connection:
        rows = connection.execute(HEADLINES_SQL).fetchall()
    table = Table(title="Where conversations slow down, drop out and stall")
    for column in ("template", "slowest step (p50 / p90)", "biggest drop-off (timed out after)", "stalled now"):
        table.add_column(column)
    for template, transition, p50, p90, step, journeys, share, stalled, open_journeys in rows:
        slowest = f"{transition} ({_duration(p50)} / {_duration(p90)})" if transition else "-"
        dropoff = f"{step}: {journeys:,} ({share:.0%})" if step else "none timed out"
        table.add_row(*cells(template, slowest, dropoff, f"{stalled:,} of {open_journeys:,} open"))
    console.print(table)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"

"""Build the Helpdesk example end to end and print what it found.

    .venv/bin/python examples/helpdesk/build.py            # or: make helpdesk

The example is a dbt project of its own made on the fly: the main project's dbt parts
(dbt_project.yml, profiles.yml, models, macros, seeds, data-tests) are copied into
examples/helpdesk/target/project, its journeys/ gets this example's templates
(examples/helpdesk/journeys/*.yml) and is compiled; the log is imported with
examples/helpdesk/mapping.yml, loaded into a fresh DuckDB file and built with dbt (models and
data tests). The figures the README quotes are computed from `journeys` and
`journey_milestones` and written to examples/helpdesk/target/figures.json; the metric marts
(journey_step_durations, journey_dropoffs, journey_stalls, journey_time_to_complete) are
shown too when the project has them.

Nothing outside examples/helpdesk/target/ is written (target/ is git-ignored).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from journey_compiler import compiler, ingest, runner
from journey_compiler.importer import ImportReport, import_log
from journey_compiler.loader import load_templates

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATASET = HERE / "data" / "helpdesk.csv.gz"  # the log ships with the example (data/ATTRIBUTION.md)
MAPPING = HERE / "mapping.yml"
TEMPLATES = HERE / "journeys"
BUILD_DIR = HERE / "target"
# the same parts tests/harness.py copies: everything dbt needs, nothing else
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "data-tests")
METRIC_MARTS = ("journey_step_durations", "journey_dropoffs", "journey_stalls", "journey_time_to_complete")
HOUR = 3600.0
DAY = 86400.0


@dataclass
class Build:
    project: Path
    database: Path
    events_file: Path
    import_report: ImportReport
    figures: dict[str, Any]
    seconds: float


def make_project(build_dir: Path, templates_dir: Path = TEMPLATES, source_root: Path = REPO) -> Path:
    """A fresh copy of the main project's dbt parts whose journeys/ holds this example's
    templates, compiled. Returns the project directory."""
    project = Path(build_dir) / "project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = source_root / part
        if source.is_dir():
            # generated/ holds the main project's compiled templates: ours are compiled below
            shutil.copytree(source, project / part, ignore=shutil.ignore_patterns("generated", "__pycache__"))
        elif source.exists():
            shutil.copy2(source, project / part)
    journeys = project / "journeys"
    journeys.mkdir()
    for template in sorted(templates_dir.glob("*.yml")):
        shutil.copy2(template, journeys / template.name)
    loaded = [item.template for item in load_templates(project)]
    compiler.write(project, compiler.generate(loaded))
    return project


def build(
    source: Path = DATASET,
    build_dir: Path = BUILD_DIR,
    with_tests: bool = True,
    log=print,
) -> Build:
    """Copy + compile the project, import the log, load it into a fresh database, dbt build,
    and compute the figures."""
    started = time.perf_counter()
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    project = make_project(build_dir)
    log(f"Project: {project} (templates: {', '.join(p.stem for p in sorted((project / 'journeys').glob('*.yml')))})")

    events_file = build_dir / "helpdesk.jsonl"
    report = import_log(MAPPING, source, events_file, project)
    log(
        f"Imported {source}: {report.rows_read:,} rows, {report.events_written:,} events, "
        f"{report.rows_rejected:,} rejected, {report.conversations:,} tickets"
    )
    if report.rows_rejected:
        log(f"  rejected rows are in {report.rejected_path}: {dict(report.rejected)}")

    database = build_dir / "helpdesk.duckdb"
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    ingest.load_event_files(database, [events_file])
    skipped = () if with_tests else ("resource_type:test", "resource_type:unit_test")
    options = runner.BuildOptions(project_dir=project, database=database, full_refresh=True, exclude=skipped)
    log("dbt build" + (" (models and data tests)" if with_tests else " (models only)") + " ...")
    runner.run_dbt("build", options)

    figures = compute_figures(database)
    figures["import"] = {
        "rows_read": report.rows_read,
        "events_written": report.events_written,
        "rows_rejected": report.rows_rejected,
        "tickets": report.conversations,
        "events_by_type": dict(sorted(report.events_by_type.items())),
    }
    (build_dir / "figures.json").write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return Build(project, database, events_file, report, figures, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------
# figures


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# Consecutive steps of a template path (start, milestones in order, end) with the time between
# them, over journeys that reached both steps with the later one at or after the earlier: the
# same definition as the journey_step_durations mart.
_STEPS_SQL = """
with steps as (
    select template_name, 'start' as step_name, 0 as step_index
    from (select distinct template_name from main.journey_template_steps)
    union all
    select template_name, step_name, step_order
    from main.journey_template_steps where step_kind = 'milestone'
    union all
    select template_name, 'completed', (select count(*) from main.journey_template_steps m
        where m.template_name = t.template_name and m.step_kind = 'milestone') + 1
    from (select distinct template_name from main.journey_template_steps) t
),
reached as (
    select journey_id, template_name, 'start' as step_name, 0.0 as seconds_from_start
    from main.journeys
    union all
    select journey_id, template_name, milestone_name, seconds_from_start
    from main.journey_milestones where reached
    union all
    select journey_id, template_name, 'completed', duration_seconds
    from main.journeys where status = 'completed'
),
transitions as (
    select a.template_name, a.step_index as from_index, a.step_name as from_step, b.step_name as to_step
    from steps a join steps b on a.template_name = b.template_name and b.step_index = a.step_index + 1
),
durations as (
    select t.template_name, t.from_index, t.from_step, t.to_step,
           rb.seconds_from_start - ra.seconds_from_start as seconds
    from transitions t
    join reached ra on ra.template_name = t.template_name and ra.step_name = t.from_step
    join reached rb on rb.journey_id = ra.journey_id and rb.step_name = t.to_step
    where rb.seconds_from_start >= ra.seconds_from_start
)
select template_name, from_step, to_step, count(*) as journeys,
       quantile_cont(seconds, 0.5) as p50_seconds, quantile_cont(seconds, 0.9) as p90_seconds
from durations
group by template_name, from_index, from_step, to_step
order by template_name, from_index
"""


def compute_figures(database: Path) -> dict[str, Any]:
    """The example's key figures, from `journeys` and `journey_milestones` only."""
    with duckdb.connect(str(database), read_only=True) as con:
        figures: dict[str, Any] = {}
        # the default as-of time (docs/semantics.md): the latest accepted event
        figures["as_of"] = con.execute("select max(occurred_at) from main.stg_events").fetchone()[0]
        figures["events"] = dict(con.execute(
            "select row_outcome, count(*) from main.stg_events__validated group by 1 order by 1"
        ).fetchall())

        templates: dict[str, Any] = {}
        for row in _rows(con, """
            select template_name,
                   count(*) as journeys,
                   count(distinct conversation_id) as tickets,
                   count(*) filter (where status = 'completed') as completed,
                   count(*) filter (where status = 'timed_out') as timed_out,
                   count(*) filter (where status = 'open') as open,
                   quantile_cont(duration_seconds, 0.5) filter (where status = 'completed') as p50_completed_seconds,
                   quantile_cont(duration_seconds, 0.9) filter (where status = 'completed') as p90_completed_seconds
            from main.journeys group by 1 order by 1"""):
            closed = row["completed"] + row["timed_out"]
            row["completion_rate"] = row["completed"] / row["journeys"]
            row["closed_completion_rate"] = row["completed"] / closed if closed else None
            templates[row.pop("template_name")] = row
        for template, end_name, count in con.execute(
            "select template_name, end_name, count(*) from main.journeys where status = 'completed' group by 1, 2 order by 1, 3 desc"
        ).fetchall():
            templates[template].setdefault("ends", {})[end_name] = count
        for row in _rows(con, """
            select m.template_name, m.milestone_name, m.milestone_order,
                   count(*) filter (where m.reached) as reached,
                   count(*) filter (where m.reached and m.in_order) as reached_in_order,
                   quantile_cont(m.seconds_from_start, 0.5) as p50_seconds_from_start,
                   quantile_cont(m.seconds_from_start, 0.9) as p90_seconds_from_start,
                   any_value(s.target_seconds) as target_seconds,
                   count(*) filter (where m.reached and m.seconds_from_start > s.target_seconds) as reached_late,
                   count(*) filter (where not m.reached and j.status = 'timed_out') as missing_at_timeout,
                   count(*) filter (where not m.reached and j.status = 'completed') as skipped_when_completed
            from main.journey_milestones m
            join main.journeys j using (journey_id)
            left join (select template_name, step_name, target_hours * 3600.0 as target_seconds
                       from main.journey_template_steps where step_kind = 'milestone') s
              on s.template_name = m.template_name and s.step_name = m.milestone_name
            group by 1, 2, 3 order by 1, 3"""):
            templates[row.pop("template_name")].setdefault("milestones", {})[row.pop("milestone_name")] = row
        for row in _rows(con, _STEPS_SQL):
            name = f"{row['from_step']} -> {row['to_step']}"
            templates[row.pop("template_name")].setdefault("steps", {})[name] = row
        for template, values in templates.items():
            steps = values.get("steps", {})
            if steps:
                values["slowest_step"] = max(steps, key=lambda k: steps[k]["p50_seconds"] or 0)
        figures["templates"] = templates

        # where journeys stop: the last milestone reached by the timed-out and the open ones
        figures["stuck_at"] = {
            f"{template}/{status}": dict(counts)
            for (template, status), counts in _group_pairs(con.execute("""
                with last_step as (
                    select j.template_name, j.status, j.journey_id,
                           coalesce(max_by(m.milestone_name, m.seconds_from_start) filter (where m.reached), 'start') as last_reached
                    from main.journeys j left join main.journey_milestones m using (journey_id)
                    where j.status in ('timed_out', 'open')
                    group by 1, 2, 3
                )
                select template_name, status, last_reached, count(*) from last_step group by 1, 2, 3 order by 1, 2, 4 desc
            """).fetchall()).items()
        }
        figures["tickets_without_lifecycle"] = con.execute("""
            select count(distinct conversation_id) from main.stg_events
            where conversation_id not in (select conversation_id from main.journeys where template_name = 'ticket_lifecycle')
        """).fetchone()[0]

        figures["lifecycle_by_escalation"] = _lifecycle_split(con, "escalation")
        figures["lifecycle_by_waiting"] = _lifecycle_split(con, "waiting")
        figures["marts"] = _marts(con)
    return figures


def _group_pairs(rows: list[tuple]) -> dict[tuple[str, str], list[tuple[str, int]]]:
    grouped: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for template, status, step, count in rows:
        grouped.setdefault((template, status), []).append((step, count))
    return grouped


def _lifecycle_split(con: duckdb.DuckDBPyConnection, other_template: str) -> dict[str, Any]:
    """Ticket lifecycles split by whether the ticket has any journey of `other_template`."""
    rows = _rows(con, f"""
        with lifecycle as (
            select j.*, exists (select 1 from main.journeys o
                                where o.template_name = '{other_template}' and o.conversation_id = j.conversation_id) as has_other,
                   r.seconds_from_start as resolved_seconds
            from main.journeys j
            left join main.journey_milestones r
              on r.journey_id = j.journey_id and r.milestone_name = 'resolved' and r.reached
            where j.template_name = 'ticket_lifecycle'
        )
        select case when has_other then 'with' else 'without' end as tickets,
               count(*) as journeys,
               count(*) filter (where status = 'completed') as completed,
               count(*) filter (where status = 'timed_out') as timed_out,
               count(*) filter (where status = 'open') as open,
               count(resolved_seconds) as resolved,
               quantile_cont(resolved_seconds, 0.5) as p50_seconds_to_resolved,
               quantile_cont(resolved_seconds, 0.9) as p90_seconds_to_resolved,
               quantile_cont(duration_seconds, 0.5) filter (where status = 'completed') as p50_completed_seconds
        from lifecycle group by 1 order by 1
    """)
    return {row.pop("tickets"): row for row in rows}


def _marts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The other engineer's metric marts, when this project has them (read defensively)."""
    present = {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'"
    ).fetchall()}
    marts: dict[str, Any] = {}
    queries = {
        "journey_step_durations": """
            select template_name, transition_name, journeys, p50_seconds, p90_seconds, is_bottleneck,
                   target_breach_rate
            from main.journey_step_durations where dimension = 'all' order by template_name, from_step_index""",
        "journey_dropoffs": """
            select template_name, outcome, step_name, journeys, share, is_biggest
            from main.journey_dropoffs order by template_name, outcome, step_index""",
        "journey_stalls": """
            select template_name, current_step_name, next_step_name, count(*) as open_journeys,
                   count(*) filter (where is_stalled) as stalled, any_value(stall_reason) as a_stall_reason
            from main.journey_stalls group by 1, 2, 3 order by 1, 4 desc""",
        "journey_time_to_complete": """
            select template_name, journeys, journeys_completed, journeys_censored_open,
                   journeys_censored_timed_out, km_median_seconds, naive_median_seconds_closed_only,
                   p_complete_7d
            from main.journey_time_to_complete order by template_name""",
    }
    for name in METRIC_MARTS:
        if name not in present:
            continue
        try:
            marts[name] = _rows(con, queries[name])
        except duckdb.Error as error:  # a mart whose columns changed: say so, keep going
            marts[name] = {"error": str(error).splitlines()[0]}
    return marts


# ---------------------------------------------------------------------------------------------
# report


def _h(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 2 * DAY:
        return f"{seconds / DAY:.1f} d"
    if seconds >= HOUR:
        return f"{seconds / HOUR:.1f} h"
    return f"{seconds / 60:.0f} min"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def render(figures: dict[str, Any]) -> str:
    out: list[str] = []
    imp = figures.get("import", {})
    if imp:
        out.append(
            f"Imported {imp['rows_read']:,} rows -> {imp['events_written']:,} events "
            f"({imp['rows_rejected']:,} rejected) for {imp['tickets']:,} tickets; as of {figures['as_of']}"
        )
    out.append(f"Events: {figures['events']}")
    for name, t in figures["templates"].items():
        out.append("")
        out.append(
            f"{name}: {t['journeys']:,} journeys on {t['tickets']:,} tickets; completed {t['completed']:,} "
            f"({_pct(t['completion_rate'])}; {_pct(t['closed_completion_rate'])} of closed), "
            f"timed out {t['timed_out']:,}, open {t['open']:,}; ends {t.get('ends', {})}"
        )
        out.append(f"  completed journeys: p50 {_h(t['p50_completed_seconds'])}, p90 {_h(t['p90_completed_seconds'])}")
        for m_name, m in t.get("milestones", {}).items():
            target = f", target {_h(m['target_seconds'])}: {m['reached_late']:,} late" if m["target_seconds"] else ""
            out.append(
                f"  milestone {m_name}: reached {m['reached']:,} ({m['reached_in_order']:,} in order), "
                f"from start p50 {_h(m['p50_seconds_from_start'])} p90 {_h(m['p90_seconds_from_start'])}{target}; "
                f"missing at timeout {m['missing_at_timeout']:,}, skipped by completed {m['skipped_when_completed']:,}"
            )
        for s_name, s in t.get("steps", {}).items():
            flag = "   <- slowest" if s_name == t.get("slowest_step") else ""
            out.append(f"  step {s_name}: {s['journeys']:,} journeys, p50 {_h(s['p50_seconds'])}, p90 {_h(s['p90_seconds'])}{flag}")
    out.append("")
    out.append("Timed-out and open journeys, by the last milestone reached:")
    for key, counts in figures["stuck_at"].items():
        out.append(f"  {key}: {counts}")
    out.append(f"Tickets without a lifecycle (no 'Assign seriousness'): {figures['tickets_without_lifecycle']:,}")
    for split in ("lifecycle_by_escalation", "lifecycle_by_waiting"):
        out.append(f"{split}:")
        for side, row in figures[split].items():
            out.append(
                f"  {side}: {row['journeys']:,} tickets, completed {row['completed']:,}, timed out {row['timed_out']:,}, "
                f"open {row['open']:,}; to resolved p50 {_h(row['p50_seconds_to_resolved'])} "
                f"p90 {_h(row['p90_seconds_to_resolved'])}; completed p50 {_h(row['p50_completed_seconds'])}"
            )
    for name, rows in figures.get("marts", {}).items():
        out.append("")
        out.append(f"{name} (metric mart):")
        if isinstance(rows, dict):
            out.append(f"  could not read: {rows['error']}")
            continue
        for row in rows:
            out.append("  " + ", ".join(
                f"{k}={_h(v) if 'seconds' in k and isinstance(v, (int, float)) else v}" for k, v in row.items()
            ))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Helpdesk example and print its figures.")
    parser.add_argument("--source", type=Path, default=DATASET, help=f"the Helpdesk log (default {DATASET})")
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR, help=f"where to build (default {BUILD_DIR})")
    parser.add_argument("--no-tests", action="store_true", help="build the models only, skip dbt data tests")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"{args.source}: not found; pass --source PATH to the Helpdesk log (helpdesk.csv.gz)", file=sys.stderr)
        return 2
    try:
        result = build(args.source, args.build_dir, with_tests=not args.no_tests)
    except runner.DbtFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    print()
    print(render(result.figures))
    print()
    print(f"Built in {result.seconds:.0f} s. Database: {result.database}; figures: {result.database.parent / 'figures.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

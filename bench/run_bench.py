"""Benchmarks: print figures, assert nothing. See docs/performance.md for results.

    .venv/bin/python bench/run_bench.py engine --events 1000000 10000000
    .venv/bin/python bench/run_bench.py nightly --per-day 3300 --history-days 45 90 180

engine:  (a) the scan floor: read and filter the staged events;
         (b) a hand-written single-template query for First response (windows + one GROUP BY);
         (c) the project's journey models for all example templates (dbt, compiled SQL).
nightly: N days of history built in full, then one new day built incrementally, against a
         full refresh of the same N + 1 days; the same daily volume for each N, so how the
         incremental run's time moves with N shows what it is proportional to.

Each timed phase runs in its own process, so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
# the journey models: everything that builds journeys and journey_milestones from stg_events
ENGINE_SELECT = ("+journeys", "+journey_milestones")
ENGINE_EXCLUDE = ("+stg_events", "int_template_definitions", "int_template_steps", "resource_type:seed")
# staging, the engine and the per-journey intermediates: what is rebuilt per conversation
ENGINE_AND_STAGING = {
    "stg_refresh_conversations", "int_refresh_conversations", "stg_events__validated", "stg_events",
    "int_template_definitions", "int_template_steps", "int_journey_candidates", "int_journey_starts",
    "int_journey_milestone_hits", "journeys", "journey_milestones", "int_journey_steps",
    "int_journey_transitions", "int_journey_breakdowns",
}
SCAN_FLOOR_SQL = """
select count(*), count(distinct conversation_id), max(occurred_at)
from main.stg_events
where event_type in ('message.received', 'message.sent', 'conversation.assigned', 'ai.response_generated',
                     'conversation.created', 'conversation.marked_done', 'conversation.tagged', 'csat.rating',
                     'side_conversation.created')
"""
# What an analyst would write by hand for First response: every reply closes a cycle; a cycle
# starts at its first customer message. Windows + one GROUP BY; no timeout chain, no toggles.
HAND_WRITTEN_SQL = """
create or replace table main.bench_hand_written as
with events as (
    select conversation_id, event_id, event_type, occurred_at,
        event_type = 'message.sent'
            and coalesce(metadata ->> '$.author' in ('agent', 'bot') or metadata ->> '$.author' is null, true)
            as is_reply
    from main.stg_events
    where event_type in ('message.received', 'message.sent', 'conversation.assigned', 'ai.response_generated')
),
cycles as (
    select *,
        coalesce(sum(case when is_reply then 1 else 0 end) over (
            partition by conversation_id order by occurred_at, event_id
            rows between unbounded preceding and 1 preceding), 0) as cycle
    from events
)
select
    conversation_id,
    cycle,
    min(case when event_type = 'message.received' then occurred_at end) as started_at,
    min(case when event_type = 'conversation.assigned' then occurred_at end) as assigned_at,
    min(case when event_type = 'ai.response_generated' then occurred_at end) as ai_drafted_at,
    min(case when is_reply then occurred_at end) as replied_at
from cycles
group by conversation_id, cycle
having min(case when event_type = 'message.received' then occurred_at end) is not null
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    engine = sub.add_parser("engine")
    engine.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    engine.add_argument("--threads", default=os.environ.get("JOURNEYS_THREADS", "2"))
    engine.add_argument("--memory-limit", default=os.environ.get("JOURNEYS_MEMORY_LIMIT", "4GB"))
    nightly = sub.add_parser("nightly")
    nightly.add_argument("--per-day", type=int, default=3_300, help="conversations started per day")
    nightly.add_argument("--history-days", type=int, nargs="+", default=[45, 90, 180])
    nightly.add_argument("--threads", default=os.environ.get("JOURNEYS_THREADS", "2"))
    nightly.add_argument("--memory-limit", default=os.environ.get("JOURNEYS_MEMORY_LIMIT", "4GB"))
    phase = sub.add_parser("phase", help=argparse.SUPPRESS)
    phase.add_argument("name")
    phase.add_argument("database")
    phase.add_argument("--full-refresh", action="store_true")
    args = parser.parse_args()
    if args.command == "phase":
        run_phase(args.name, Path(args.database), args.full_refresh)
        return
    os.environ["JOURNEYS_THREADS"] = str(args.threads)
    os.environ["JOURNEYS_MEMORY_LIMIT"] = str(args.memory_limit)
    describe_machine(args)
    if args.command == "engine":
        for count in args.events:
            bench_engine(count)
    else:
        rows = [bench_nightly(args.per_day, days) for days in args.history_days]
        print_nightly_table(rows)


def describe_machine(args) -> None:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, Python {platform.python_version()}")
    print(f"duckdb threads={args.threads} memory_limit={args.memory_limit}; load average {os.getloadavg()[0]:.1f}")


# ---------------------------------------------------------------- data


def events_file(conversations: int, seed: int, days: int, start: datetime) -> Path:
    """Demo-generator events as Parquet, cached under bench/data/."""
    from journey_compiler.generate import generate_events, write_events

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"events_{conversations}_{seed}_{days}d.parquet"
    if not path.exists():
        began = time.perf_counter()
        rows = write_events(path, generate_events(conversations, seed, start=start, days=days))
        print(f"  generated {rows:,} events in {time.perf_counter() - began:.0f} s -> {path.name}")
    return path


def load_raw(database: Path, files: list[tuple[Path, str | None]]) -> int:
    """Raw rows straight from Parquet with DuckDB (the Python loader is not what is measured).
    Each (file, filter) pair is one load with its own load time, like `journeys run`."""
    import duckdb

    from journey_compiler.ingest import ensure_raw_table

    with duckdb.connect(str(database)) as connection:
        ensure_raw_table(connection)
        for number, (path, where) in enumerate(files):
            connection.execute(
                f"""
                insert into raw.events by name
                select
                    cast(event_id as varchar) as event_id, conversation_id, event_type,
                    cast(occurred_at as varchar) as occurred_at, channel, status,
                    cast(to_json(tags) as varchar) as tags, agent_id, team_id,
                    cast(metadata as varchar) as metadata, cast(ingested_at as varchar) as ingested_at,
                    'bench-{number}' as _load_id,
                    now()::timestamp as _loaded_at,
                    '{path.name}' as _source_file,
                    row_number() over () as _source_line
                from read_parquet('{path}')
                {('where ' + where) if where else ''}
                """
            )
        return connection.execute("select count(*) from raw.events").fetchone()[0]


# ---------------------------------------------------------------- phases (own process each)


def timed_phase(name: str, database: Path, full_refresh: bool = False) -> tuple[float, float, dict]:
    """Run a phase in a child process: (wall seconds, peak RSS GiB, what it printed as JSON)."""
    command = [sys.executable, __file__, "phase", name, str(database)] + (["--full-refresh"] if full_refresh else [])
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    if status != 0:
        raise SystemExit(f"phase {name} failed:\n{output}")
    details = json.loads(output.strip().splitlines()[-1]) if output.strip() else {}
    return seconds, usage.ru_maxrss / 2**20, details


def run_phase(name: str, database: Path, full_refresh: bool) -> None:
    import duckdb

    from journey_compiler import runner

    options = runner.BuildOptions(project_dir=ROOT, database=database, full_refresh=full_refresh,
                                  target_path=ROOT / "target" / "bench")
    settings = {"threads": os.environ["JOURNEYS_THREADS"], "memory_limit": os.environ["JOURNEYS_MEMORY_LIMIT"]}
    details: dict = {}
    if name == "stage":
        runner.run_dbt("build", runner.BuildOptions(**{**options.__dict__, "select": ("+stg_events", "int_template_steps", "int_template_definitions"),
                                                       "exclude": ("resource_type:test",)}))
    elif name in ("scan_floor", "hand_written"):
        with duckdb.connect(str(database), config=settings) as connection:
            began = time.perf_counter()
            connection.execute(SCAN_FLOOR_SQL if name == "scan_floor" else HAND_WRITTEN_SQL).fetchall()
            details["sql_seconds"] = time.perf_counter() - began
    elif name == "engine":
        result = runner.run_dbt("run", runner.BuildOptions(**{**options.__dict__, "select": ENGINE_SELECT,
                                                              "exclude": ENGINE_EXCLUDE}))
        details["sql_seconds"] = sum(r.execution_time for r in result.result.results)
        details["models"] = {r.node.name: round(r.execution_time, 2) for r in result.result.results}
    elif name == "build":
        result = runner.run_dbt("build", runner.BuildOptions(**{**options.__dict__, "exclude": ("resource_type:test", "resource_type:unit_test")}))
        details["sql_seconds"] = sum(r.execution_time for r in result.result.results)
        details["slowest"] = sorted(((round(r.execution_time, 2), r.node.name) for r in result.result.results), reverse=True)[:12]
        details["models"] = {r.node.name: round(r.execution_time, 2) for r in result.result.results}
        details["marts_seconds"] = sum(
            r.execution_time for r in result.result.results
            if r.node.resource_type == "model" and r.node.name not in ENGINE_AND_STAGING
            and not r.node.name.startswith("int_trigger_matches")
        )
    print(json.dumps(details))


# ---------------------------------------------------------------- benchmarks


def bench_engine(event_count: int) -> None:
    conversations = max(1, round(event_count / 10.8))  # the generator makes ~10.8 events per conversation
    print(f"\n== {event_count:,} events (requested; {conversations:,} conversations)")
    path = events_file(conversations, seed=7, days=30, start=datetime(2026, 9, 1))
    folder = DATA / f"engine_{event_count}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    database = folder / "bench.duckdb"
    rows = load_raw(database, [(path, None)])
    stage_seconds, stage_gib, _ = timed_phase("stage", database)
    print(f"  raw rows {rows:,}; staging (validate, dedupe, sequence) {stage_seconds:.1f} s, peak {stage_gib:.2f} GiB")
    figures = {}
    for name in ("scan_floor", "hand_written", "engine"):
        seconds, gib, details = timed_phase(name, database)
        figures[name] = (details.get("sql_seconds", seconds), gib, details)
    a, b, c = (figures[n][0] for n in ("scan_floor", "hand_written", "engine"))
    for label, name in (("(a) scan floor", "scan_floor"), ("(b) hand-written First response", "hand_written"),
                        ("(c) journey models, all templates", "engine")):
        seconds, gib, _ = figures[name]
        print(f"  {label:38s} {seconds:8.2f} s  {rows / seconds:12,.0f} events/s  peak {gib:.2f} GiB")
    print(f"  c/a = {c / a:.1f}   c/b = {c / b:.2f}")
    print(f"  per model (s): {figures['engine'][2].get('models')}")


def bench_nightly(per_day: int, history_days: int) -> dict:
    conversations = per_day * (history_days + 1)
    print(f"\n== nightly: {history_days} days of history + 1 new day, {per_day:,} conversations a day "
          f"({conversations:,} in all)")
    start = datetime(2026, 6, 1)
    path = events_file(conversations, seed=5, days=history_days + 1, start=start)
    last_day = (start + timedelta(days=history_days)).strftime("%Y-%m-%d")
    folder = DATA / f"nightly_{history_days}d"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    incremental = folder / "incremental.duckdb"
    history_rows = load_raw(incremental, [(path, f"cast(ingested_at as varchar) < '{last_day}'")])
    seconds, gib, details = timed_phase("build", incremental, full_refresh=True)
    print(f"  history: {history_rows:,} raw rows; first full build {seconds:.1f} s (SQL {details['sql_seconds']:.1f} s), peak {gib:.2f} GiB")
    total_rows = load_raw(incremental, [(path, f"cast(ingested_at as varchar) >= '{last_day}'")])
    new_rows = total_rows - history_rows
    inc_seconds, inc_gib, inc_details = timed_phase("build", incremental)
    import duckdb
    with duckdb.connect(str(incremental), read_only=True) as connection:
        restaged = connection.execute("select count(*) from main.stg_refresh_conversations").fetchone()[0]
        refreshed = connection.execute("select count(*) from main.int_refresh_conversations").fetchone()[0]
        total_conversations = connection.execute("select count(distinct conversation_id) from main.stg_events").fetchone()[0]
        journeys = connection.execute("select count(*) from main.journeys").fetchone()[0]
    full = folder / "full.duckdb"
    load_raw(full, [(path, f"cast(ingested_at as varchar) < '{last_day}'"), (path, f"cast(ingested_at as varchar) >= '{last_day}'")])
    full_seconds, full_gib, full_details = timed_phase("build", full, full_refresh=True)
    print(f"  new day: {new_rows:,} raw rows; conversations re-staged {restaged:,}, recomputed {refreshed:,} "
          f"of {total_conversations:,}; {journeys:,} journeys in all")
    print(f"  incremental run  {inc_seconds:8.1f} s wall (SQL {inc_details['sql_seconds']:.1f} s), peak {inc_gib:.2f} GiB")
    print(f"  full refresh     {full_seconds:8.1f} s wall (SQL {full_details['sql_seconds']:.1f} s), peak {full_gib:.2f} GiB")
    print(f"  speed-up: {full_seconds / inc_seconds:.1f}x wall, {full_details['sql_seconds'] / inc_details['sql_seconds']:.1f}x SQL")
    full_engine = full_details["sql_seconds"] - full_details["marts_seconds"]
    inc_engine = inc_details["sql_seconds"] - inc_details["marts_seconds"]
    print(f"  events to journeys (staging, engine, per-journey intermediates): incremental {inc_engine:.1f} s, "
          f"full {full_engine:.1f} s, {full_engine / inc_engine:.1f}x")
    print(f"  metric marts (exact over all history, rebuilt every run): incremental run "
          f"{inc_details['marts_seconds']:.1f} s, full {full_details['marts_seconds']:.1f} s")
    print(f"  slowest incremental models: {inc_details['slowest']}")
    (folder / "models.json").write_text(json.dumps({"incremental": inc_details["models"], "full": full_details["models"]}, indent=1))
    return {"days": history_days, "events": total_rows, "new_rows": new_rows, "refreshed": refreshed,
            "journeys": journeys, "incremental": inc_seconds, "full": full_seconds,
            "inc_engine": inc_engine, "inc_marts": inc_details["marts_seconds"]}


def print_nightly_table(rows: list[dict]) -> None:
    print("\n| history | raw rows | new-day rows | conversations recomputed | journeys | incremental | full refresh | speed-up | incremental SQL: events to journeys / marts |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['days']} d | {row['events']:,} | {row['new_rows']:,} | {row['refreshed']:,} | {row['journeys']:,} "
              f"| {row['incremental']:.1f} s | {row['full']:.1f} s | {row['full'] / row['incremental']:.1f}x "
              f"| {row['inc_engine']:.1f} s / {row['inc_marts']:.1f} s |")


if __name__ == "__main__":
    main()

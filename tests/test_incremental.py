"""Nightly incremental runs equal a full refresh, table by table, row by row.

One event history arrives in daily batches: late events reaching back days, duplicates
across batches, an open journey that times out between batches with no new events of its
conversation, and a template edited between two batches. After every batch, every table
of the incremental database equals a full refresh over the events loaded so far.
"""

from __future__ import annotations

import json
import os
import random
import signal
import tempfile
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from journey_compiler import compiler, ingest, runner
from journey_compiler.generate import generate_events
from journey_compiler.loader import load_templates
from tests.harness import make_project

# random nightly histories per test run (each costs a few dbt builds)
RANDOM_HISTORIES = int(os.environ.get("JOURNEYS_INCREMENTAL_EXAMPLES", "2"))

# bookkeeping tables that differ by construction, and lineage columns that name the load
NOT_COMPARED_TABLES = {"journeys_run_manifest", "stg_refresh_conversations", "int_refresh_conversations"}
LINEAGE_COLUMNS = {"load_id", "loaded_at", "source_file"}

TEMPLATES = [
    {
        "name": "first_response", "title": "First response", "timeout_hours": 48,
        "start": {"event": "message.received"},
        "milestones": [{"name": "assigned", "event": "conversation.assigned"}],
        "end": [{"name": "replied", "event": "message.sent"}],
    },
    {
        "name": "onboarding", "title": "Onboarding", "timeout_hours": 96, "reentry": False,
        "start": {"event": "conversation.created",
                  "conditions": [{"field": "metadata.first_contact", "op": "equals", "value": True}]},
        "milestones": [{"name": "replied", "event": "message.sent"},
                       {"name": "done", "event": "conversation.marked_done"}],
        "end": [{"name": "happy", "event": "csat.rating",
                 "conditions": [{"field": "metadata.rating", "op": "gte", "value": 4}]}],
    },
    {
        "name": "done_cycle", "title": "Until done",
        "start": {"event": "message.received"},
        "end": [{"name": "done", "event": "conversation.marked_done"}],
    },
]


def daily_batches() -> list[list[dict]]:
    events = list(generate_events(120, seed=11, days=5))
    by_day: dict[str, list[dict]] = defaultdict(list)
    for index, event in enumerate(events):
        day = event["ingested_at"][:10]
        if index % 37 == 0 and day < "2026-09-04":
            # a late event: arrives three days after it happened
            day = f"2026-09-0{int(day[-1]) + 3}"
        by_day[day].append(event)
    days = sorted(by_day)
    history, nightly = days[:2], days[2:5]
    batches = [[e for d in history for e in by_day[d]]] + [by_day[d] for d in nightly]
    # duplicates across batches: re-deliver some events of the history later, one with other content
    redelivered = [dict(e) for e in batches[0][::53]]
    redelivered[0]["channel"] = "changed-on-redelivery"
    batches[2].extend(redelivered)
    # a conversation with one customer message and nothing after: open, then timed out
    batches[0].append({
        "event_id": "quiet-1", "conversation_id": "quiet", "event_type": "message.received",
        "occurred_at": "2026-09-02T12:00:00Z", "ingested_at": "2026-09-02T12:00:01Z",
    })
    # a completed onboarding, then a second start candidate (not a journey: no re-entry) that
    # stays open and times out on the last night, while its conversation receives nothing
    for number, (event_type, minute, metadata) in enumerate([
        ("conversation.created", 0, {"first_contact": True}),
        ("csat.rating", 30, {"rating": 5}),
        ("conversation.created", 59, {"first_contact": True}),
    ]):
        batches[0].append({
            "event_id": f"quiet-onboarding-{number}", "conversation_id": "quiet-onboarding",
            "event_type": event_type, "occurred_at": f"2026-09-01T03:{minute:02d}:00Z",
            "ingested_at": "2026-09-01T04:00:00Z", "metadata": metadata,
        })
    return batches


def write_batch(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8")
    return path


def build(project: Path, database: Path, files: list[Path], full_refresh: bool) -> None:
    """Load and build; the data tests run elsewhere, this test compares tables."""
    ingest.load_event_files(database, files)
    options = runner.BuildOptions(
        project_dir=project, database=database, full_refresh=full_refresh,
        exclude=("resource_type:test", "resource_type:unit_test"),
    )
    runner.run_dbt("build", options)


def full_refresh_copy(project: Path, folder: Path, files: list[Path]) -> Path:
    database = folder / "full.duckdb"
    for stale in (database, Path(f"{database}.wal")):
        stale.unlink(missing_ok=True)
    build(project, database, files, full_refresh=True)
    return database


def differing_tables(incremental: Path, full: Path) -> dict[str, int]:
    """Only the tables whose rows differ, with how many: `{}` when the two builds are equal."""
    return {table: count for table, count in table_differences(incremental, full).items() if count}


def table_differences(incremental: Path, full: Path) -> dict[str, int]:
    """Rows in one and not the other (EXCEPT ALL both ways), per table."""
    differences = {}
    with duckdb.connect() as connection:
        connection.execute(f"attach '{incremental}' as incremental (read_only)")
        connection.execute(f"attach '{full}' as full_refresh (read_only)")
        tables = [
            row[0] for row in connection.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'full_refresh' and table_schema = 'main'"
            ).fetchall()
            if row[0] not in NOT_COMPARED_TABLES
        ]
        assert "journeys" in tables and "journey_milestones" in tables
        for table in tables:
            columns = [
                # parallel float sums may differ in the last bits: compare doubles to 1e-6
                f'round("{name}", 6)' if data_type in ("DOUBLE", "FLOAT") else f'"{name}"'
                for name, data_type in connection.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_catalog = 'full_refresh' and table_schema = 'main' and table_name = ? "
                    "order by ordinal_position", [table]
                ).fetchall()
                if name not in LINEAGE_COLUMNS
            ]
            selected = ", ".join(columns)
            left = f"select {selected} from incremental.main.{table}"
            right = f"select {selected} from full_refresh.main.{table}"
            count = connection.execute(
                f"select count(*) from (({left} except all {right}) union all ({right} except all {left}))"
            ).fetchone()[0]
            differences[table] = count
    return differences


def edit_template(project: Path) -> None:
    path = project / "journeys" / "first_response.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("timeout_hours: 48", "timeout_hours: 24"))
    compiler.write(project, compiler.generate([item.template for item in load_templates(project)]))


def statuses(database: Path, table: str, conversation: str) -> list[str]:
    """The status column of a conversation's rows in `table`, in start order."""
    with duckdb.connect(str(database)) as connection:
        return [row[0] for row in connection.execute(
            f"select status from {table} where conversation_id = ? order by started_at", [conversation]
        ).fetchall()]


def candidate_statuses(database: Path, conversation: str) -> list[str]:
    return statuses(database, "int_journey_candidates", conversation)


def journey_status(database: Path, conversation: str) -> list[str]:
    """First response journeys only: the other templates also start on some test events."""
    with duckdb.connect(str(database)) as connection:
        return [row[0] for row in connection.execute(
            "select status from journeys where conversation_id = ? and template_name = 'first_response'"
            " order by started_at", [conversation]
        ).fetchall()]


def test_every_nightly_batch_equals_a_full_refresh(tmp_path):
    project = make_project(tmp_path, TEMPLATES)
    incremental = tmp_path / "incremental.duckdb"
    loaded: list[Path] = []
    for number, events in enumerate(daily_batches()):
        if number == 2:
            edit_template(project)
        batch = write_batch(tmp_path / f"batch_{number}.jsonl", events)
        loaded.append(batch)
        build(project, incremental, [batch], full_refresh=False)
        full = full_refresh_copy(project, tmp_path, loaded)
        differences = table_differences(incremental, full)
        assert {t: n for t, n in differences.items() if n} == {}, f"after batch {number}"
        if number == 0:
            assert journey_status(incremental, "quiet") == ["open"]
        if number == 2:
            assert candidate_statuses(incremental, "quiet-onboarding") == ["completed", "open"]
    assert journey_status(incremental, "quiet") == ["timed_out"]
    assert candidate_statuses(incremental, "quiet-onboarding") == ["completed", "timed_out"]

    # the same night again: nothing changes
    before = tmp_path / "before.duckdb"
    with duckdb.connect(str(incremental)) as connection:
        connection.execute("checkpoint")
    before.write_bytes(incremental.read_bytes())
    build(project, incremental, loaded[-1:], full_refresh=False)
    assert differing_tables(incremental, before) == {}
    with duckdb.connect(str(incremental)) as connection:
        assert connection.execute("select count(*) from int_refresh_conversations").fetchone() == (0,)


def test_a_killed_run_is_caught_up_by_the_next_one(tmp_path):
    project = make_project(tmp_path, TEMPLATES)
    batches = daily_batches()
    first = write_batch(tmp_path / "first.jsonl", batches[0])
    second = write_batch(tmp_path / "second.jsonl", batches[1] + batches[2])
    incremental = tmp_path / "incremental.duckdb"
    build(project, incremental, [first], full_refresh=False)

    ingest.load_event_files(incremental, [second])
    command = [sys.executable, "-m", "journey_compiler.cli", "run", "--project-dir", str(project),
               "--database", str(incremental)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    time.sleep(float(os.environ.get("JOURNEYS_KILL_AFTER_SECONDS", "5")))
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    build(project, incremental, [], full_refresh=False)
    full = full_refresh_copy(project, tmp_path, [first, second])
    assert differing_tables(incremental, full) == {}


def test_an_as_of_time_that_goes_back_recomputes_every_conversation(tmp_path):
    """A re-delivered copy that was ingested earlier wins (contract: first ingested copy), and
    when it moves the latest event back, journeys that had timed out are open again, in
    conversations that received nothing."""
    project = make_project(tmp_path, TEMPLATES)
    waiting = {"event_id": "wait-1", "conversation_id": "waiting", "event_type": "message.received",
               "occurred_at": "2026-09-01T08:00:00Z", "ingested_at": "2026-09-01T08:00:01Z"}
    latest = {"event_id": "latest", "conversation_id": "other", "event_type": "message.sent",
              "occurred_at": "2026-09-05T00:00:00Z", "ingested_at": "2026-09-05T00:00:01Z"}
    # ingested before the original (so it wins) and not before it happened (else it is rejected)
    earlier_copy = {**latest, "occurred_at": "2026-09-02T00:00:00Z", "ingested_at": "2026-09-02T00:00:00Z"}
    incremental = tmp_path / "incremental.duckdb"
    first = write_batch(tmp_path / "first.jsonl", [waiting, latest])
    build(project, incremental, [first], full_refresh=False)
    assert journey_status(incremental, "waiting") == ["timed_out"]  # deadline 09-03 08:00 < as-of 09-05

    second = write_batch(tmp_path / "second.jsonl", [earlier_copy])
    build(project, incremental, [second], full_refresh=False)
    assert journey_status(incremental, "waiting") == ["open"]  # as-of now 09-02 00:00
    full = full_refresh_copy(project, tmp_path, [first, second])
    assert differing_tables(incremental, full) == {}


@st.composite
def random_nights(draw) -> list[list[dict]]:
    """Generated conversations arriving over two or three nights: by ingestion day, some
    late (a night or more after), some re-delivered on a later night with other content,
    ingested before or after the first copy (an earlier copy wins and may move events, even
    the latest one, back in time), and quiet conversations whose journeys time out."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    events = list(generate_events(25, seed=rng.randrange(10_000), days=4))
    nights = draw(st.integers(2, 3))
    days = sorted({event["ingested_at"][:10] for event in events})
    batches: list[list[dict]] = [[] for _ in range(nights)]
    for event in events:
        night = days.index(event["ingested_at"][:10]) * nights // len(days)
        if rng.random() < 0.1:
            night = rng.randint(night, nights - 1)
        batches[night].append(event)
        if rng.random() < 0.05 and night < nights - 1:
            copy = {**event, "channel": "re-delivered"}
            if rng.random() < 0.5:
                # ingested before every original, so this copy wins; and it happened earlier
                # (ingested as it happened: an event ingested before it occurred is rejected)
                copy["occurred_at"] = event["occurred_at"][:8] + "01T00:00:00Z"
                copy["ingested_at"] = copy["occurred_at"]
            batches[rng.randint(night + 1, nights - 1)].append(copy)
    # quiet conversations: a customer message and nothing after, so a journey stays open and
    # times out on a later night that brings nothing for its conversation
    for number, day in enumerate(days[: len(days) // 2]):
        night = days.index(day) * nights // len(days)
        at = f"{day}T{rng.randint(0, 23):02d}:00:00Z"
        batches[night].append({"event_id": f"quiet-{number}", "conversation_id": f"quiet-{number}",
                               "event_type": "message.received", "occurred_at": at, "ingested_at": at})
    return batches


@pytest.mark.slow
@settings(max_examples=RANDOM_HISTORIES, deadline=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(nights=random_nights())
def test_random_nightly_histories_equal_a_full_refresh(nights: list[list[dict]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp_path = Path(folder)
        project = make_project(tmp_path, TEMPLATES)
        incremental = tmp_path / "incremental.duckdb"
        loaded: list[Path] = []
        for number, events in enumerate(nights):
            batch = write_batch(tmp_path / f"night_{number}.jsonl", events)
            loaded.append(batch)
            build(project, incremental, [batch], full_refresh=False)
            full = full_refresh_copy(project, tmp_path, loaded)
            differences = differing_tables(incremental, full)
            assert differences == {}, f"after night {number}"


def catalog_rows(project: Path) -> list[str]:
    return (project / "seeds" / "event_catalog.csv").read_text(encoding="utf-8").splitlines(keepends=True)


def outcome(database: Path, event_id: str) -> tuple[str, str | None]:
    with duckdb.connect(str(database)) as connection:
        return connection.execute(
            "select row_outcome, rejection_reason from stg_events__validated where event_id = ?", [event_id]
        ).fetchone()


def recompute_line(database: Path) -> str:
    from journey_compiler.summary import _recomputed

    with duckdb.connect(str(database)) as connection:
        return _recomputed(connection, full_refresh=False)


def test_an_edited_event_catalog_recomputes_everything(tmp_path):
    """Night 1 rejects a type the catalog lacks; once it is added the next nightly run accepts
    it, and once a type is removed its rows are rejected, every table equal to a full refresh."""
    project = make_project(tmp_path, TEMPLATES)
    faxed = {"event_id": "fax-1", "conversation_id": "faxes", "event_type": "fax.received",
              "occurred_at": "2026-09-01T09:00:00Z", "ingested_at": "2026-09-01T09:00:01Z"}
    incremental = tmp_path / "incremental.duckdb"
    loaded = [write_batch(tmp_path / "night_0.jsonl", daily_batches()[0] + [faxed])]
    build(project, incremental, loaded, full_refresh=False)
    assert outcome(incremental, "fax-1") == ("rejected", "unknown event_type")

    catalog = project / "seeds" / "event_catalog.csv"
    catalog.write_text("".join(catalog_rows(project)) + "fax.received,faxes,A fax arrived,\n", encoding="utf-8")
    loaded.append(write_batch(tmp_path / "night_1.jsonl", daily_batches()[1]))
    build(project, incremental, loaded[-1:], full_refresh=False)
    assert outcome(incremental, "fax-1") == ("accepted", None)
    assert "(full recompute: the event catalog changed)" in recompute_line(incremental)
    full = full_refresh_copy(project, tmp_path, loaded)
    assert differing_tables(incremental, full) == {}

    # removing a type that closes onboarding journeys changes journeys, not only staging
    catalog.write_text("".join(row for row in catalog_rows(project) if not row.startswith("csat.rating,")),
                       encoding="utf-8")
    loaded.append(write_batch(tmp_path / "night_2.jsonl", daily_batches()[2]))
    build(project, incremental, loaded[-1:], full_refresh=False)
    assert outcome(incremental, "quiet-onboarding-1") == ("rejected", "unknown event_type")
    full = full_refresh_copy(project, tmp_path, loaded)
    assert differing_tables(incremental, full) == {}


def test_an_edited_staging_rule_recomputes_everything(tmp_path):
    """The rules that decide what is accepted are part of the change detection: an edited
    staging model re-stages every conversation on the next nightly run."""
    project = make_project(tmp_path, TEMPLATES)
    bad = {"event_id": "bad-1", "conversation_id": "bad", "event_type": "no.such.type",
           "occurred_at": "2026-09-01T09:00:00Z", "ingested_at": "2026-09-01T09:00:01Z"}
    incremental = tmp_path / "incremental.duckdb"
    loaded = [write_batch(tmp_path / "night_0.jsonl", daily_batches()[0] + [bad])]
    build(project, incremental, loaded, full_refresh=False)
    model = project / "models" / "staging" / "stg_events__validated.sql"
    model.write_text(model.read_text(encoding="utf-8").replace(
        "then 'unknown event_type'", "then 'event_type not in the catalog'"), encoding="utf-8")
    loaded.append(write_batch(tmp_path / "night_1.jsonl", daily_batches()[1]))
    build(project, incremental, loaded[-1:], full_refresh=False)
    assert outcome(incremental, "bad-1") == ("rejected", "event_type not in the catalog")
    assert "(full recompute: the project's models or macros changed)" in recompute_line(incremental)
    full = full_refresh_copy(project, tmp_path, loaded)
    assert differing_tables(incremental, full) == {}


def test_a_removed_template_leaves_no_table_and_no_row(tmp_path):
    """Removing a template drops its trigger-matches table on the next run, and none of its
    rows stays in any table; relations the project does not own are left alone."""
    project = make_project(tmp_path, TEMPLATES)
    incremental = tmp_path / "incremental.duckdb"
    loaded = [write_batch(tmp_path / "night_0.jsonl", daily_batches()[0])]
    build(project, incremental, loaded, full_refresh=False)
    not_ours = ["main.int_trigger_matches_notes", "main.my_int_trigger_matches__done_cycle",
                "elsewhere.int_trigger_matches__done_cycle", "main.int_trigger_matches__Done-Cycle"]
    with duckdb.connect(str(incremental)) as connection:
        connection.execute("create schema elsewhere")
        for name in not_ours:
            schema, table = name.split(".")
            connection.execute(f'create table {schema}."{table}" as select 1 as x')
        assert connection.execute("select count(*) from journeys where template_name = 'done_cycle'").fetchone()[0] > 0

    (project / "journeys" / "done_cycle.yml").unlink()
    compiler.write(project, compiler.generate([item.template for item in load_templates(project)]))
    loaded.append(write_batch(tmp_path / "night_1.jsonl", daily_batches()[1]))
    build(project, incremental, loaded[-1:], full_refresh=False)

    with duckdb.connect(str(incremental)) as connection:
        tables = {f"{schema}.{table}" for schema, table in connection.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
        assert "main.int_trigger_matches__done_cycle" not in tables
        assert {"main.int_trigger_matches__first_response", "main.int_trigger_matches__onboarding"} <= tables
        assert set(not_ours) <= tables
        with_template = [table for (table,) in connection.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'main' and column_name = 'template_name'").fetchall()]
        assert "journeys" in with_template
        left = {table: connection.execute(
            f"select count(*) from main.{table} where template_name = 'done_cycle'").fetchone()[0]
            for table in with_template}
        assert {table: n for table, n in left.items() if n} == {}
    full = full_refresh_copy(project, tmp_path, loaded)
    assert differing_tables(incremental, full) == {}

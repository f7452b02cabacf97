"""A first run with no accepted events (an empty file, or one whose every row is rejected)
succeeds: journeys and marts are empty, the summary and the report say so, every data test
passes, and the next night's run with real events equals a full refresh (docs/semantics.md,
"A build with no accepted events")."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from journey_compiler.cli import app
from tests.harness import make_project, read_table
from tests.test_incremental import TEMPLATES, daily_batches, differing_tables, full_refresh_copy, write_batch

# every row rejected, each for a different reason
REJECTED_ROWS = [
    '{"conversation_id": "c1", "event_type": "message.received", "occurred_at": "2026-09-01T10:00:00Z"}',
    '{"event_id": "e2", "conversation_id": "c1", "event_type": "message.snt", "occurred_at": "2026-09-01T10:00:00Z"}',
    '{"event_id": "e3", "conversation_id": "c1", "event_type": "message.sent", "occurred_at": "yesterday"}',
    "this is not json",
]
# the tables a template's results are in: empty without accepted events
RESULT_TABLES = ("stg_events", "journeys", "journey_milestones", "journey_funnel", "journey_step_durations",
                 "journey_dropoffs", "journey_stalls", "journey_daily", "int_journey_steps")


def run(project: Path, database: Path, events: Path, *extra: str) -> str:
    result = CliRunner().invoke(app, ["run", "--project-dir", str(project), "--database", str(database),
                                      "--events", str(events), *extra], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def as_of_at(database: Path) -> datetime | None:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("select as_of_at from main.int_metrics_as_of").fetchone()[0]


@pytest.mark.parametrize("case", ["no rows", "every row rejected"])
def test_a_run_without_accepted_events_succeeds_and_says_so(tmp_path, case):
    project = make_project(tmp_path, TEMPLATES[:1])
    events = tmp_path / "events.jsonl"
    events.write_text("" if case == "no rows" else "\n".join(REJECTED_ROWS) + "\n", encoding="utf-8")
    database = tmp_path / "db.duckdb"
    # with --as-of the as-of time is that value; without, there is none
    extra = ("--as-of", "2026-09-20T14:00:00+02:00") if case == "no rows" else ()

    out = " ".join(run(project, database, events, *extra).split())
    assert "No accepted events yet" in out
    for table in RESULT_TABLES:
        assert read_table(database, table) == [], table
    assert as_of_at(database) == (datetime(2026, 9, 20, 12) if extra else None)
    if case == "every row rejected":
        assert len(read_table(database, "rejected_events")) == len(REJECTED_ROWS)

    report = CliRunner().invoke(app, ["report", "--project-dir", str(project), "--database", str(database)],
                                terminal_width=200)
    assert report.exit_code == 0, report.output
    assert "No journeys yet" in report.output
    page = tmp_path / "report.html"
    html = CliRunner().invoke(app, ["report", "--project-dir", str(project), "--database", str(database),
                                    "--html", str(page)])
    assert html.exit_code == 0, html.output
    assert page.exists()


def test_a_nightly_run_after_an_empty_first_run_equals_a_full_refresh(tmp_path):
    project = make_project(tmp_path, TEMPLATES)
    database = tmp_path / "incremental.duckdb"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    run(project, database, empty)

    batch = write_batch(tmp_path / "batch.jsonl", daily_batches()[0])
    out = " ".join(run(project, database, batch).split())
    assert "No accepted events yet" not in out
    assert read_table(database, "journeys") != []
    full = full_refresh_copy(project, tmp_path, [empty, batch])
    assert differing_tables(database, full) == {}
    # the as-of time is the latest accepted event's again (equal to the full refresh's, compared above)
    assert as_of_at(database) is not None

"""Timestamps that are not real instants, and source clocks running ahead (contract §1.3):
each hand-worked row through `journeys run` (one build), its reason in stg_events__validated,
the same reason from the reference (tests/reference.py), every row accounted for, the as-of
time untouched by rejected rows, and `journeys report` on the result."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from journey_compiler.cli import app
from tests.harness import make_project, read_table
from tests.reference import rejection_reason
from tests.test_run import TEMPLATE  # the one-template project of the run tests

pytestmark = pytest.mark.dbt

INGESTED = "2026-09-03T00:00:00Z"
NOT_REAL = "occurred_at is not a real instant"
# A source clock a year ahead, with no ingested_at: the load time stands in.
A_YEAR_AHEAD = (datetime.now(timezone.utc) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")

# (case id, occurred_at, ingested_at or None, expected reason or None for accepted)
CASES = [
    ("infinity", "infinity", INGESTED, NOT_REAL),
    ("minus_infinity", "-infinity", INGESTED, NOT_REAL),
    ("plus_infinity", "+Infinity", INGESTED, NOT_REAL),
    ("epoch", "epoch", INGESTED, NOT_REAL),
    ("offset_plus_25", "2026-09-01T10:00:00+25:00", INGESTED, NOT_REAL),
    ("offset_plus_18_01", "2026-09-01T10:00:00+18:01", INGESTED, NOT_REAL),
    ("offset_plus_18_accepted", "2026-09-01T10:00:00+18:00", INGESTED, None),
    ("offset_minus_18_accepted", "2026-09-01T10:00:00-18:00", INGESTED, None),
    ("year_1899", "1899-12-31T23:59:59Z", INGESTED, NOT_REAL),
    ("year_1899_by_offset", "1900-01-01T00:30:00+01:00", INGESTED, NOT_REAL),
    ("year_1900_accepted", "1900-01-01T00:00:00Z", INGESTED, None),
    ("year_10000", "10000-01-01T00:00:00Z", INGESTED, NOT_REAL),
    ("year_294247", "294247-01-10T04:00:54Z", INGESTED, NOT_REAL),
    ("year_with_sign", "-2026-09-01T10:00:00Z", INGESTED, NOT_REAL),
    ("unparseable_still", "yesterday", INGESTED, "unparseable occurred_at"),
    ("future_61_minutes", "2026-09-01T13:01:00Z", "2026-09-01T12:00:00Z", "occurred_at in the future"),
    ("future_60_minutes_accepted", "2026-09-01T13:00:00Z", "2026-09-01T12:00:00Z", None),
    ("future_by_offset", "2026-09-01T14:00:00+01:00", "2026-09-01T11:59:00Z", "occurred_at in the future"),
    ("a_year_ahead_no_ingested_at", A_YEAR_AHEAD, None, "occurred_at in the future"),
    ("ingested_infinity", "2026-09-01T10:00:00Z", "infinity", "ingested_at is not a real instant"),
    ("ingested_year_294247", "2026-09-01T10:00:00Z", "294247-01-01", "ingested_at is not a real instant"),
    ("ingested_unparseable", "2026-09-01T10:00:00Z", "soon", "unparseable ingested_at"),
    ("ingested_blank_is_missing", "2026-09-01T10:00:00Z", " ", None),
]
# Year 9999 is a real instant: accepted, in a build of its own, since it becomes the as-of time.
YEAR_9999 = ("year_9999_accepted", "9999-12-31T20:00:00Z", "9999-12-31T23:59:59Z", None)
# A journey that must stay open: the as-of time is the latest accepted occurred_at (below),
# not a rejected row's infinity, year 294247 or clock a year ahead.
OPEN = {"event_id": "open", "conversation_id": "c-open", "event_type": "message.received",
        "occurred_at": "2026-09-02T23:00:00Z", "ingested_at": INGESTED}


def _event(case_id: str, occurred_at: str, ingested_at: str | None) -> dict:
    event = {"event_id": case_id, "conversation_id": f"c-{case_id}", "event_type": "message.received",
             "occurred_at": occurred_at}
    if ingested_at is not None:
        event["ingested_at"] = ingested_at
    return event


def _run_and_report(tmp_path: Path, events: list[dict]) -> Path:
    """`journeys run` (data tests included) and `journeys report` on the events; the database."""
    project = make_project(tmp_path, [TEMPLATE])
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    database = tmp_path / "journeys.duckdb"
    run = CliRunner().invoke(app, ["run", "--project-dir", str(project), "--database", str(database),
                                   "--events", str(events_file)], terminal_width=200)
    assert run.exit_code == 0, run.output
    for extra in ([], ["--html", str(tmp_path / "report.html")]):
        report = CliRunner().invoke(app, ["report", "--project-dir", str(project), "--database", str(database),
                                          *extra], terminal_width=200)
        assert report.exit_code == 0, report.output
    return database


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict]:
    """event_id -> its stg_events__validated row, after one run over every case and OPEN."""
    tmp_path = tmp_path_factory.mktemp("timestamps")
    events = [_event(*case[:3]) for case in CASES] + [OPEN]
    database = _run_and_report(tmp_path, events)
    rows = {row["event_id"]: row for row in read_table(database, "stg_events__validated")}
    assert len(rows) == len(events)
    return {"rows": rows, "journeys": read_table(database, "journeys"),
            "summary": read_table(database, "event_load_summary")}


@pytest.mark.parametrize(("case_id", "occurred_at", "ingested_at", "reason"), CASES, ids=[c[0] for c in CASES])
def test_timestamp_rule(outcomes, case_id: str, occurred_at: str, ingested_at: str | None, reason: str | None):
    row = outcomes["rows"][case_id]
    assert row["rejection_reason"] == reason, (occurred_at, ingested_at)
    assert row["row_outcome"] == ("accepted" if reason is None else "rejected")
    if reason is not None and "real instant" in reason and reason.startswith("occurred_at"):
        assert row["occurred_at"] is None  # never an infinite or out-of-range value downstream
    assert rejection_reason(_event(case_id, occurred_at, ingested_at)) == reason  # the reference agrees


def test_rejected_times_never_become_the_as_of_time(outcomes):
    journeys = {j["conversation_id"]: j for j in outcomes["journeys"]}
    assert journeys["c-open"]["status"] == "open"
    accepted = [r["occurred_at"] for r in outcomes["rows"].values() if r["row_outcome"] == "accepted"]
    assert max(accepted) == datetime(2026, 9, 2, 23, 0)
    counts = {(r["row_outcome"], r["rejection_reason"]): r["row_count"] for r in outcomes["summary"]}
    assert sum(counts.values()) == len(CASES) + 1  # rows read = accepted + duplicates + rejected
    assert counts[("rejected", NOT_REAL)] == sum(1 for c in CASES if c[3] == NOT_REAL)


def test_year_9999_is_accepted_and_reported(tmp_path):
    """The latest real instant: its journey's deadline lies in year 10000; run and report cope."""
    case_id, occurred_at, ingested_at, _ = YEAR_9999
    database = _run_and_report(tmp_path, [_event(case_id, occurred_at, ingested_at),
                                          _event("year_294247", "294247-01-10T04:00:54Z", None)])
    rows = {row["event_id"]: row for row in read_table(database, "stg_events__validated")}
    assert rows[case_id]["row_outcome"] == "accepted"
    assert rows[case_id]["occurred_at"] == datetime(9999, 12, 31, 20, 0)
    assert rows["year_294247"]["rejection_reason"] == NOT_REAL
    assert rejection_reason(_event(case_id, occurred_at, ingested_at)) is None

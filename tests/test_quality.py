"""Data quality suites (journey_compiler.quality): every input expectation fires on a corrupted
event file with the expected summary, every output expectation fires on a deliberately broken
output table built directly in a test DuckDB (no dbt)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from journey_compiler import ingest, quality
from journey_compiler.catalog import load_catalog

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "quality"
CATALOG = set(load_catalog(PROJECT_ROOT))


def by_name(report: quality.QualityReport) -> dict[str, quality.Failure]:
    return {failure.expectation: failure for failure in report.failures + report.warnings}


def rendered(report: quality.QualityReport) -> str:
    buffer = io.StringIO()
    report.render(Console(file=buffer, width=400, color_system=None))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Input suite
# ---------------------------------------------------------------------------------------------

# expectation -> (rows failed, a sample that must be shown); see the fixture, line by line.
EXPECTED_INPUT_FAILURES = {
    "lines_readable": (2, "'line is not valid JSON (Expecting value)' (corrupted_events.jsonl:3)"),
    "event_id_present": (1, "corrupted_events.jsonl:4"),
    "conversation_id_present": (1, "corrupted_events.jsonl:5"),
    "event_type_present": (1, "corrupted_events.jsonl:6"),
    "occurred_at_present": (1, "corrupted_events.jsonl:7"),
    "event_type_in_catalog": (1, "'message.recieved' (corrupted_events.jsonl:8)"),
    "occurred_at_parseable": (1, "'yesterday' (corrupted_events.jsonl:9)"),
    "occurred_at_not_in_future": (1, "'2999-01-01T00:00:00Z' (corrupted_events.jsonl:10)"),
    "metadata_is_json_object": (1, "'[1, 2]' (corrupted_events.jsonl:12)"),
    "tags_are_string_list": (1, "'[\"vip\", 7]' (corrupted_events.jsonl:13)"),
    "conversation_id_well_formed": (1, "' conv 14' (corrupted_events.jsonl:14)"),
}


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory) -> quality.InputReport:
    out = tmp_path_factory.mktemp("quality_in")
    return quality.check_event_files([FIXTURES / "corrupted_events.jsonl"], CATALOG, out)


def test_corrupted_file_triggers_every_input_expectation(corrupted):
    assert not corrupted.ok
    assert corrupted.rows == 15
    failures = {failure.expectation: failure for failure in corrupted.failures}
    assert set(failures) == set(EXPECTED_INPUT_FAILURES)
    for name, (rows, sample) in EXPECTED_INPUT_FAILURES.items():
        expectation, rows_failed, samples = failures[name]  # unpacks as the brief's triple
        assert expectation == name
        assert rows_failed == rows, name
        assert sample in samples, (name, samples)
        assert failures[name].severity == "critical"
    # a re-delivered event_id is expected (the contract keeps the first copy): a warning, not a failure
    [duplicate] = corrupted.warnings
    assert duplicate.expectation == "event_id_unique" and duplicate.rows_failed == 2
    assert "'e1' (corrupted_events.jsonl:11)" in duplicate.sample_values


def test_input_summary_is_short_and_readable(corrupted):
    text = rendered(corrupted)
    lines = text.splitlines()
    assert lines[0].startswith("Input checks: 11 of 14 expectations failed, 1 warning (15 rows from 1 file)")
    assert ("✗ event types are in the event catalog [event_type_in_catalog: expect_column_values_to_be_in_set"
            " on event_type]: 1 row, e.g. 'message.recieved' (corrupted_events.jsonl:8)") in lines[6]
    assert "! event_id is unique within the batch" in text and "2 rows, e.g. 'e1' (corrupted_events.jsonl:1)" in text
    assert f"Results: {corrupted.json_path}" in text
    assert f"Data Docs: {corrupted.html_path}" in text
    assert len(lines) == 1 + 12 + 2


def test_input_results_saved_as_json_and_data_docs(corrupted):
    saved = json.loads(corrupted.json_path.read_text(encoding="utf-8"))
    assert saved["success"] is False and saved["failures"] == 11 and saved["rows"] == 15
    checks = {check["check"]: check for check in saved["checks"]}
    assert checks["event_type_in_catalog"]["rows_failed"] == 1
    assert checks["batch_not_empty"]["success"] is True
    assert saved["great_expectations_results"][0]["suite_name"] == quality.INPUT_SUITE
    assert corrupted.html_path.name == "index.html" and corrupted.html_path.exists()
    pages = list(corrupted.html_path.parent.glob("validations/**/*.html"))
    assert pages and "Every line or record of the file can be read" in pages[0].read_text(encoding="utf-8")


def _event_line(event_id: str, occurred_at: datetime) -> str:
    return json.dumps({"event_id": event_id, "conversation_id": "c1", "event_type": "message.sent",
                       "occurred_at": occurred_at.isoformat()}) + "\n"


def test_valid_file_passes_and_unreadable_csv_rows_are_reported(tmp_path):
    report = quality.check_event_files([FIXTURES / "good_events.jsonl"], CATALOG, tmp_path / "good")
    assert report.ok and report.failures == [] and report.warnings == []
    assert rendered(report).startswith("Input checks passed: 14 expectations (3 rows from 1 file)")

    soon = datetime.now(timezone.utc) + timedelta(hours=3)  # within the default 24 h tolerance
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(
        "event_id,conversation_id,event_type,occurred_at\n"
        f"x1,c9,message.sent,{soon.isoformat()}\n"
        "x2,c9,message.sent,2024-05-02T09:01:00Z,surplus\n",
        encoding="utf-8",
    )
    report = quality.check_event_files([FIXTURES / "good_events.jsonl", csv_file], CATALOG, tmp_path / "mixed")
    assert not report.ok and report.rows == 5
    assert [tuple(f) for f in report.failures] == [
        ("lines_readable", 1, ["'CSV row has more values than the header has columns' (events.csv:3)"])
    ]


def test_timestamps_staging_rejects_fail_the_parse_checks(tmp_path):
    """The checks use staging's own timestamp rule (macros/timestamps.sql): infinity, epoch, an
    offset beyond ±18:00 and year 294247 fail occurred_at_parseable, a broken ingested_at fails
    ingested_at_parseable; ±18:00 and year 1900 pass (contract §1.3)."""
    base = {"conversation_id": "c1", "event_type": "message.received"}
    rows = [
        {"event_id": "bad1", "occurred_at": "infinity"},
        {"event_id": "bad2", "occurred_at": "epoch"},
        {"event_id": "bad3", "occurred_at": "2026-09-01T10:00:00+25:00"},
        {"event_id": "bad4", "occurred_at": "294247-01-10T04:00:54Z"},
        {"event_id": "bad5", "occurred_at": "2026-09-01T10:00:00Z", "ingested_at": "-infinity"},
        {"event_id": "ok1", "occurred_at": "2026-09-01T10:00:00+18:00", "ingested_at": "2026-09-01T10:00:00Z"},
        {"event_id": "ok2", "occurred_at": "2026-09-01T10:00:00-18:00"},
        {"event_id": "ok3", "occurred_at": "1900-01-01T00:00:00Z"},
    ]
    path = tmp_path / "times.jsonl"
    path.write_text("".join(json.dumps({**base, **row}) + "\n" for row in rows), encoding="utf-8")
    report = quality.check_event_files([path], CATALOG, tmp_path / "out")
    failures = by_name(report)
    assert failures["occurred_at_parseable"].rows_failed == 4
    assert failures["ingested_at_parseable"].rows_failed == 1
    assert "'-infinity' (times.jsonl:5)" in failures["ingested_at_parseable"].sample_values
    assert set(failures) == {"occurred_at_parseable", "ingested_at_parseable"}


def test_future_tolerance_is_configurable(tmp_path):
    path = tmp_path / "soon.jsonl"
    now = datetime.now(timezone.utc)
    path.write_text(_event_line("s1", now + timedelta(minutes=30)) + _event_line("s2", now + timedelta(hours=3)),
                    encoding="utf-8")
    report = quality.check_event_files([path], CATALOG, tmp_path / "out", future_tolerance_hours=1)
    assert [(f.expectation, f.rows_failed) for f in report.failures] == [("occurred_at_not_in_future", 1)]
    assert report.failures[0].title == "occurred_at is not more than 1 h in the future"
    assert "(soon.jsonl:2)" in report.failures[0].sample_values[0]


def test_empty_batch_warns_without_failing(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    report = quality.check_event_files([empty], CATALOG, tmp_path / "out")
    assert report.ok
    assert [tuple(w) for w in report.warnings] == [("batch_not_empty", 0, ["the batch has no events"])]
    assert rendered(report).startswith("Input checks: 1 warning (0 rows from 1 file)")


def _database_with_loads(path: Path, row_counts: list[int]) -> Path:
    with duckdb.connect(str(path)) as connection:
        ingest.ensure_raw_table(connection)
        for number, rows in enumerate(row_counts):
            connection.execute("insert into raw._loaded_files values (?, ?, ?, now(), ?)",
                               [f"sha{number}", f"f{number}.jsonl", f"load{number}", rows])
    return path


def test_far_fewer_events_than_usual_warns(tmp_path):
    good = FIXTURES / "good_events.jsonl"
    history = _database_with_loads(tmp_path / "history.duckdb", [1000, 40, 2000])
    report = quality.check_event_files([good], CATALOG, tmp_path / "a", database=history)
    assert report.ok
    assert [tuple(w) for w in report.warnings] == [
        ("batch_volume_usual", 0, ["3 rows, usual 1,000 (median of 3 previous loads); warns below 100"])
    ]
    # an explicit expectation wins over the history; 3 of 20 rows is not "far fewer"
    assert quality.check_event_files([good], CATALOG, tmp_path / "b", expected_rows=20, database=history).warnings == []


def test_volume_history_needs_enough_loads(tmp_path):
    assert quality._usual_batch_rows(tmp_path / "missing.duckdb") == (None, "", None)
    short = _database_with_loads(tmp_path / "short.duckdb", [1000, 2000])
    usual, _, note = quality._usual_batch_rows(short)
    assert usual is None and note == "volume: 2 previous load(s); the usual size is judged from 3"
    enough = _database_with_loads(tmp_path / "enough.duckdb", [10, 30, 20, 5000])
    assert quality._usual_batch_rows(enough) == (25.0, "median of 4 previous loads", None)


# ---------------------------------------------------------------------------------------------
# Output suite
# ---------------------------------------------------------------------------------------------

JOURNEYS_DDL = """
create table journeys (
    journey_id varchar, template_name varchar, template_version varchar, conversation_id varchar,
    journey_number bigint, start_event_id varchar, started_at timestamp, status varchar,
    end_name varchar, end_event_id varchar, ended_at timestamp, duration_seconds double,
    deadline_at timestamp, milestones_reached bigint, milestones_total bigint,
    channel varchar, team_id varchar, agent_id varchar
)
"""
MILESTONES_DDL = """
create table journey_milestones (
    journey_id varchar, template_name varchar, conversation_id varchar, milestone_name varchar,
    milestone_order integer, reached boolean, reached_at timestamp, event_id varchar,
    seconds_from_start double, in_order boolean
)
"""
T0 = datetime(2024, 5, 1, 10, 0, 0)


def _journey(journey_id, conversation_id, status, started_at, ended_at, milestones_reached=0,
             template="returns", duration=None, number=1):
    if duration is None and ended_at is not None:
        duration = (ended_at - started_at).total_seconds()
    elif duration == "null":
        duration = None
    return (journey_id, template, "v1", conversation_id, number, f"start-{journey_id}", started_at, status,
            "done" if status == "completed" else None, None, ended_at, duration, None,
            milestones_reached, 2, "email", "t1", "a1")


def _milestone(journey_id, conversation_id, name, order, reached_at, template="returns"):
    return (journey_id, template, conversation_id, name, order, reached_at is not None, reached_at,
            "m-event" if reached_at else None, None, None)


def _good_rows():
    hour = timedelta(hours=1)
    journeys = [
        _journey("j_done", "c1", "completed", T0, T0 + 2 * hour, milestones_reached=2),
        _journey("j_timeout", "c2", "timed_out", T0, T0 + 48 * hour, milestones_reached=1),
        _journey("j_open", "c3", "open", T0, None, milestones_reached=1),
        _journey("j_open_other_template", "c3", "open", T0, None, template="billing"),
    ]
    milestones = [
        _milestone("j_done", "c1", "reason", 1, T0),            # at the start: allowed
        _milestone("j_done", "c1", "label", 2, T0 + 2 * hour),  # at the end: allowed
        _milestone("j_timeout", "c2", "reason", 1, T0 + 48 * hour),
        _milestone("j_timeout", "c2", "label", 2, None),
        _milestone("j_open", "c3", "reason", 1, T0 + 500 * hour),  # open: any time after the start
        _milestone("j_open", "c3", "label", 2, None),
    ]
    return journeys, milestones


def _output_database(path: Path, journeys, milestones, funnel_sql: str | None = None) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute(JOURNEYS_DDL)
        connection.execute(MILESTONES_DDL)
        connection.executemany(f"insert into journeys values ({', '.join(['?'] * 18)})", journeys)
        connection.executemany(f"insert into journey_milestones values ({', '.join(['?'] * 10)})", milestones)
        if funnel_sql:
            connection.execute(funnel_sql)
    return path


def test_consistent_output_tables_pass(tmp_path):
    journeys, milestones = _good_rows()
    database = _output_database(tmp_path / "good.duckdb", journeys, milestones)
    report = quality.check_outputs(database, tmp_path / "out")
    assert report.ok, report.summary_lines()
    assert report.tables == ["journeys", "journey_milestones"] and report.evaluated == 6 + 2
    assert "journey_funnel not built; funnel shares not checked" in report.notes
    text = rendered(report)
    assert text.startswith("Output checks passed: 8 expectations (4 journeys; tables journeys, journey_milestones)")
    assert "journey_funnel not built" in text


def test_broken_output_tables_trigger_every_output_expectation(tmp_path):
    hour = timedelta(hours=1)
    journeys, milestones = _good_rows()
    journeys += [
        _journey("j_backwards", "c10", "completed", T0, T0 - hour),              # ended before started
        _journey("j_bad_duration", "c11", "completed", T0, T0 + hour, duration=60.0),
        _journey("j_no_duration", "c12", "timed_out", T0, T0 + hour, duration="null"),   # closed, no duration
        _journey("j_closed_status", "c13", "closed", T0, T0 + hour),
        _journey("j_null_status", "c14", None, T0, T0 + hour),
        _journey("j_open_a", "c15", "open", T0, None),
        _journey("j_open_b", "c15", "open", T0 + hour, None, number=2),          # second open journey
        _journey("j_overcounted", "c16", "completed", T0, T0 + hour, milestones_reached=2),
        _journey("j_early", "c17", "completed", T0, T0 + hour, milestones_reached=1),
        _journey("j_late", "c18", "completed", T0, T0 + hour, milestones_reached=1),
    ]
    milestones += [
        _milestone("j_overcounted", "c16", "reason", 1, T0 + hour / 2),
        _milestone("j_overcounted", "c16", "label", 2, None),
        _milestone("j_early", "c17", "reason", 1, T0 - hour),                    # before the start
        _milestone("j_late", "c18", "reason", 1, T0 + 5 * hour),                 # after the end
    ]
    funnel = ("create table journey_funnel as select * from (values "
              "('returns', 'reason', 0.5, 0.25, null, 7), ('returns', 'label', 1.5, -0.1, 1.0, 9)) "
              "t(template_name, milestone_name, share_of_started, closed_share_of_previous, share_unknown, journeys)")
    database = _output_database(tmp_path / "broken.duckdb", journeys, milestones, funnel)
    report = quality.check_outputs(database, tmp_path / "out")
    assert not report.ok
    failures = by_name(report)
    expected = {
        "ended_not_before_started": (1, "journey j_backwards (returns, conversation 'c10'): started_at=2024-05-01 10:00:00, ended_at=2024-05-01 09:00:00"),
        "duration_is_ended_minus_started": (2, "journey j_bad_duration (returns, conversation 'c11'): duration_seconds=60.0, expected_duration_seconds=3600.0"),
        "status_present": (1, "journey j_null_status (returns, conversation 'c14'): status=null"),
        "status_valid": (1, "journey j_closed_status (returns, conversation 'c13'): status='closed'"),
        "one_open_journey_per_conversation": (2, "journey j_open_b (returns, conversation 'c15'): journey_number=2, started_at=2024-05-01 11:00:00"),
        "milestones_reached_matches_rows": (1, "journey j_overcounted (returns, conversation 'c16'): milestones_reached=2, reached_milestone_rows=1"),
        "milestone_not_before_start": (1, "journey j_early (returns, conversation 'c17'): milestone_name='reason', reached_at=2024-05-01 09:00:00, started_at=2024-05-01 10:00:00, ended_at=2024-05-01 11:00:00"),
        "milestone_not_after_end": (1, "journey j_late (returns, conversation 'c18'): milestone_name='reason', reached_at=2024-05-01 15:00:00, started_at=2024-05-01 10:00:00, ended_at=2024-05-01 11:00:00"),
        "share_of_started_within_0_1": (1, "share_of_started=1.5 (template_name='returns', milestone_name='label')"),
        "closed_share_of_previous_within_0_1": (1, "closed_share_of_previous=-0.1 (template_name='returns', milestone_name='label')"),
    }
    assert set(failures) == set(expected)
    for name, (rows, sample) in expected.items():
        assert failures[name].rows_failed == rows, (name, failures[name])
        assert sample in failures[name].sample_values, (name, failures[name].sample_values)
    assert {f.table for f in report.failures} == {"journeys", "journey_milestones", "journey_funnel"}

    text = rendered(report)
    assert text.startswith("Output checks: 10 of 11 expectations failed (14 journeys; tables journeys, journey_milestones, journey_funnel)")
    assert "✗ at most one open journey per conversation and template [one_open_journey_per_conversation: " \
           "expect_compound_columns_to_be_unique on template_name, conversation_id]: 2 rows" in text
    saved = json.loads(report.json_path.read_text(encoding="utf-8"))
    assert saved["success"] is False and saved["failures"] == 10
    assert len(saved["great_expectations_results"]) == 3
    assert report.html_path.exists()


def test_output_check_needs_the_tables(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(quality.QualityError, match="main.journeys, main.journey_milestones not found"):
        quality.check_outputs(empty, tmp_path / "out")
    with pytest.raises(quality.QualityError, match="no such database"):
        quality.check_outputs(tmp_path / "nothing.duckdb", tmp_path / "out")

"""`journeys run` end to end: JSONL, CSV and Parquet in, typed events, rejected rows with
reasons, duplicates, and nothing read twice."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from journey_compiler.cli import app
from tests.harness import make_project, read_table

TEMPLATE = {
    "name": "first_response",
    "title": "First response",
    "timeout_hours": 48,
    "start": {"event": "message.received"},
    "end": [{"name": "replied", "event": "message.sent"}],
}

GOOD = [
    {"event_id": "j1", "conversation_id": "c1", "event_type": "message.received",
     "occurred_at": "2026-09-01T10:00:00+02:00", "channel": "email", "tags": ["returns"], "metadata": {"k": 1}},
    {"event_id": "j2", "conversation_id": "c1", "event_type": "message.sent",
     "occurred_at": "2026-09-01T09:30:00Z", "channel": "", "tags": [], "metadata": {}},
]
BROKEN_JSONL = [
    '{"conversation_id": "c9", "event_type": "message.sent", "occurred_at": "2026-09-01T10:00:00Z"}',
    '{"event_id": "b2", "event_type": "message.sent", "occurred_at": "2026-09-01T10:00:00Z"}',
    '{"event_id": "b3", "conversation_id": "c9", "occurred_at": "2026-09-01T10:00:00Z"}',
    '{"event_id": "b4", "conversation_id": "c9", "event_type": "message.sent"}',
    '{"event_id": "b5", "conversation_id": "c9", "event_type": "message.sent", "occurred_at": "yesterday"}',
    '{"event_id": "b6", "conversation_id": "c9", "event_type": "message.snt", "occurred_at": "2026-09-01T10:00:00Z"}',
    '{"event_id": "b7", "conversation_id": "c9", "event_type": "message.sent", "occurred_at": "2026-09-01T10:00:00Z", "metadata": [1]}',
    '{"event_id": "b8", "conversation_id": "c9", "event_type": "message.sent", "occurred_at": "2026-09-01T10:00:00Z", "tags": ["a", 2]}',
    '{"event_id": "b9", "conversation_id": "c9", "event_type": "message.sent", "occurred_at": "2026-09-01T10:00:00Z", "tags": "a"}',
    'this is not json',
    '[1, 2]',
    # a second copy of j1 (different content): the first ingested copy wins
    '{"event_id": "j1", "conversation_id": "c1", "event_type": "message.sent", "occurred_at": "2026-09-01T08:00:00Z"}',
]
EXPECTED_REASONS = {
    "missing event_id": 1,
    "missing conversation_id": 1,
    "missing event_type": 1,
    "missing occurred_at": 1,
    "unparseable occurred_at": 1,
    "unknown event_type": 1,
    "metadata is not a JSON object": 1,
    "tags is not a JSON list of strings": 2,
    "line is not valid JSON (Expecting value)": 1,
    "line is not a JSON object": 1,
}


def write_inputs(folder: Path) -> list[Path]:
    jsonl = folder / "events.jsonl"
    jsonl.write_text("\n".join([*(json.dumps(e) for e in GOOD), *BROKEN_JSONL]) + "\n", encoding="utf-8")

    csv_path = folder / "events.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_id", "conversation_id", "event_type", "occurred_at", "channel", "tags", "metadata"])
        writer.writerow(["c-1", "c2", "message.received", "2026-09-02 10:00:00", "chat", '["vip"]', '{"a": "é"}'])
        writer.writerow(["c-2", "c2", "message.sent", "2026-09-02T11:00:00-05:00", "chat", "", ""])
        writer.writerow(["c-3", "c2", "message.sent", "2026-09-02T11:00:00", "chat", "not json", ""])

    parquet_path = folder / "events.parquet"
    pq.write_table(
        pa.table({
            "event_id": ["p-1", "p-2"],
            "conversation_id": ["c3", "c3"],
            "event_type": ["message.received", "message.sent"],
            "occurred_at": [datetime(2026, 9, 3, 10), datetime(2026, 9, 3, 10, 5)],
            "tags": [["x", "y"], None],
            "metadata": ['{"rating": 5}', None],
        }),
        parquet_path,
    )
    return [jsonl, csv_path, parquet_path]


def test_run_loads_every_format_and_accounts_for_every_row(tmp_path):
    project = make_project(tmp_path, [TEMPLATE])
    files = write_inputs(tmp_path)
    database = tmp_path / "db.duckdb"
    args = ["run", "--project-dir", str(project), "--database", str(database)]
    for path in files:
        args += ["--events", str(path)]

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "read" in result.output and "rejected" in result.output
    assert "recomputed all 3 conversations" in " ".join(result.output.split())

    validated = read_table(database, "stg_events__validated")
    raw_rows = len(GOOD) + len(BROKEN_JSONL) + 3 + 2
    assert len(validated) == raw_rows
    outcomes = {o: sum(1 for r in validated if r["row_outcome"] == o) for o in ("accepted", "duplicate", "rejected")}
    assert outcomes == {"accepted": 6, "duplicate": 1, "rejected": 12}
    assert sum(outcomes.values()) == raw_rows

    rejected = read_table(database, "rejected_events")
    reasons: dict[str, int] = {}
    for row in rejected:
        reasons[row["rejection_reason"]] = reasons.get(row["rejection_reason"], 0) + 1
    assert reasons == {**EXPECTED_REASONS, "tags is not a JSON list of strings": 3}
    not_json = next(r for r in rejected if r["rejection_reason"].startswith("line is not valid JSON"))
    assert not_json["source_line"] == 12 and not_json["source_file"].endswith("events.jsonl")

    events = {e["event_id"]: e for e in read_table(database, "stg_events")}
    assert set(events) == {"j1", "j2", "c-1", "c-2", "p-1", "p-2"}
    assert events["j1"]["occurred_at"] == datetime(2026, 9, 1, 8, 0)  # +02:00 to UTC
    assert events["j1"]["event_type"] == "message.received"  # the first copy wins
    assert events["c-2"]["occurred_at"] == datetime(2026, 9, 2, 16, 0)  # -05:00 to UTC
    assert events["c-1"]["occurred_at"] == datetime(2026, 9, 2, 10, 0)  # no offset means UTC
    assert events["j2"]["channel"] is None and events["j2"]["tags"] is None  # '' and [] are missing
    assert events["p-1"]["tags"] == ["x", "y"]

    summary = {(r["row_outcome"], r["rejection_reason"]): r["row_count"] for r in read_table(database, "event_load_summary")}
    assert sum(summary.values()) == raw_rows

    journeys = read_table(database, "journeys")
    by_conversation = {j["conversation_id"]: j for j in journeys}
    # c1: received at 08:00Z, reply at 09:30Z
    assert by_conversation["c1"]["status"] == "completed" and by_conversation["c1"]["duration_seconds"] == 5400.0
    assert by_conversation["c3"]["duration_seconds"] == 300.0

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "already loaded; skipped" in again.output
    assert "recomputed 0 of 3 conversations" in " ".join(again.output.split())
    assert len(read_table(database, "stg_events__validated")) == raw_rows
    def by_id(rows):
        return sorted(rows, key=lambda row: row["journey_id"])

    assert by_id(read_table(database, "journeys")) == by_id(journeys)


def test_run_refuses_stale_generated_models(tmp_path):
    project = make_project(tmp_path, [TEMPLATE])
    (project / "journeys" / "first_response.yml").write_text(
        (project / "journeys" / "first_response.yml").read_text().replace("48", "24")
    )
    result = CliRunner().invoke(app, ["run", "--project-dir", str(project), "--database", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 1
    assert "journeys compile" in result.output


MARKUP = "[/x]"  # rich reads it as a closing tag: printed through markup it raises MarkupError


def test_run_and_report_print_markup_in_data_literally(tmp_path):
    """A key, a conversation id, a team, a file and a database path, a title and a description
    holding rich markup: `journeys run` builds and `journeys report` shows them as they are."""
    template = {**TEMPLATE, "title": f"First {MARKUP} response :smile:",
                "description": f"closes {MARKUP}, opens [bold]"}
    project = make_project(tmp_path, [template])
    folder = tmp_path / "[red]" / "["
    folder.mkdir(parents=True)
    events = folder / "x].jsonl"  # the path reads [red]/[/x].jsonl
    rows = [
        {"event_id": "e1", "conversation_id": "c1", "event_type": "message.received",
         "occurred_at": "2026-09-01T10:00:00Z", MARKUP: 1},
        {"event_id": "e2", "conversation_id": "c1", "event_type": "message.sent", "occurred_at": "2026-09-01T10:30:00Z"},
        # open for 10 hours at the as-of time, against a p90 of 30 minutes: stalled
        {"event_id": "e3", "conversation_id": "[/bold]", "event_type": "message.received",
         "occurred_at": "2026-09-01T10:00:00Z", "team_id": "[/team]"},
        {"event_id": "e4", "conversation_id": "c2", "event_type": "message.received", "occurred_at": "2026-09-01T20:00:00Z"},
    ]
    events.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    database = folder / "[/y].duckdb"

    result = CliRunner().invoke(app, ["run", "--project-dir", str(project), "--database", str(database),
                                      "--events", str(events)], terminal_width=200)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Read 4 rows from {events}" in out
    assert f"ignored columns not in the contract: {MARKUP}" in out
    assert f"Tables are in {database} (schema main)" in out
    assert {row["conversation_id"] for row in read_table(database, "journeys")} == {"c1", "[/bold]", "c2"}

    report = CliRunner().invoke(app, ["report", "--project-dir", str(project), "--database", str(database)],
                                terminal_width=200)
    assert report.exit_code == 0, report.output
    shown = report.output
    assert f"Journey report  {database}" in shown
    assert f"First {MARKUP} response :smile: (first_response)" in shown
    assert f"closes {MARKUP}, opens [bold]" in shown
    assert "[/bold]" in shown and "[/team]" in shown  # the stalled conversation and its team

    page = tmp_path / "report.html"
    html = CliRunner().invoke(app, ["report", "--project-dir", str(project), "--database", str(database),
                                    "--html", str(page)])
    assert html.exit_code == 0, html.output
    text = page.read_text(encoding="utf-8")
    assert f"First {MARKUP} response :smile:" in text and f"closes {MARKUP}, opens [bold]" in text
    assert "[/bold]" in text


AS_OF_EVENTS = [
    {"event_id": "a1", "conversation_id": "c1", "event_type": "message.received", "occurred_at": "2026-09-20T10:00:00Z"},
    {"event_id": "a2", "conversation_id": "c2", "event_type": "message.received", "occurred_at": "2026-09-20T11:00:00Z"},
    {"event_id": "a3", "conversation_id": "c1", "event_type": "message.sent", "occurred_at": "2026-09-20T11:30:00Z"},
    {"event_id": "a4", "conversation_id": "c2", "event_type": "message.sent", "occurred_at": "2026-09-20T13:00:00Z"},
]
LOAD_COLUMNS = {"loaded_at", "ingested_at", "recorded_at", "loaded_until", "load_id"}


def _tables_without_load_times(database: Path) -> dict[str, list[tuple]]:
    """Every table of the build, rows sorted, columns naming the load (its time, its id) dropped."""
    import duckdb

    with duckdb.connect(str(database)) as connection:
        names = [n for (n,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()]
        tables = {}
        for name in names:
            cursor = connection.execute(f'select * from main."{name}"')
            keep = [i for i, column in enumerate(cursor.description) if column[0] not in LOAD_COLUMNS]
            tables[name] = sorted((tuple(row[i] for i in keep) for row in cursor.fetchall()), key=repr)
    return tables


def test_run_as_of_with_an_offset_is_that_instant(tmp_path):
    """-12:00 at midnight is noon UTC: the same tables as a run at ...T12:00:00Z."""
    project = make_project(tmp_path, [TEMPLATE])
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in AS_OF_EVENTS), encoding="utf-8")
    built = {}
    for as_of in ("2026-09-20T00:00:00-12:00", "2026-09-20T12:00:00Z"):
        database = tmp_path / f"{len(built)}.duckdb"
        result = CliRunner().invoke(app, ["run", "--project-dir", str(project), "--database", str(database),
                                          "--events", str(events), "--as-of", as_of])
        assert result.exit_code == 0, result.output
        built[as_of] = _tables_without_load_times(database)
    offset, utc = built.values()
    assert offset["int_metrics_as_of"] == [(datetime(2026, 9, 20, 12, 0),)]
    journeys = read_table(tmp_path / "0.duckdb", "journeys")
    assert sorted((j["conversation_id"], j["status"]) for j in journeys) == [("c1", "completed"), ("c2", "open")]
    assert sorted(offset) == sorted(utc)
    assert {name for name in offset if offset[name] != utc[name]} == set()


def test_run_refuses_an_as_of_that_is_not_a_timestamp(tmp_path):
    project = make_project(tmp_path, [TEMPLATE])
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in AS_OF_EVENTS), encoding="utf-8")
    database = tmp_path / "db.duckdb"
    for as_of in ("yesterday", "2026-13-01", "infinity", '{% do run_query("create table main.pwned as select 1") %}'):
        result = CliRunner().invoke(app, ["run", "--project-dir", str(project), "--database", str(database),
                                          "--events", str(events), "--as-of", as_of])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert lines == [f"--as-of {as_of!r} is not a timestamp; use an ISO 8601 timestamp, e.g. "
                         "2026-09-20T12:00:00Z or 2026-09-20 14:00:00+02:00 (no offset means UTC)"], result.output
        assert "Traceback" not in result.output
        assert not database.exists()  # nothing loaded, nothing built

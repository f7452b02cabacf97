"""The process-mining importer: mapping validation, CSV and XES reading, conversion, accounting."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import textwrap
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from journey_compiler.catalog import load_catalog
from journey_compiler.importer import (
    BAD_TIMESTAMP,
    BAD_VALUE,
    MALFORMED_ROW,
    MISSING_CONVERSATION,
    UNMAPPED_ACTIVITY,
    ImportReport,
    SourceError,
    import_log,
    rejected_path_for,
)
from journey_compiler.mapping import MappingValidationFailed, load_mapping

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "importer"
HELPDESK = ROOT / "examples" / "helpdesk" / "data" / "helpdesk.csv.gz"  # shipped in the repository
HELPDESK_MAPPING = ROOT / "examples" / "helpdesk" / "mapping.yml"
EVENT_KEYS = [
    "event_id", "conversation_id", "event_type", "occurred_at", "channel", "status",
    "tags", "agent_id", "team_id", "metadata",
]


def run(mapping: Path | str, source: Path | str, out: Path) -> tuple[ImportReport, list[dict], list[dict]]:
    """Import, check the accounting invariant and the files, return (report, events, rejected)."""
    report = import_log(mapping, source, out, project_dir=ROOT)
    events = read_jsonl(out)
    rejected = read_jsonl(report.rejected_path)
    assert report.rows_read == report.events_written + report.rows_rejected
    assert len(events) == report.events_written
    assert len(rejected) == report.rows_rejected
    assert Counter(row["reason"] for row in rejected) == report.rejected
    for event in events:
        assert list(event) == EVENT_KEYS
        assert event["occurred_at"].endswith("Z")
    return report, events, rejected


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def by_activity(events: list[dict], conversation: str) -> list[tuple[str, str]]:
    return [(e["event_type"], e["occurred_at"]) for e in events if e["conversation_id"] == conversation]


# ---------------------------------------------------------------- CSV


def test_csv_import_maps_fields_tags_and_fixed_metadata(tmp_path):
    report, events, _ = run(FIXTURES / "tickets.yml", FIXTURES / "tickets.csv", tmp_path / "events.jsonl")
    assert report.source_format == "csv"
    first = events[0]
    assert first["conversation_id"] == "t-C1"  # prefix
    assert first["event_type"] == "conversation.created"
    assert first["agent_id"] == "Ann"
    assert first["team_id"] == "team-L1"  # prefix
    assert first["channel"] == "email"  # fixed value
    assert first["tags"] == ["priority:high", "vip", "billing"]  # prefixed column + split column, stripped
    assert first["metadata"] == {"source": "tickets_csv"}  # fixed value; the empty rating is left out
    resolved = next(e for e in events if e["event_type"] == "conversation.status_changed")
    assert resolved["status"] == "resolved"
    assert resolved["metadata"] == {"source": "tickets_csv", "status": "resolved"}
    rating = next(e for e in events if e["event_type"] == "csat.rating")
    assert rating["metadata"] == {"rating": 5, "source": "tickets_csv"}  # typed: a number, not "5"
    assert rating["agent_id"] is None and rating["tags"] == []
    assert report.conversations == 2
    assert report.events_by_type == Counter({
        "conversation.created": 2, "conversation.assigned": 2, "conversation.status_changed": 1,
        "csat.rating": 1, "conversation.marked_done": 1,
    })


def test_csv_time_zone_is_converted_to_utc_including_daylight_saving(tmp_path):
    _, events, _ = run(FIXTURES / "tickets.yml", FIXTURES / "tickets.csv", tmp_path / "events.jsonl")
    times = {(e["conversation_id"], e["event_type"]): e["occurred_at"] for e in events}
    assert times["t-C1", "conversation.created"] == "2010-01-13T08:40:25Z"  # Rome winter: +01:00
    assert times["t-C1", "conversation.status_changed"] == "2010-07-15T10:00:00Z"  # Rome summer: +02:00
    assert times["t-C2", "conversation.created"] == "2010-01-31T23:30:00Z"  # crosses midnight backwards
    # a quoted timestamp spanning two physical lines still parses (whitespace matches whitespace)
    assert times["t-C2", "conversation.marked_done"] == "2010-02-03T08:00:00Z"


def test_csv_rejections_have_reason_detail_and_source_line(tmp_path):
    report, _, rejected = run(FIXTURES / "tickets.yml", FIXTURES / "tickets.csv", tmp_path / "events.jsonl")
    assert report.rows_read == 13
    assert report.events_written == 7
    assert report.rejected == Counter({
        UNMAPPED_ACTIVITY: 2, MISSING_CONVERSATION: 1, BAD_TIMESTAMP: 1, BAD_VALUE: 1, MALFORMED_ROW: 1,
    })
    assert report.unmapped_activities == Counter({"Mystery step": 2})
    assert [(row["line"], row["reason"]) for row in rejected] == [
        (8, UNMAPPED_ACTIVITY),
        (9, MISSING_CONVERSATION),
        (10, BAD_TIMESTAMP),
        (11, BAD_VALUE),
        (12, MALFORMED_ROW),
        (15, UNMAPPED_ACTIVITY),  # line 13-14 is one record with a quoted line break
    ]
    assert rejected[2]["detail"] == "'yesterday' is not a timestamp in format '%d/%m/%Y %H:%M:%S'"
    assert rejected[3]["detail"] == "metadata 'rating': 'five' from 'Rating' is not an integer"
    assert rejected[4]["detail"] == "the row has 9 values but the header has 8 columns"
    assert rejected[4]["record"]["_extra_values"] == ["extra value"]
    assert rejected[0]["record"]["Activity"] == "Mystery step"
    assert rejected_path_for(tmp_path / "events.jsonl") == tmp_path / "events.rejected.jsonl"
    assert report.rejected_path == tmp_path / "events.rejected.jsonl"


def test_unmapped_keep_as_keeps_the_activity_in_metadata(tmp_path):
    text = (FIXTURES / "tickets.yml").read_text().replace(
        "unmapped: reject", "unmapped: {keep_as: conversation.status_changed}"
    )
    mapping = tmp_path / "keep.yml"
    mapping.write_text(text)
    report, events, _ = run(mapping, FIXTURES / "tickets.csv", tmp_path / "events.jsonl")
    assert UNMAPPED_ACTIVITY not in report.rejected
    assert report.unmapped_activities == Counter({"Mystery step": 2})
    assert report.unmapped_kept_as == "conversation.status_changed"
    kept = [e for e in events if e["metadata"].get("activity") == "Mystery step"]
    assert len(kept) == 2
    assert {e["event_type"] for e in kept} == {"conversation.status_changed"}
    assert kept[0]["metadata"] == {"source": "tickets_csv", "activity": "Mystery step"}
    assert report.events_written == 9 and report.rows_rejected == 4


def test_generated_ids_are_stable_unique_and_survive_reordering(tmp_path):
    _, first, _ = run(FIXTURES / "tickets.yml", FIXTURES / "tickets.csv", tmp_path / "a.jsonl")
    _, again, _ = run(FIXTURES / "tickets.yml", FIXTURES / "tickets.csv", tmp_path / "b.jsonl")
    assert [e["event_id"] for e in first] == [e["event_id"] for e in again]
    assert len({e["event_id"] for e in first}) == len(first)
    # the two identical "Take in charge" rows are two events with two ids
    assigned = [e for e in first if e["conversation_id"] == "t-C1" and e["event_type"] == "conversation.assigned"]
    assert len(assigned) == 2 and assigned[0]["event_id"] != assigned[1]["event_id"]
    # a re-export with the rows in another order gives every event the same id
    lines = (FIXTURES / "tickets.csv").read_text().splitlines(keepends=True)
    header, rows = lines[0], lines[1:11]  # the single-line records
    reordered = tmp_path / "reordered.csv"
    reordered.write_text(header + "".join(reversed(rows)))
    _, shuffled, _ = run(FIXTURES / "tickets.yml", reordered, tmp_path / "c.jsonl")
    assert {e["event_id"] for e in shuffled} <= {e["event_id"] for e in first}
    assert len(shuffled) == len(first) - 1  # all but the multi-line 'Closed' row


def test_event_id_from_a_column(tmp_path):
    source = tmp_path / "log.csv"
    source.write_text("id,case,act,at\ne1,c1,Open,2024-01-01T10:00:00+05:00\n,c1,Open,2024-01-01T11:00:00\n")
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "conversation_id: case\nevent_id: id\ntimestamp: at\nactivity: act\n"
        "activities: {Open: conversation.created}\n"
    )
    report, events, rejected = run(mapping, source, tmp_path / "out.jsonl")
    assert [(e["event_id"], e["occurred_at"]) for e in events] == [("e1", "2024-01-01T05:00:00Z")]
    assert rejected[0]["reason"] == "missing event id" and rejected[0]["line"] == 3


def test_gzip_sources_and_output(tmp_path):
    plain_report, plain, _ = run(FIXTURES / "tickets.yml", FIXTURES / "tickets.csv", tmp_path / "plain.jsonl")
    for name in ("tickets.csv", "support.xes"):
        with (FIXTURES / name).open("rb") as source, gzip.open(tmp_path / f"{name}.gz", "wb") as target:
            shutil.copyfileobj(source, target)
    zipped_report, zipped, _ = run(FIXTURES / "tickets.yml", tmp_path / "tickets.csv.gz", tmp_path / "zipped.jsonl.gz")
    assert zipped == plain
    assert zipped_report.rejected == plain_report.rejected
    assert zipped_report.rejected_path == tmp_path / "zipped.rejected.jsonl"
    _, xes_plain, _ = run(FIXTURES / "support.yml", FIXTURES / "support.xes", tmp_path / "x.jsonl")
    _, xes_zipped, _ = run(FIXTURES / "support.yml", tmp_path / "support.xes.gz", tmp_path / "xz.jsonl")
    assert xes_zipped == xes_plain


def test_csv_column_missing_from_header_is_a_positioned_error(tmp_path):
    mapping = tmp_path / "m.yml"
    mapping.write_text((FIXTURES / "tickets.yml").read_text().replace("agent_id: Resource", "agent_id: Resorce"))
    with pytest.raises(MappingValidationFailed) as failure:
        import_log(mapping, FIXTURES / "tickets.csv", tmp_path / "out.jsonl", project_dir=ROOT)
    assert [str(e) for e in failure.value.errors] == [
        f"{mapping}:9:1: agent_id: column 'Resorce' is not in tickets.csv; did you mean 'Resource'?"
    ]
    assert not (tmp_path / "out.jsonl").exists()
    assert not list(tmp_path.glob("*.partial"))


def test_csv_with_semicolons_and_latin1(tmp_path):
    source = tmp_path / "export.txt"
    source.write_bytes("Fall;Tätigkeit;Zeit\nK1;Eröffnet;2024-03-01 09:00\n".encode("latin-1"))
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "source: {format: csv, delimiter: ';', encoding: latin-1}\n"
        "conversation_id: Fall\nevent_id: {generate: true}\ntimestamp: {column: Zeit, timezone: Europe/Berlin}\n"
        "activity: Tätigkeit\nactivities: {Eröffnet: conversation.created}\n",
        encoding="utf-8",
    )
    _, events, _ = run(mapping, source, tmp_path / "out.jsonl")
    assert [(e["conversation_id"], e["occurred_at"]) for e in events] == [("K1", "2024-03-01T08:00:00Z")]


def test_undecodable_csv_is_a_source_error(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_bytes(b"Case ID,Activity,Timestamp\nC1,Ab\xe9,2024-01-01\n")
    mapping = tmp_path / "m.yml"
    mapping.write_text(MINIMAL)
    with pytest.raises(SourceError, match=r"bad.csv:\d+: not valid utf-8-sig"):
        import_log(mapping, source, tmp_path / "out.jsonl", project_dir=ROOT)
    assert not (tmp_path / "out.jsonl").exists()


# ---------------------------------------------------------------- XES


def test_xes_trace_attributes_namespaces_and_time_zones(tmp_path):
    report, events, rejected = run(FIXTURES / "support.yml", FIXTURES / "support.xes", tmp_path / "out.jsonl")
    assert report.source_format == "xes"
    assert report.rows_read == 8 and report.events_written == 6
    assert by_activity(events, "T1") == [
        ("conversation.created", "2012-03-24T22:30:00Z"),  # +01:00 offset kept, not the mapping's UTC
        ("conversation.assigned", "2012-03-25T09:00:00Z"),
        ("conversation.status_changed", "2012-03-26T08:15:30.250000Z"),
        ("conversation.reopened", "2012-03-27T06:00:00Z"),  # unmapped, kept
    ]
    t1 = [e for e in events if e["conversation_id"] == "T1"]
    assert {e["channel"] for e in t1} == {"chat"}  # trace attribute case:channel
    assert [e["agent_id"] for e in t1] == ["Value 1", "Value 2", "Value 2", None]  # <global> defaults not applied
    assert t1[0]["metadata"] == {"lifecycle": "complete"}  # nested <list> attributes ignored
    assert t1[2]["metadata"] == {"status": "resolved"}
    assert t1[3]["metadata"] == {"activity": "Reopen"}
    # a trace attribute written after the trace's events still names the case
    assert by_activity(events, "T2") == [("conversation.created", "2012-04-01T06:00:00Z")]
    assert report.unmapped_activities == Counter({"Reopen": 1})
    xes_lines = (FIXTURES / "support.xes").read_text().splitlines()
    assert [(row["line"], row["reason"]) for row in rejected] == [(53, BAD_TIMESTAMP), (59, MISSING_CONVERSATION)]
    assert all(xes_lines[row["line"] - 1].strip() == "<event>" for row in rejected)
    assert rejected[0]["record"] == {
        "case:concept:name": "T3", "concept:name": "Closed", "time:timestamp": "not a date",
    }
    assert report.warnings == []


def test_xes_column_never_seen_is_a_warning_with_position(tmp_path):
    mapping = tmp_path / "m.yml"
    mapping.write_text((FIXTURES / "support.yml").read_text().replace("org:resource", "org:resorce"))
    report, events, _ = run(mapping, FIXTURES / "support.xes", tmp_path / "out.jsonl")
    assert {e["agent_id"] for e in events} == {None}
    assert report.warnings == [
        f"{mapping}:6:1: agent_id: no event in {FIXTURES / 'support.xes'} has 'org:resorce'; "
        "did you mean 'org:resource'?"
    ]


def test_mapped_activity_never_seen_is_a_warning_with_hint(tmp_path):
    mapping = tmp_path / "m.yml"
    mapping.write_text((FIXTURES / "tickets.yml").read_text().replace("Rate: csat.rating", "Rating: csat.rating"))
    report, _, _ = run(mapping, FIXTURES / "tickets.csv", tmp_path / "out.jsonl")
    assert report.unmapped_activities["Rate"] == 2
    assert report.warnings == [
        f"{mapping}:25:3: activities.Rating: no row has activity 'Rating'; did you mean 'Rate' (2 unmapped rows)?"
    ]


def test_broken_xes_is_a_source_error_with_position(tmp_path):
    source = tmp_path / "broken.xes"
    source.write_text('<log>\n  <trace>\n    <event>\n      <string key="concept:name" value="x">\n  </trace>\n</log>\n')
    with pytest.raises(SourceError, match=r"broken.xes:5:4: not well-formed XES"):
        import_log(FIXTURES / "support.yml", source, tmp_path / "out.jsonl", project_dir=ROOT)
    assert not (tmp_path / "out.jsonl").exists()


def test_xes_is_streamed_not_loaded(tmp_path):
    """Peak memory stays far below the file's size: elements are cleared as they are used."""
    source = tmp_path / "big.xes"
    with source.open("w") as handle:
        handle.write('<?xml version="1.0"?>\n<log>\n')
        for trace in range(2000):
            handle.write(f'<trace><string key="concept:name" value="case-{trace}"/>\n')
            for event in range(10):
                handle.write(
                    f'<event><string key="id" value="{trace}-{event}"/>'
                    f'<string key="concept:name" value="Insert ticket"/>'
                    f'<string key="padding" value="{"x" * 200}"/>'
                    f'<date key="time:timestamp" value="2020-01-01T00:{event:02d}:00Z"/></event>\n'
                )
            handle.write("</trace>\n")
        handle.write("</log>\n")
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "conversation_id: case:concept:name\nevent_id: id\ntimestamp: time:timestamp\nactivity: concept:name\n"
        "activities: {Insert ticket: conversation.created}\n"
    )
    size = source.stat().st_size
    tracemalloc.start()
    try:
        report = import_log(mapping, source, tmp_path / "out.jsonl", project_dir=ROOT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.events_written == 20_000 and report.conversations == 2000
    assert size > 5_000_000
    assert peak < size / 4, (peak, size)


# ---------------------------------------------------------------- mapping validation

MINIMAL = """\
conversation_id: Case ID
event_id: {generate: true}
timestamp: {column: Timestamp}
activity: Activity
activities:
  Open ticket: conversation.created
"""


def mapping_errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "m.yml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(MappingValidationFailed) as failure:
        load_mapping(path, ROOT)
    prefix = f"{path}:"
    messages = [str(error) for error in failure.value.errors]
    assert all(message.startswith(prefix) for message in messages)
    return [message[len(prefix):] for message in messages]


def test_minimal_and_example_mappings_are_valid():
    assert load_mapping(FIXTURES / "tickets.yml", ROOT).mapping.timestamp.timezone == "Europe/Rome"
    assert load_mapping(FIXTURES / "support.yml", ROOT).mapping.unmapped.keep_as == "conversation.reopened"
    helpdesk = load_mapping(HELPDESK_MAPPING, ROOT).mapping
    assert helpdesk.unmapped.rejects
    assert set(a.event_type for a in helpdesk.activities.values()) <= set(load_catalog(ROOT))


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            MINIMAL.replace("activity: Activity", "activty: Activity"),
            ["4:1: unknown key 'activty'; did you mean 'activity'?"],
            id="typo-top-level-key",
        ),
        pytest.param(
            MINIMAL + "colour: blue\n",
            ["7:1: unknown key 'colour'; remove it or use one of: description, source, conversation_id, event_id, "
             "timestamp, activity, activities, unmapped, channel, status, agent_id, team_id, tags, metadata"],
            id="unknown-top-level-key",
        ),
        pytest.param(
            MINIMAL.replace("{column: Timestamp}", "{column: Timestamp, zone: UTC}"),
            ["3:32: timestamp: unknown key 'zone'; did you mean 'timezone'?"],
            id="typo-nested-key",
        ),
        pytest.param(
            MINIMAL.replace("conversation_id: Case ID\n", ""),
            ["1:1: required key 'conversation_id' is missing; add it"],
            id="missing-key",
        ),
        pytest.param(
            MINIMAL.replace("conversation.created", "conversation.create"),
            ["6:3: activities.Open ticket: unknown event type 'conversation.create'; did you mean "
             "'conversation.created'?"],
            id="unknown-event-type-shorthand",
        ),
        pytest.param(
            MINIMAL + "  Resolve:\n    event_type: conversation.resolved\n    metadata: {status: resolved}\n",
            ["8:5: activities.Resolve.event_type: unknown event type 'conversation.resolved'; did you mean "
             "'conversation.reopened'?"],
            id="unknown-event-type",
        ),
        pytest.param(
            MINIMAL + "unmapped: {keep_as: ticket.other}\n",
            ["7:12: unmapped.keep_as: unknown event type 'ticket.other'; use a type of seeds/event_catalog.csv "
             "or add it there"],
            id="keep-as-unknown-type",
        ),
        pytest.param(
            MINIMAL + "unmapped: drop\n",
            ["7:1: unmapped: 'drop' is not a policy for unmapped activities; use 'reject' or "
             "{keep_as: <event type>}"],
            id="unmapped-policy",
        ),
        pytest.param(
            MINIMAL.replace("{generate: true}", "{column: id, generate: true}"),
            ["2:24: event_id.generate: give either 'column' or 'generate: true', not both; remove one"],
            id="event-id-both",
        ),
        pytest.param(
            MINIMAL.replace("{generate: true}", "{generate: false}"),
            ["2:1: event_id: say where event ids come from: 'column: <name>' or 'generate: true' (a stable id "
             "derived from conversation, activity, time and the ordinal of identical rows)"],
            id="event-id-none",
        ),
        pytest.param(
            MINIMAL.replace("{column: Timestamp}", "{column: Timestamp, timezone: Europe/Rom}"),
            ["3:32: timestamp.timezone: unknown time zone 'Europe/Rom'; did you mean 'Europe/Rome'?"],
            id="time-zone",
        ),
        pytest.param(
            MINIMAL.replace("{column: Timestamp}", "{column: Timestamp, format: '%d.%m.%Y %Q'}"),
            ["3:32: timestamp.format: '%d.%m.%Y %Q' is not a usable strptime format ('Q' is a bad directive in "
             "format '%d.%m.%Y %Q'); use directives such as %Y-%m-%d %H:%M:%S, or remove 'format' to read ISO 8601"],
            id="time-format",
        ),
        pytest.param(
            MINIMAL + "metadata:\n  first contact: First\n",
            ["8:3: metadata.first contact: 'first contact' is not a valid metadata key; use letters, digits and "
             "underscores, not starting with a digit (templates read it as metadata.<key>)"],
            id="metadata-key",
        ),
        pytest.param(
            MINIMAL.replace("Open ticket: conversation.created",
                            "Open ticket:\n    event_type: conversation.created\n    metadata: {tag: [a, b]}"),
            ["8:16: activities.Open ticket.metadata.tag: metadata 'tag' must be a text, number or true/false, "
             "got ['a', 'b']; give one value"],
            id="fixed-metadata-value",
        ),
        pytest.param(
            MINIMAL + "metadata:\n  rating: {column: Rating, type: int}\n",
            ["8:28: metadata.rating.type: 'int' is not allowed; expected 'string', 'integer', 'number' or "
             "'boolean'"],
            id="metadata-type",
        ),
        pytest.param(
            MINIMAL + "agent_id: {column: Owner, value: bot}\n",
            ["7:27: agent_id.value: give either 'column' or 'value', not both; remove one"],
            id="field-column-and-value",
        ),
        pytest.param(
            MINIMAL + "tags:\n  - {value: vip, split: ','}\n",
            ["8:18: tags[0].split: 'split' applies to a column, not to a fixed tag; remove it"],
            id="tag-split-on-value",
        ),
        pytest.param(
            MINIMAL + "team_id: 42\n",
            ["7:1: team_id: expected a column name, {column: ...} or {value: ...}, got 42"],
            id="field-shape",
        ),
        pytest.param(
            MINIMAL + "source: {delimiter: ';;'}\n",
            ["7:10: source.delimiter: string should have at most 1 character, got ';;'; fix the value"],
            id="source-delimiter",
        ),
        pytest.param(
            MINIMAL + "source: {format: parquet}\n",
            ["7:10: source.format: 'parquet' is not allowed; expected 'auto', 'csv' or 'xes'"],
            id="source-format",
        ),
        pytest.param(
            MINIMAL + "  Open ticket: conversation.assigned\n",
            ["7:3: YAML syntax error: found duplicate key \"Open ticket\" with value \"conversation.assigned\" "
             "(original value: \"conversation.created\"); fix the syntax"],
            id="duplicate-activity",
        ),
        pytest.param(
            "conversation_id: [Case ID\n",
            ["2:1: YAML syntax error: expected ',' or ']', but got '<stream end>'; fix the syntax"],
            id="yaml-syntax",
        ),
        pytest.param(
            "- conversation_id: Case ID\n",
            ["1:1: a mapping file is a YAML mapping (conversation_id:, event_id:, timestamp:, activity:, "
             "activities:, ...); see examples/helpdesk/mapping.yml"],
            id="not-a-mapping",
        ),
        pytest.param(
            MINIMAL.replace("conversation.created", "conversation.create").replace("activity: Activity", "activity: ''")
            + "unmapped: {keep_as: conversation.tag}\n",
            [
                "4:1: activity: the column name is empty; give the source column's name",
                "6:3: activities.Open ticket: unknown event type 'conversation.create'; did you mean "
                "'conversation.created'?",
                "7:12: unmapped.keep_as: unknown event type 'conversation.tag'; did you mean 'conversation.tagged'?",
            ],
            id="all-errors-at-once",
        ),
    ],
)
def test_mapping_errors_are_positioned_with_a_fix(tmp_path, text, expected):
    assert mapping_errors(tmp_path, text) == expected


# ---------------------------------------------------------------- the real Helpdesk log


def helpdesk_truth() -> tuple[int, int, Counter]:
    with gzip.open(HELPDESK, "rt", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return len(rows), len({row["case:concept:name"] for row in rows}), Counter(row["concept:name"] for row in rows)


def test_helpdesk_log_imports_completely(tmp_path):
    rows, cases, activities = helpdesk_truth()
    assert (rows, cases, len(activities)) == (21_348, 4_580, 14)  # the dataset README's figures
    report, events, rejected = run(HELPDESK_MAPPING, HELPDESK, tmp_path / "helpdesk.jsonl")
    assert report.rows_read == 21_348
    assert report.events_written == 21_348 and report.rows_rejected == 0 and rejected == []
    assert report.conversations == 4_580
    assert report.unmapped_activities == Counter() and report.warnings == []
    assert len({e["event_id"] for e in events}) == 21_348  # 127 exact duplicate rows still get their own ids
    assert Counter(e["metadata"]["activity"] for e in events) == activities
    mapping = load_mapping(HELPDESK_MAPPING, ROOT).mapping
    expected_types = Counter()
    for activity, count in activities.items():
        expected_types[mapping.activities[activity].event_type] += count
    assert report.events_by_type == expected_types
    assert report.events_by_type["conversation.assigned"] == 5_060
    assert report.events_by_type["conversation.marked_done"] == 4_574
    first = events[0]
    assert first == {
        "event_id": first["event_id"], "conversation_id": "Case3608", "event_type": "conversation.tagged",
        "occurred_at": "2010-01-13T08:40:25Z", "channel": None, "status": None, "tags": [],
        "agent_id": "Value 2", "team_id": None, "metadata": {"activity": "Assign seriousness", "tag": "seriousness"},
    }
    _, again, _ = run(HELPDESK_MAPPING, HELPDESK, tmp_path / "again.jsonl")
    assert [e["event_id"] for e in again] == [e["event_id"] for e in events]


def test_helpdesk_as_xes_gives_the_same_events_with_the_same_mapping(tmp_path):
    """pm4py's CSV names trace attributes case:<key>, as the XES reader does: one mapping fits both."""
    from xml.sax.saxutils import quoteattr

    with gzip.open(HELPDESK, "rt", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    xes = tmp_path / "helpdesk.xes.gz"
    with gzip.open(xes, "wt", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n')
        case = None
        for row in rows:
            if row["case:concept:name"] != case:
                if case is not None:
                    out.write("  </trace>\n")
                case = row["case:concept:name"]
                out.write(f'  <trace>\n    <string key="concept:name" value={quoteattr(case)}/>\n')
            stamp = row["time:timestamp"].replace(" ", "T").replace("+00:00", ".000+00:00")
            out.write(
                f'    <event>\n      <string key="concept:name" value={quoteattr(row["concept:name"])}/>\n'
                f'      <string key="lifecycle:transition" value="complete"/>\n'
                f'      <string key="org:resource" value={quoteattr(row["org:resource"])}/>\n'
                f'      <date key="time:timestamp" value="{stamp}"/>\n    </event>\n'
            )
        out.write("  </trace>\n</log>\n")
    csv_report, from_csv, _ = run(HELPDESK_MAPPING, HELPDESK, tmp_path / "from_csv.jsonl")
    xes_report, from_xes, _ = run(HELPDESK_MAPPING, xes, tmp_path / "from_xes.jsonl")
    assert xes_report.source_format == "xes"
    assert (xes_report.rows_read, xes_report.events_written, xes_report.conversations) == (21_348, 21_348, 4_580)
    assert xes_report.warnings == []
    assert from_xes == from_csv

"""Import a process-mining event log (CSV or XES, plain or gzip) as Journey Tracker events.

`import_log(mapping, source, out)` reads the source row by row (an XES file is streamed and
its elements cleared as they are used, so memory does not grow with the file), converts every
row with the mapping (journey_compiler.mapping) and writes one JSON object a line in the
event format of the contract (docs/contract.md §1). A row that cannot become an event is written to the
sidecar `<out stem>.rejected.jsonl` with its reason, detail, source line and values, so
`rows_read == events_written + rows_rejected` always holds and nothing is lost silently.

Values are stripped of surrounding whitespace; an empty value is a missing one.

Generated event ids are the SHA-1 of (conversation id, source activity, UTC time, ordinal of
identical rows in file order): importing the same file again gives the same ids, and so does a
re-export whose rows are reordered or appended to. The mapping of activities to event types is
not part of the id, so re-importing with a changed mapping yields the same ids (the warehouse
keeps the first ingested copy of an id: rebuild from a fresh raw table to apply the change).
"""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import io
import json
import math
import os
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from journey_compiler.mapping import LoadedMapping, Mapping, MappingValidationFailed, Scalar, load_mapping

# rejection reasons (the keys of ImportReport.rejected)
MALFORMED_ROW = "malformed row"
MISSING_CONVERSATION = "missing case id"
MISSING_ACTIVITY = "missing activity"
MISSING_TIMESTAMP = "missing timestamp"
BAD_TIMESTAMP = "unparseable timestamp"
MISSING_EVENT_ID = "missing event id"
UNMAPPED_ACTIVITY = "unmapped activity"
BAD_VALUE = "unparseable metadata value"

XES_ATTRIBUTES = {"string", "date", "int", "float", "boolean", "id"}
XES_CHUNK = 1 << 16
TRUE_TEXTS = {"true", "1", "yes", "y", "t"}
FALSE_TEXTS = {"false", "0", "no", "n", "f"}
TYPE_NAMES = {"integer": "an integer", "number": "a number", "boolean": "true or false"}


class SourceError(Exception):
    """The source file cannot be read (missing, unknown format, bad encoding, broken XML)."""


@dataclass
class ImportReport:
    mapping_path: Path
    source_path: Path
    out_path: Path
    rejected_path: Path
    source_format: str
    rows_read: int = 0
    events_written: int = 0
    conversations: int = 0
    rejected: Counter = field(default_factory=Counter)
    unmapped_activities: Counter = field(default_factory=Counter)
    unmapped_kept_as: str | None = None
    events_by_type: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping": str(self.mapping_path),
            "source": str(self.source_path),
            "source_format": self.source_format,
            "out": str(self.out_path),
            "rejected_file": str(self.rejected_path),
            "rows_read": self.rows_read,
            "events_written": self.events_written,
            "rows_rejected": self.rows_rejected,
            "rejected_by_reason": dict(self.rejected.most_common()),
            "conversations": self.conversations,
            "unmapped_activities": dict(self.unmapped_activities.most_common()),
            "unmapped_kept_as": self.unmapped_kept_as,
            "events_by_type": dict(self.events_by_type.most_common()),
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


def rejected_path_for(out_path: Path | str) -> Path:
    """`events.jsonl` -> `events.rejected.jsonl` (also for .jsonl.gz, .ndjson, or no suffix)."""
    out_path = Path(out_path)
    name = out_path.name
    for suffix in (".jsonl.gz", ".ndjson.gz", ".json.gz", ".jsonl", ".ndjson", ".json"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return out_path.with_name(f"{name}.rejected.jsonl")


def source_format(source_path: Path, mapping: Mapping) -> str:
    if mapping.source.format != "auto":
        return mapping.source.format
    name = source_path.name.lower().removesuffix(".gz")
    if name.endswith((".xes", ".xml")):
        return "xes"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    raise SourceError(
        f"{source_path}: cannot tell the format from the name; use .csv or .xes (optionally .gz) "
        "or set 'source: {format: csv}' (or xes) in the mapping"
    )


def import_log(
    mapping_path: Path | str, source_path: Path | str, out_path: Path | str, project_dir: Path | str = "."
) -> ImportReport:
    """Convert `source_path` with the mapping into JSONL at `out_path`; returns what happened.

    Raises MappingValidationFailed (positioned errors: an invalid mapping, or CSV columns the
    mapping names that the header lacks) and SourceError (an unreadable source). Output files
    are written to temporary names and renamed at the end, so a failed import leaves none.
    """
    started = time.perf_counter()
    loaded = load_mapping(mapping_path, project_dir)
    source_path, out_path = Path(source_path), Path(out_path)
    if not source_path.is_file():
        raise SourceError(f"{source_path}: source file not found")
    fmt = source_format(source_path, loaded.mapping)
    report = ImportReport(
        loaded.path,
        source_path,
        out_path,
        rejected_path_for(out_path),
        fmt,
        unmapped_kept_as=loaded.mapping.unmapped.keep_as,
    )
    converter = _Converter(loaded.mapping)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temporary_out = out_path.with_name(out_path.name + ".partial")
    temporary_rejected = report.rejected_path.with_name(report.rejected_path.name + ".partial")
    conversations: set[str] = set()
    seen_columns: set[str] = set()
    try:
        with _open_output(temporary_out) as out, _open_output(temporary_rejected) as rejected_out:
            rows = _csv_rows(source_path, loaded) if fmt == "csv" else _xes_rows(source_path, seen_columns)
            for line, record, problem in rows:
                report.rows_read += 1
                if problem is None:
                    event, reason, detail = converter.convert(record)
                else:
                    event, reason, detail = None, MALFORMED_ROW, problem
                if event is not None:
                    out.write(json.dumps(event, ensure_ascii=False) + "\n")
                    report.events_written += 1
                    report.events_by_type[event["event_type"]] += 1
                    conversations.add(event["conversation_id"])
                else:
                    report.rejected[reason] += 1
                    rejected_out.write(
                        json.dumps(
                            {"line": line, "reason": reason, "detail": detail, "record": record},
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
        os.replace(temporary_out, out_path)
        os.replace(temporary_rejected, report.rejected_path)
    finally:
        for leftover in (temporary_out, temporary_rejected):
            leftover.unlink(missing_ok=True)
    report.unmapped_activities = converter.unmapped
    report.conversations = len(conversations)
    if report.rows_read != report.events_written + report.rows_rejected:  # pragma: no cover - invariant
        raise AssertionError(f"rows read {report.rows_read} != written {report.events_written} + rejected")
    report.warnings = _warnings(loaded, converter, fmt, seen_columns, source_path)
    report.seconds = time.perf_counter() - started
    return report


def _warnings(
    loaded: LoadedMapping, converter: _Converter, fmt: str, seen_columns: set[str], source_path: Path
) -> list[str]:
    """Mapping entries the source never used: likely typos, each with its position and a hint."""
    warnings = []
    unmapped = sorted(converter.unmapped)
    for name in loaded.mapping.activities:
        if name not in converter.activities_seen:
            hint = _closest(name, unmapped)
            fix = (
                f"did you mean '{hint}' ({converter.unmapped[hint]} unmapped rows)?"
                if hint
                else "check its spelling against the source's activities"
            )
            warnings.append(str(loaded.error(("activities", name), f"no row has activity '{name}'; {fix}")))
    if fmt == "xes" and converter.rows:
        for location, column in loaded.mapping.column_references():
            if column not in seen_columns:
                hint = _closest(column, sorted(seen_columns))
                fix = f"did you mean '{hint}'?" if hint else "XES trace attributes are named case:<key>"
                warnings.append(str(loaded.error(location, f"no event in {source_path} has '{column}'; {fix}")))
    return warnings


def _closest(name: str, candidates: list[str]) -> str | None:
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return match[0] if match else None


# ---------------------------------------------------------------- reading


def _open_binary(path: Path) -> gzip.GzipFile | io.BufferedReader:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _open_output(path: Path) -> IO[str]:
    if path.name.lower().removesuffix(".partial").endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8", newline="\n")
    return path.open("w", encoding="utf-8", newline="\n")


def _csv_rows(path: Path, loaded: LoadedMapping) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """(line, record, problem) per data row; the header is checked against the mapping first."""
    options = loaded.mapping.source
    handle = io.TextIOWrapper(_open_binary(path), encoding=options.encoding, newline="")
    with handle:
        reader = csv.DictReader(handle, delimiter=options.delimiter)
        try:
            header = reader.fieldnames or []
            line_before = reader.line_num
            errors = loaded.column_errors([str(name) for name in header], path.name)
            if errors:
                raise MappingValidationFailed(errors)
            for record in reader:
                number = line_before + 1
                line_before = reader.line_num
                if None in record:
                    extra = record.pop(None)
                    yield (
                        number,
                        {**record, "_extra_values": extra},
                        (f"the row has {len(header) + len(extra)} values but the header has {len(header)} columns"),
                    )
                    continue
                yield number, record, None
        except UnicodeDecodeError as problem:
            raise SourceError(
                f"{path}:{reader.line_num + 1}: not valid {options.encoding} ({problem.reason}); "
                "set 'source: {encoding: ...}' in the mapping (e.g. latin-1)"
            ) from None
        except csv.Error as problem:
            raise SourceError(f"{path}:{reader.line_num}: unreadable CSV ({problem})") from None


def _local(tag: str) -> str:
    """An XES element name without its XML namespace."""
    return tag.rsplit("}", 1)[-1]


def _xes_rows(path: Path, seen_columns: set[str]) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """(line, record, None) per XES event: its attributes by key, its trace's as `case:<key>`.

    ElementTree's pull parser (the one behind iterparse) is fed bounded chunks of at most one
    line, so each event knows the line of its start tag and no more than a chunk is held; each
    element is cleared when used. A trace's events are given out when the trace ends, so trace
    attributes written after its events still apply. Nested attributes (lists, containers,
    attributes of attributes) and <global> defaults are not read.
    """
    parser = ET.XMLPullParser(events=("start", "end"))
    stack: list[str] = []
    root: ET.Element | None = None
    trace_attributes: dict[str, str] = {}
    trace_events: list[tuple[int, dict[str, str]]] = []
    event_attributes: dict[str, str] = {}
    event_line = 0
    line = 1
    with _open_binary(path) as handle:
        try:
            while True:
                chunk = handle.readline(XES_CHUNK)
                if not chunk:
                    break
                parser.feed(chunk)
                for event in parser.read_events():
                    kind, element = event[0], event[-1]
                    if not isinstance(element, ET.Element):
                        continue  # "start" and "end" events always carry their element
                    tag = _local(element.tag)
                    if kind == "start":
                        if root is None:
                            root = element
                        parent = stack[-1] if stack else None
                        stack.append(tag)
                        if tag == "trace" and parent == "log":
                            trace_attributes, trace_events = {}, []
                        elif tag == "event" and parent in ("trace", "log"):
                            event_attributes, event_line = {}, line
                        continue
                    stack.pop()
                    parent = stack[-1] if stack else None
                    grandparent = stack[-2] if len(stack) > 1 else None
                    if tag in XES_ATTRIBUTES and "key" in element.attrib:
                        if parent == "event" and grandparent in ("trace", "log"):
                            event_attributes[element.attrib["key"]] = element.attrib.get("value", "")
                        elif parent == "trace" and grandparent == "log":
                            trace_attributes["case:" + element.attrib["key"]] = element.attrib.get("value", "")
                    elif tag == "event" and parent == "trace":
                        trace_events.append((event_line, event_attributes))
                    elif tag == "event" and parent == "log":  # not valid XES: an event outside any trace
                        seen_columns.update(event_attributes)
                        yield event_line, event_attributes, None
                        assert root is not None  # set at the first "start"
                        root.clear()
                    elif tag == "trace" and parent == "log":
                        seen_columns.update(trace_attributes)
                        for number, attributes in trace_events:
                            seen_columns.update(attributes)
                            yield number, {**trace_attributes, **attributes}, None
                        trace_events = []
                        assert root is not None  # set at the first "start"
                        root.clear()
                    if parent in ("event", "trace", "log") or tag in ("event", "trace"):
                        element.clear()
                if chunk.endswith(b"\n"):
                    line += 1
            parser.close()
        except ET.ParseError as problem:
            error_line, column = problem.position
            raise SourceError(f"{path}:{error_line}:{column}: not well-formed XES ({problem})") from None
        except (OSError, EOFError) as problem:
            raise SourceError(f"{path}: cannot read ({problem})") from None


# ---------------------------------------------------------------- converting


class _Converter:
    """Turns one source record into an event, or says why it cannot."""

    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.zone = mapping.timestamp.zone()
        self.unmapped: Counter = Counter()
        self.activities_seen: set[str] = set()
        self.rows = 0
        self._ordinals: dict[bytes, int] = {}
        self._fields = {name: getattr(mapping, name) for name in ("channel", "status", "agent_id", "team_id")}

    def convert(self, record: dict[str, Any]) -> tuple[dict[str, Any] | None, str, str]:
        self.rows += 1
        mapping = self.mapping
        case = _value(record, mapping.conversation_id.column)
        if case is None:
            return None, MISSING_CONVERSATION, f"'{mapping.conversation_id.column}' is empty"
        conversation_id = mapping.conversation_id.prefix + case
        activity = _value(record, mapping.activity)
        if activity is None:
            return None, MISSING_ACTIVITY, f"'{mapping.activity}' is empty"
        self.activities_seen.add(activity)
        stamp = _value(record, mapping.timestamp.column)
        if stamp is None:
            return None, MISSING_TIMESTAMP, f"'{mapping.timestamp.column}' is empty"
        occurred_at = self._time(stamp)
        if occurred_at is None:
            expected = f"format '{mapping.timestamp.format}'" if mapping.timestamp.format else "ISO 8601"
            return None, BAD_TIMESTAMP, f"'{stamp}' is not a timestamp in {expected}"
        event_id: str | None
        if mapping.event_id.generate:
            event_id = self._generated_id(conversation_id, activity, occurred_at)
        else:
            event_id = _value(record, mapping.event_id.column)
            if event_id is None:
                return None, MISSING_EVENT_ID, f"'{mapping.event_id.column}' is empty"

        target = mapping.activities.get(activity)
        if target is None:
            self.unmapped[activity] += 1
            if mapping.unmapped.rejects:
                return None, UNMAPPED_ACTIVITY, f"activity '{activity}' is not under 'activities' in the mapping"
            fixed_metadata: dict[str, Scalar] = {"activity": activity}
            event_type, fixed_status = mapping.unmapped.keep_as, None
        else:
            event_type, fixed_metadata, fixed_status = target.event_type, target.metadata, target.status

        metadata: dict[str, Any] = {}
        for key, spec in mapping.metadata.items():
            if spec.column is None:
                metadata[key] = spec.value
                continue
            text = _value(record, spec.column)
            if text is None:
                continue
            converted = _convert(text, spec.type)
            if converted is None:
                return (
                    None,
                    BAD_VALUE,
                    f"metadata '{key}': '{text}' from '{spec.column}' is not {TYPE_NAMES[spec.type]}",
                )
            metadata[key] = converted
        metadata.update(fixed_metadata)

        status = self._field(record, "status")
        return (
            {
                "event_id": event_id,
                "conversation_id": conversation_id,
                "event_type": event_type,
                "occurred_at": occurred_at,
                "channel": self._field(record, "channel"),
                "status": fixed_status if fixed_status is not None else status,
                "tags": self._tags(record),
                "agent_id": self._field(record, "agent_id"),
                "team_id": self._field(record, "team_id"),
                "metadata": metadata,
            },
            "",
            "",
        )

    def _time(self, text: str) -> str | None:
        """The value as ISO 8601 UTC (`...Z`), or None when it does not parse."""
        try:
            if self.mapping.timestamp.format:
                moment = datetime.strptime(text, self.mapping.timestamp.format)
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            # an ambiguous local time (clocks going back) is the first of the two moments; a time in
            # the gap of clocks going forward is read with the offset before the change (fold=0)
            moment = moment.replace(tzinfo=self.zone)
        try:
            utc = moment.astimezone(UTC)
        except (OverflowError, ValueError):
            return None
        return utc.replace(tzinfo=None).isoformat() + "Z"

    def _generated_id(self, conversation_id: str, activity: str, occurred_at: str) -> str:
        key = "\x1f".join((conversation_id, activity, occurred_at))
        digest = hashlib.sha1(key.encode("utf-8")).digest()
        ordinal = self._ordinals.get(digest, 0)
        self._ordinals[digest] = ordinal + 1
        return hashlib.sha1(f"{key}\x1f{ordinal}".encode()).hexdigest()

    def _field(self, record: dict[str, Any], name: str) -> str | None:
        spec = self._fields[name]
        if spec is None:
            return None
        if spec.column is None:
            return spec.value
        text = _value(record, spec.column)
        return None if text is None else spec.prefix + text

    def _tags(self, record: dict[str, Any]) -> list[str]:
        tags: list[str] = []
        for spec in self.mapping.tags:
            if spec.column is None:
                values = [spec.value]
            else:
                text = _value(record, spec.column)
                if text is None:
                    continue
                values = [part.strip() for part in text.split(spec.split)] if spec.split else [text]
            for value in values:
                if value and spec.prefix + value not in tags:
                    tags.append(spec.prefix + value)
        return tags


def _value(record: dict[str, Any], column: str | None) -> str | None:
    value = record.get(column) if column is not None else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _convert(text: str, kind: str) -> Any:
    """A column's text as the metadata type asked for; None when it is not one."""
    if kind == "string":
        return text
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    lowered = text.lower()
    if lowered in TRUE_TEXTS:
        return True
    if lowered in FALSE_TEXTS:
        return False
    return None

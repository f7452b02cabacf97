"""A plain-Python reference for journeys, written from the contract (docs/contract.md §1, §3, §4).

It walks one template and one conversation event by event with a small state machine,
exactly as contract §3.2 tells the story. It is meant to be obviously correct, not fast:
the dbt models are checked against it (tests/test_property.py), and it is checked against
hand-worked cases (tests/cases.py, tests/test_reference.py).

    journeys, milestones = derive_journeys(templates, events, as_of=None)

Events are dicts with event_id, conversation_id, event_type, occurred_at (naive UTC datetime,
aware datetime, or ISO text; text without an offset is UTC), channel, status, tags (list of
str or None), agent_id, team_id, metadata (dict or None), and optionally ingested_at (ISO text).
A row breaking a contract rule is left out (`rejection_reason` says why, in the staging's
order); a repeated event_id keeps its first valid copy by ingested_at (the load time when
missing), then list order (the first ingested).

Project decisions the contract leaves open (see docs/semantics.md):
- events after the as-of time are ignored entirely;
- the tags `equals` operator means the tag list is exactly `[value]`;
- numeric operators parse the text the way Python's float() does; NaN never matches.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from journey_compiler.template import AllOf, AnyOf, Condition, Template, Trigger

PROJECT_DIR = Path(__file__).resolve().parent.parent
CATALOG = PROJECT_DIR / "seeds" / "event_catalog.csv"

STRING_FIELDS = ("channel", "status", "agent_id", "team_id")
NEGATIVE_OF = {"not_equals": "equals", "not_contains": "contains", "not_in": "in", "is_not_set": "is_set"}

JOURNEY_COLUMNS = (
    "journey_id", "template_name", "template_version", "conversation_id", "journey_number",
    "start_event_id", "started_at", "status", "end_name", "end_event_id", "ended_at",
    "duration_seconds", "milestones_reached", "milestones_total", "channel", "team_id", "agent_id",
    "deadline_at",
)
MILESTONE_COLUMNS = (
    "journey_id", "template_name", "conversation_id", "milestone_name", "milestone_order",
    "reached", "reached_at", "event_id", "seconds_from_start", "in_order",
)


# ---------------------------------------------------------------- inputs


def catalog_event_types() -> set[str]:
    with CATALOG.open(newline="", encoding="utf-8") as handle:
        return {row["event_type"] for row in csv.DictReader(handle)}


def load_template(data: dict | Template) -> Template:
    """A template dict (the YAML's content) validated against the catalog seed."""
    if isinstance(data, Template):
        return data
    return Template.model_validate(data, context={"event_types": catalog_event_types()})


def to_utc_naive(value: datetime | str) -> datetime:
    """A timestamp as naive UTC; text without an offset is UTC (contract §1)."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


@dataclass(frozen=True)
class Event:
    event_id: str
    conversation_id: str
    event_type: str
    occurred_at: datetime
    channel: Any
    status: Any
    tags: Any
    agent_id: Any
    team_id: Any
    metadata: Any

    @property
    def position(self) -> tuple[datetime, str]:
        """The contract's order within a conversation: (occurred_at, event_id)."""
        return (self.occurred_at, self.event_id)


# ---------------------------------------------------------------- rejected rows (contract §1.3)

FUTURE_TOLERANCE = timedelta(minutes=60)  # dbt_project.yml var journeys_future_tolerance_minutes
SPECIAL_TIMESTAMP = re.compile(r"(?i)^[+-]?(infinity|epoch)$")
BC_TIMESTAMP = re.compile(r"(?i)(^|[^a-z])bc([^a-z]|$)")
TIMESTAMP_YEAR = re.compile(r"^([+-]?)([0-9]+)-")
TIMESTAMP_OFFSET = re.compile(r"[0-9]:[0-9]{2}(:[0-9]{2})?([.,][0-9]*)? ?[+-]([0-9]{1,2})(:?([0-9]{2}))?(:?([0-9]{2}))?$")


def timestamp_problem(column: str, value: Any) -> tuple[str | None, datetime | None]:
    """(reason, UTC time) for a timestamp value: reason None for a real instant (or a missing
    value, time None), '<column> is not a real instant' for infinity, epoch, an offset beyond
    ±18:00, a year outside 1900-9999 (as written or in UTC), 'unparseable <column>' otherwise."""
    if isinstance(value, datetime):
        return _in_years(column, to_utc_naive(value))
    text = str(value).strip() if value is not None else ""
    if not text:
        return None, None
    not_real = f"{column} is not a real instant"
    year = TIMESTAMP_YEAR.search(text)
    offset = TIMESTAMP_OFFSET.search(text)
    if SPECIAL_TIMESTAMP.search(text) or BC_TIMESTAMP.search(text):
        return not_real, None
    if year and (year.group(1) or len(year.group(2)) != 4 or year.group(2) < "1900"):
        return not_real, None
    if offset:
        hours, minutes, seconds = (int(offset.group(n) or 0) for n in (3, 5, 7))
        if hours * 3600 + minutes * 60 + seconds > 18 * 3600 or minutes > 59 or seconds > 59:
            return not_real, None
    try:
        return _in_years(column, to_utc_naive(text))
    except ValueError:
        return f"unparseable {column}", None


def _in_years(column: str, moment: datetime) -> tuple[str | None, datetime | None]:
    if not 1900 <= moment.year <= 9999:
        return f"{column} is not a real instant", None
    return None, moment


def rejection_reason(raw: dict, loaded_at: datetime | None = None) -> str | None:
    """The first contract rule the row breaks, as staging names it (docs/semantics.md), or None.
    `loaded_at` (naive UTC, default now) stands in for a missing or unusable ingested_at."""
    def missing(name: str) -> bool:
        value = raw.get(name)
        return value is None or (isinstance(value, str) and not value.strip())

    for name in ("event_id", "conversation_id", "event_type", "occurred_at"):
        if missing(name):
            return f"missing {name}"
    reason, occurred_at = timestamp_problem("occurred_at", raw["occurred_at"])
    if reason:
        return reason
    reason, ingested_at = timestamp_problem("ingested_at", raw.get("ingested_at"))
    if reason:
        return reason
    if str(raw["event_type"]).strip() not in catalog_event_types():
        return "unknown event_type"
    assert occurred_at is not None
    if occurred_at - (ingested_at or loaded_at or _now()) > FUTURE_TOLERANCE:
        return "occurred_at in the future"
    metadata, tags = (_json_value(raw.get(name)) for name in ("metadata", "tags"))
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata is not a JSON object"
    if tags is not None and not (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)):
        return "tags is not a JSON list of strings"
    return None


def _json_value(value: Any) -> Any:
    """A JSON column's value: text parsed (blank is missing, unreadable text a string), else as is."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def accepted_events(events: list[dict], loaded_at: datetime | None = None) -> list[Event]:
    """Typed events: rows breaking a contract rule left out, then the first ingested copy of
    each event_id kept (contract §1.3, §1.4): by ingested_at, the load time standing in."""
    loaded_at = loaded_at or _now()
    valid = []
    for index, raw in enumerate(events):
        if rejection_reason(raw, loaded_at) is None:
            ingested_at = timestamp_problem("ingested_at", raw.get("ingested_at"))[1]
            valid.append((ingested_at or loaded_at, index, raw))
    seen: set[str] = set()
    result = []
    for _, _, raw in sorted(valid, key=lambda item: item[:2]):
        if raw["event_id"] in seen:
            continue
        seen.add(raw["event_id"])
        tags = raw.get("tags")
        if isinstance(tags, str):
            tags = json.loads(tags) if tags.strip() else None
        metadata = raw.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata) if metadata.strip() else None
        result.append(Event(
            event_id=raw["event_id"],
            conversation_id=raw["conversation_id"],
            event_type=raw["event_type"],
            occurred_at=to_utc_naive(raw["occurred_at"]),
            channel=raw.get("channel"),
            status=raw.get("status"),
            tags=tags,
            agent_id=raw.get("agent_id"),
            team_id=raw.get("team_id"),
            metadata=metadata,
        ))
    return result


# ---------------------------------------------------------------- conditions (contract §3.1)


def is_missing(value: Any) -> bool:
    """Null, absent, an empty string or an empty list."""
    return value is None or value == "" or value == []


def json_text(value: Any) -> str:
    """A JSON value as text: strings as they are, anything else the way JSON writes it."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def field_value(event: Event, name: str) -> Any:
    """The field's value: a string, a list of tags, or the metadata text; None when missing."""
    if name in STRING_FIELDS:
        value = getattr(event, name)
    elif name == "tags":
        value = event.tags
    else:
        value = event.metadata
        for key in name.split(".")[1:]:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
    if is_missing(value):
        return None
    if name.startswith("metadata."):
        return json_text(value)
    return value


def as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def positive_holds(op: str, value: Any, field_name: str, event: Event) -> bool:
    actual = field_value(event, field_name)
    if actual is None:
        return False  # a missing field makes every positive operator false
    if op == "is_set":
        return True
    texts = [json_text(item) for item in (value if isinstance(value, list) else [value])]
    if field_name == "tags":
        if op == "equals":
            return actual == [texts[0]]
        if op == "contains":
            return texts[0] in actual
        if op == "starts_with":
            return any(tag.startswith(texts[0]) for tag in actual)
        if op == "in":
            return any(tag in texts for tag in actual)
        raise ValueError(f"operator {op} is not valid for tags")
    if op == "equals":
        return actual == texts[0]
    if op == "contains":
        return texts[0] in actual
    if op == "starts_with":
        return actual.startswith(texts[0])
    if op == "in":
        return actual in texts
    if op in ("gt", "gte", "lt", "lte"):
        number = as_number(actual)
        if number is None:
            return False
        return {
            "gt": number > value,
            "gte": number >= value,
            "lt": number < value,
            "lte": number <= value,
        }[op]
    raise ValueError(f"unknown operator {op}")


def holds(node: Any, event: Event) -> bool:
    if isinstance(node, AnyOf):
        return any(holds(child, event) for child in node.any)
    if isinstance(node, AllOf):
        return all(holds(child, event) for child in node.all)
    assert isinstance(node, Condition)
    if node.op in NEGATIVE_OF:
        return not positive_holds(NEGATIVE_OF[node.op], node.value, node.field, event)
    return positive_holds(node.op, node.value, node.field, event)


def matches(trigger: Trigger, event: Event) -> bool:
    return event.event_type == trigger.event and all(holds(node, event) for node in trigger.conditions)


# ---------------------------------------------------------------- templates over time (3.4)


def enabled_at(template: Template, t: datetime) -> bool:
    """The last toggle at or before t says; before the first toggle, the opposite of it."""
    if not template.toggles:
        return template.enabled
    state = not template.toggles[0].enabled
    for toggle in template.toggles:
        if to_utc_naive(toggle.at) <= t:
            state = toggle.enabled
    return state


def timeout(template: Template) -> timedelta | None:
    if template.timeout_hours is None:
        return None
    return timedelta(microseconds=round(template.timeout_hours * 3600 * 1_000_000))


# ---------------------------------------------------------------- the walk (3.2, 3.3)


@dataclass
class Journey:
    start: Event
    deadline: datetime | None
    reached: dict[int, Event] = field(default_factory=dict)  # milestone index -> first event
    status: str = "open"
    end_name: str | None = None
    end_event: Event | None = None
    ended_at: datetime | None = None


def walk(template: Template, events: list[Event], as_of: datetime) -> list[Journey]:
    """The journeys of one template in one conversation; `events` in contract order."""
    journeys: list[Journey] = []
    current: Journey | None = None
    for event in events:
        # A deadline passed before this event: the open journey timed out (nothing after counts).
        if current is not None and current.deadline is not None and event.occurred_at > current.deadline:
            current.status, current.ended_at = "timed_out", current.deadline
            current = None

        if current is not None:
            # Strictly after the start: milestones first, then the end (3.2.2, 3.2.3).
            for index, milestone in enumerate(template.milestones):
                if index not in current.reached and matches(milestone, event):
                    current.reached[index] = event
            for end in template.end:
                if matches(end, event):
                    current.status, current.end_name = "completed", end.name
                    current.end_event, current.ended_at = event, event.occurred_at
                    current = None
                    break
            # A start-matching event while open is ignored; the closing event never reopens.
            continue

        if (
            matches(template.start, event)
            and enabled_at(template, event.occurred_at)
            and (template.reentry or not journeys)
        ):
            limit = timeout(template)
            current = Journey(start=event, deadline=event.occurred_at + limit if limit is not None else None)
            journeys.append(current)

    # At the as-of time: timed out once the deadline is before it, else still open (3.2.5).
    if current is not None and current.deadline is not None and current.deadline < as_of:
        current.status, current.ended_at = "timed_out", current.deadline
    return journeys


# ---------------------------------------------------------------- output rows (4)


def journey_id(template_name: str, start_event_id: str) -> str:
    return hashlib.md5(f"{template_name}|{start_event_id}".encode("utf-8")).hexdigest()


def present(value: Any) -> Any:
    return None if is_missing(value) else value


def journey_rows(template: Template, conversation_id: str, journeys: list[Journey]) -> tuple[list[dict], list[dict]]:
    version = template.version()
    journey_table, milestone_table = [], []
    for number, journey in enumerate(journeys, start=1):
        start = journey.start
        jid = journey_id(template.name, start.event_id)
        journey_table.append({
            "journey_id": jid,
            "template_name": template.name,
            "template_version": version,
            "conversation_id": conversation_id,
            "journey_number": number,
            "start_event_id": start.event_id,
            "started_at": start.occurred_at,
            "status": journey.status,
            "end_name": journey.end_name,
            "end_event_id": journey.end_event.event_id if journey.end_event else None,
            "ended_at": journey.ended_at,
            "duration_seconds": (
                (journey.ended_at - start.occurred_at).total_seconds() if journey.ended_at is not None else None
            ),
            "milestones_reached": len(journey.reached),
            "milestones_total": len(template.milestones),
            "channel": present(start.channel),
            "team_id": present(start.team_id),
            "agent_id": present(start.agent_id),
            "deadline_at": journey.deadline,
        })
        for index, milestone in enumerate(template.milestones):
            hit = journey.reached.get(index)
            if hit is None:
                in_order = None
            else:
                in_order = all(
                    earlier in journey.reached and journey.reached[earlier].position <= hit.position
                    for earlier in range(index)
                )
            milestone_table.append({
                "journey_id": jid,
                "template_name": template.name,
                "conversation_id": conversation_id,
                "milestone_name": milestone.name,
                "milestone_order": index + 1,
                "reached": hit is not None,
                "reached_at": hit.occurred_at if hit else None,
                "event_id": hit.event_id if hit else None,
                "seconds_from_start": (hit.occurred_at - start.occurred_at).total_seconds() if hit else None,
                "in_order": in_order,
            })
    return journey_table, milestone_table


def derive_journeys(
    templates: list[Template | dict], events: list[dict], as_of: datetime | str | None = None
) -> tuple[list[dict], list[dict]]:
    """Rows of `journeys` (plus deadline_at) and `journey_milestones` for these events."""
    parsed = [load_template(template) for template in templates]
    accepted = accepted_events(events)
    if as_of is None:
        if not accepted:
            return [], []
        as_of = max(event.occurred_at for event in accepted)
    else:
        as_of = to_utc_naive(as_of)
    # Project decision: events after the as-of time do not exist yet.
    accepted = [event for event in accepted if event.occurred_at <= as_of]

    conversations: dict[str, list[Event]] = {}
    for event in accepted:
        conversations.setdefault(event.conversation_id, []).append(event)

    journey_table: list[dict] = []
    milestone_table: list[dict] = []
    for template in parsed:
        for conversation_id in sorted(conversations):
            ordered = sorted(conversations[conversation_id], key=lambda event: event.position)
            rows, milestone_rows = journey_rows(template, conversation_id, walk(template, ordered, as_of))
            journey_table.extend(rows)
            milestone_table.extend(milestone_rows)
    return journey_table, milestone_table

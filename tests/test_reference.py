"""The plain-Python reference against the hand-worked cases (pure Python, no dbt)."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from tests.cases import (
    CASES,
    OPERATORS_ON_MISSING,
    OPERATORS_ON_VALUES,
    T,
    Case,
    J,
    compare_case,
    cond,
    ev,
    still_open,
    template,
    trigger,
)
from tests.reference import JOURNEY_COLUMNS, MILESTONE_COLUMNS, derive_journeys, enabled_at, load_template


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hand_worked_case(case: Case) -> None:
    journeys, milestones = derive_journeys(case.templates, case.events, case.as_of)
    assert compare_case(case, journeys, milestones) == []


def _row_id(row) -> str:
    field_name, op, value, fields, holds = row
    return f"{field_name}-{op}-{value!r}-{fields!r}-{holds}"


@pytest.mark.parametrize("row", OPERATORS_ON_VALUES + OPERATORS_ON_MISSING,
                         ids=[_row_id(row) for row in OPERATORS_ON_VALUES + OPERATORS_ON_MISSING])
def test_operator_alone(row) -> None:
    """Each operator row on its own: one template, one event, a journey iff the condition holds."""
    field_name, op, value, fields, holds = row
    templates = [template("t", start=trigger("message.received", cond(field_name, op, value)))]
    journeys, _ = derive_journeys(templates, [ev("e", "message.received", 0, **fields)])
    assert [j["start_event_id"] for j in journeys] == (["e"] if holds else [])


def test_every_operator_is_covered_on_every_field_kind() -> None:
    kinds = {"channel": "string", "status": "string", "agent_id": "string", "team_id": "string", "tags": "tags"}
    seen = {(kinds.get(f, "metadata"), op) for f, op, *_ in OPERATORS_ON_VALUES + OPERATORS_ON_MISSING}
    ops = ["equals", "not_equals", "contains", "not_contains", "starts_with", "in", "not_in", "is_set", "is_not_set"]
    numeric = ["gt", "gte", "lt", "lte"]
    wanted = {(kind, op) for kind in ("string", "tags", "metadata") for op in ops}
    wanted |= {("metadata", op) for op in numeric}
    assert wanted <= seen
    # the values table exercises every operator with a present value too
    seen_present = {(kinds.get(f, "metadata"), op) for f, op, *_ in OPERATORS_ON_VALUES}
    assert wanted <= seen_present


def test_row_columns_are_exactly_the_contract_columns() -> None:
    templates = [template("t", timeout_hours=2, milestones=[{"name": "m", "event": "conversation.tagged"}])]
    journeys, milestones = derive_journeys(templates, [ev("e", "message.received", 0)])
    assert set(journeys[0]) == set(JOURNEY_COLUMNS)
    assert set(milestones[0]) == set(MILESTONE_COLUMNS)
    assert journeys[0]["deadline_at"] == T(120)
    assert journeys[0]["milestones_total"] == 1


def test_journey_id_is_md5_of_name_and_start_event_and_version_is_the_templates() -> None:
    data = template("returns")
    journeys, _ = derive_journeys([data], [ev("e'1 日本", "message.received", 0)])
    assert journeys[0]["journey_id"] == hashlib.md5("returns|e'1 日本".encode()).hexdigest()
    assert journeys[0]["template_version"] == load_template(data).version()


def test_no_timeout_means_no_deadline_and_stays_open() -> None:
    journeys, _ = derive_journeys([template("t")], [ev("e", "message.received", 0), ev("x", "call.started", 100000)])
    assert journeys[0]["deadline_at"] is None and journeys[0]["status"] == "open"


def test_no_events_no_rows() -> None:
    assert derive_journeys([template("t")], []) == ([], [])


def test_aware_datetimes_and_text_are_the_same_instant() -> None:
    from datetime import timedelta, timezone

    plus_two = timezone(timedelta(hours=2))
    events = [
        ev("a", "message.received", datetime(2026, 3, 1, 2, 0, tzinfo=plus_two)),
        ev("b", "conversation.marked_done", datetime(2026, 3, 1, 0, 5)),
    ]
    journeys, _ = derive_journeys([template("t")], events)
    assert journeys[0]["started_at"] == T(0) and journeys[0]["ended_at"] == T(5)


def test_enabled_at_agrees_with_template_enabled_intervals() -> None:
    toggles = [
        {"at": "2026-03-01T00:10:00Z", "enabled": False},
        {"at": "2026-03-01T00:20:00Z", "enabled": False},
        {"at": "2026-03-01T00:30:00Z", "enabled": True},
    ]
    parsed = load_template(template("t", enabled=True, toggles=toggles))
    intervals = [(a and a.replace(tzinfo=None), b and b.replace(tzinfo=None)) for a, b in parsed.enabled_intervals()]
    for minute in range(0, 41, 5):
        inside = any((a is None or a <= T(minute)) and (b is None or T(minute) < b) for a, b in intervals)
        assert enabled_at(parsed, T(minute)) == inside, minute


def test_compare_case_reports_differences() -> None:
    case = Case("c", [template("t")], [ev("e", "message.received", 0)], None,
                [J("t", "c1", 1, **still_open("e"), channel="email")], [])
    journeys, milestones = derive_journeys(case.templates, case.events)
    problems = compare_case(case, journeys, milestones)
    assert len(problems) == 1 and "channel" in problems[0]
    assert compare_case(Case("c", [], [], None, [], []), journeys, milestones)

"""The hand-worked cases of tests/cases.py, through the real dbt build, all in one build.

Each case's templates get a case suffix and its ids a case prefix (a common prefix keeps the
order of event ids within a case). Each case's times are shifted so that every case's
as-of time (its own latest event, or its explicit as-of) lands on the same instant, which
then is the one as-of time of the build. Rows are renamed and shifted back before they are
compared with the case's expectations.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timedelta

from tests.cases import CASES, Case, compare_case
from tests.harness import build
from tests.reference import to_utc_naive

# Before the load: the events have no ingested_at, so the load time stands in, and an event
# more than an hour after it is rejected as 'occurred_at in the future' (contract §1.3).
AS_OF = datetime(2026, 1, 1)
ID_COLUMNS = ("conversation_id", "start_event_id", "end_event_id", "event_id")
TIME_COLUMNS = ("started_at", "ended_at", "deadline_at", "reached_at")


def _prefix(index: int) -> str:
    return f"k{index:03d}~"


def _suffix(index: int) -> str:
    return f"__k{index:03d}"


def _shift(case: Case) -> timedelta:
    """How far to move the case so that its as-of time becomes AS_OF."""
    as_of = to_utc_naive(case.as_of) if case.as_of else max(to_utc_naive(e["occurred_at"]) for e in case.events)
    return AS_OF - as_of


def _merge() -> tuple[list[dict], list[dict]]:
    templates, events = [], []
    for index, case in enumerate(CASES):
        shift = _shift(case)
        for template in case.templates:
            renamed = copy.deepcopy(template)
            renamed["name"] = template["name"] + _suffix(index)
            for toggle in renamed.get("toggles") or []:
                toggle["at"] = (to_utc_naive(toggle["at"]) + shift).isoformat()
            templates.append(renamed)
        for event in case.events:
            renamed = dict(event)
            for column in ("conversation_id", "event_id"):
                if renamed.get(column) not in (None, ""):
                    renamed[column] = _prefix(index) + str(renamed[column])
            renamed["occurred_at"] = (to_utc_naive(event["occurred_at"]) + shift).isoformat()
            events.append(renamed)
    return templates, events


def _as_written(index: int, row: dict, start_event_id: str) -> dict:
    """A dbt row with the case's own template name, ids and times."""
    shift = _shift(CASES[index])
    row = dict(row)
    row["template_name"] = row["template_name"].removesuffix(_suffix(index))
    for column in ID_COLUMNS:
        if isinstance(row.get(column), str):
            row[column] = row[column].removeprefix(_prefix(index))
    for column in TIME_COLUMNS:
        if isinstance(row.get(column), datetime):
            row[column] = row[column] - shift
    start = start_event_id.removeprefix(_prefix(index))
    row["journey_id"] = hashlib.md5(f"{row['template_name']}|{start}".encode()).hexdigest()
    return row


def test_hand_worked_cases_through_dbt(tmp_path):
    templates, events = _merge()
    journeys, milestones = build(templates, events, AS_OF.strftime("%Y-%m-%d %H:%M:%S"), tmp_path)
    starts = {j["journey_id"]: j["start_event_id"] for j in journeys}
    failures = {}
    for index, case in enumerate(CASES):
        # a case's templates see every case's conversations: keep its own pairs only
        def own(row: dict) -> bool:
            return row["template_name"].endswith(_suffix(index)) and row["conversation_id"].startswith(_prefix(index))

        own_journeys = [_as_written(index, j, j["start_event_id"]) for j in journeys if own(j)]
        own_milestones = [_as_written(index, m, starts[m["journey_id"]]) for m in milestones if own(m)]
        problems = compare_case(case, own_journeys, own_milestones)
        if problems:
            failures[case.name] = problems
    assert failures == {}
    assert len({j["template_name"] for j in journeys}) >= len(CASES)

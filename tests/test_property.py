"""The dbt build agrees with the plain-Python reference on random templates and events.

Each example is one real dbt build (tests/harness.py) holding many random templates and
conversations, so a run covers hundreds of template x conversation walks. Both tables must
equal the reference row for row: floats within 1e-6, timestamps exactly.

JOURNEYS_PROPERTY_EXAMPLES sets the number of builds (default 15). Shrinking a dbt build is
slow, so it is off unless JOURNEYS_PROPERTY_SHRINK=1; on a failure the message names the
first disagreeing template and conversation with just their events, which is usually a
small enough example to read.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.cases import _same
from tests.harness import build
from tests.reference import JOURNEY_COLUMNS, MILESTONE_COLUMNS, derive_journeys, load_template, to_utc_naive
from tests.strategies import JINJA_TAGS, JINJA_TEXTS, batches

EXAMPLES = int(os.environ.get("JOURNEYS_PROPERTY_EXAMPLES", "15"))
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
if os.environ.get("JOURNEYS_PROPERTY_SHRINK") == "1":
    PHASES.append(Phase.shrink)


def _key(row: dict, columns: tuple[str, ...]) -> tuple:
    return tuple(row[c] for c in columns)


def _differences(expected: list[dict], actual: list[dict], key: tuple[str, ...],
                 columns: tuple[str, ...]) -> list[tuple[tuple, str]]:
    """(row key, what differs) for every row present on one side only or differing in a column."""
    problems = []
    wanted = {_key(row, key): row for row in expected}
    got = {_key(row, key): row for row in actual}
    if len(got) != len(actual):
        problems.append(((), f"duplicate keys {key} in the dbt rows"))
    for k in sorted(set(wanted) - set(got), key=repr):
        problems.append((k, f"missing from dbt: {wanted[k]}"))
    for k in sorted(set(got) - set(wanted), key=repr):
        problems.append((k, f"not in the reference: {got[k]}"))
    for k in sorted(set(wanted) & set(got), key=repr):
        for column in columns:
            value, other = wanted[k][column], got[k].get(column)
            if isinstance(value, datetime) and isinstance(other, datetime):
                same = value == (to_utc_naive(other) if other.tzinfo else other)
            else:
                same = _same(value, other)
            if not same:
                problems.append((k, f"{column}: reference {value!r}, dbt {other!r}"))
    return problems


def _explain(batch: dict, journeys: list[dict], problems: list[tuple[tuple, str]], table: str) -> str:
    """The first disagreement with its template and its conversation's events only."""
    row_key, first = problems[0]
    row = next((r for r in journeys if r["journey_id"] == (row_key[0] if row_key else None)), None)
    lines = [f"{len(problems)} difference(s) in {table}; first: {first}"]
    lines += [f"  {what}" for _, what in problems[1:10]]
    if row is not None:
        template = next(t for t in batch["templates"] if t["name"] == row["template_name"])
        events = [e for e in batch["events"] if e["conversation_id"] == row["conversation_id"]]
        lines.append("template: " + json.dumps(template, ensure_ascii=False))
        lines.append(f"as_of: {batch['as_of']!r}")
        lines.append("events of the conversation (list order = ingestion order):")
        lines += ["  " + json.dumps(e, ensure_ascii=False) for e in events]
    return "\n".join(lines)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(batch=batches())
def test_dbt_build_equals_reference(batch: dict[str, Any]) -> None:
    _build_equals_reference(batch)


@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("JOURNEYS_PROPERTY_JINJA_EXAMPLES", "2")),
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(batch=batches(texts=JINJA_TEXTS, tags=JINJA_TAGS))
def test_jinja_text_values_equal_reference(batch: dict[str, Any]) -> None:
    """Values, titles and descriptions full of `{{`, `{%`, `{#`, raw/endraw, quotes and
    non-ASCII are compared as the text they are (issue 13.1): dbt renders none of it."""
    _build_equals_reference(batch)


def _build_equals_reference(batch: dict[str, Any]) -> None:
    for template in batch["templates"]:
        load_template(template)  # every generated template is valid
    expected_journeys, expected_milestones = derive_journeys(batch["templates"], batch["events"], batch["as_of"])
    with tempfile.TemporaryDirectory() as tmp:
        journeys, milestones = build(batch["templates"], batch["events"], batch["as_of"], tmp)

    problems = _differences(expected_journeys, journeys, ("journey_id",), JOURNEY_COLUMNS)
    assert not problems, _explain(batch, expected_journeys + journeys, problems, "journeys")
    problems = _differences(expected_milestones, milestones, ("journey_id", "milestone_order"), MILESTONE_COLUMNS)
    assert not problems, _explain(batch, expected_journeys + journeys, problems, "journey_milestones")


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(batch=batches())
def test_generated_batches_are_valid_and_reference_rows_are_consistent(batch: dict[str, Any]) -> None:
    """No dbt: every generated template validates, and the reference's rows hang together."""
    names = [template["name"] for template in batch["templates"]]
    assert len(set(names)) == len(names)
    parsed = {name: load_template(template) for name, template in zip(names, batch["templates"])}
    journeys, milestones = derive_journeys(batch["templates"], batch["events"], batch["as_of"])
    by_pair: dict[tuple, list[dict]] = {}
    for row in journeys:
        by_pair.setdefault((row["template_name"], row["conversation_id"]), []).append(row)
        assert (row["ended_at"] is None) == (row["status"] == "open")
        assert (row["end_event_id"] is None) == (row["status"] != "completed")
        if row["deadline_at"] is not None and row["ended_at"] is not None:
            assert row["ended_at"] <= row["deadline_at"]
    for (name, _), rows in by_pair.items():
        assert [r["journey_number"] for r in rows] == list(range(1, len(rows) + 1))
        if not parsed[name].reentry:
            assert len(rows) == 1
        for earlier, later in zip(rows, rows[1:]):  # journeys never overlap
            assert earlier["ended_at"] is not None
            assert earlier["ended_at"] <= later["started_at"]
    assert len(milestones) == sum(row["milestones_total"] for row in journeys)
    ends = {row["journey_id"]: row for row in journeys}
    for row in milestones:
        journey = ends[row["journey_id"]]
        if row["reached"]:
            assert journey["started_at"] <= row["reached_at"]
            assert journey["ended_at"] is None or row["reached_at"] <= journey["ended_at"]

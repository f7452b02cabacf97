"""Template text is data: Jinja-looking text in any template field reaches the warehouse as the
literal text and never runs (issue 13.1). One dbt build holds every case.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import jinja2
import pytest
from sqlglot import exp

from journey_compiler import compiler, conditions, inert
from journey_compiler.template import Condition, Template
from tests.harness import build, read_table
from tests.reference import JOURNEY_COLUMNS, MILESTONE_COLUMNS, derive_journeys, load_template
from tests.test_property import _differences

SEVEN = "{{ 7*7 }}"
PWN = '{{ run_query("create table main.pwned as select 1") }}'
PWN_BLOCK = "{%- do run_query('create table main.pwned_block as select 1') -%}"
HOME = '{{ env_var("HOME") }}'
RAW = "{% raw %}"
ENDRAW = "{% endraw %}"
COMMENT = "{# not a comment"
MIXED = "it's \"q\" back\\slash é日本 🙂 { }} %} #} {{"

TEMPLATE = {
    "name": "jinja_text",
    "title": f"{RAW} Title {SEVEN} {COMMENT}",
    "description": f"{PWN} {HOME} {ENDRAW} {PWN_BLOCK} {MIXED}",
    "timeout_hours": 24,
    "start": {"event": "message.received", "conditions": [{"field": "channel", "op": "equals", "value": SEVEN}]},
    "milestones": [
        {"name": "tagged", "event": "conversation.tagged", "conditions": [
            {"field": "tags", "op": "contains", "value": RAW},
            {"field": "status", "op": "starts_with", "value": "{{"},
            {"field": "metadata.k", "op": "in", "value": [HOME, COMMENT]},
            {"field": "agent_id", "op": "not_equals", "value": PWN},
            {"field": "team_id", "op": "not_contains", "value": "{%"},
            {"field": "tags", "op": "not_in", "value": [ENDRAW, PWN_BLOCK]},
            {"any": [{"field": "channel", "op": "contains", "value": "7*7 }"},
                     {"field": "metadata.k", "op": "equals", "value": MIXED}]},
        ]},
    ],
    "end": [
        {"name": "replied", "event": "message.sent", "conditions": [
            {"field": "metadata.k", "op": "equals", "value": PWN},
            {"field": "tags", "op": "equals", "value": MIXED},
            {"field": "tags", "op": "in", "value": [MIXED, SEVEN]},
            {"field": "status", "op": "not_in", "value": [SEVEN, RAW]},
        ]},
    ],
}


def _event(event_id: str, conversation: str, event_type: str, minute: int, **fields) -> dict:
    return {"event_id": event_id, "conversation_id": conversation, "event_type": event_type,
            "occurred_at": f"2026-09-01T10:{minute:02d}:00Z", **fields}


# `literal` holds the template's text in its events and completes the journey; `rendered`
# holds what dbt would make of it ('49', '/root', ...) and must match nothing.
EVENTS = [
    _event("l1", "literal", "message.received", 0, channel=SEVEN),
    _event("l2", "literal", "conversation.tagged", 5, channel=SEVEN, status="{{ open }}", tags=[RAW, "x"],
           metadata={"k": HOME}, agent_id="a1", team_id="t1"),
    _event("l3", "literal", "message.sent", 9, channel=SEVEN, tags=[MIXED], metadata={"k": PWN}),
    _event("r1", "rendered", "message.received", 0, channel="49"),
    _event("r2", "rendered", "message.received", 1, channel=""),
    _event("r3", "rendered", "conversation.tagged", 5, channel="49", status="{{ open }}", tags=[""],
           metadata={"k": os.environ.get("HOME", "/root")}),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("jinja_text")
    build([TEMPLATE], EVENTS, None, tmp, with_tests=True)
    return tmp / "journeys.duckdb"


def test_jinja_text_is_stored_literally(built):
    (row,) = read_table(built, "journey_templates")
    assert row["title"] == TEMPLATE["title"]
    assert row["description"] == TEMPLATE["description"]
    steps = {(s["step_kind"], s["step_name"]): s for s in read_table(built, "journey_template_steps")}
    assert set(steps) == {("start", "start"), ("milestone", "tagged"), ("end", "replied")}


def test_jinja_values_match_literally_and_agree_with_the_reference(built):
    journeys = read_table(built, "journeys")
    assert [(j["conversation_id"], j["status"], j["milestones_reached"]) for j in journeys] == [("literal", "completed", 1)]
    expected_journeys, expected_milestones = derive_journeys([TEMPLATE], EVENTS, None)
    assert not _differences(expected_journeys, journeys, ("journey_id",), JOURNEY_COLUMNS)
    assert not _differences(expected_milestones, read_table(built, "journey_milestones"),
                            ("journey_id", "milestone_order"), MILESTONE_COLUMNS)


def test_template_text_runs_nothing(built):
    with duckdb.connect(str(built)) as connection:
        tables = {name for (name,) in connection.execute("select table_name from information_schema.tables").fetchall()}
    assert not {"pwned", "pwned_block"} & tables
    home = os.environ.get("HOME", "/root")
    for table in ("journey_templates", "journey_template_steps", "journeys"):
        assert not any(value in (home, "49") for row in read_table(built, table) for value in row.values())


def test_generated_files_hold_no_template_jinja():
    files = compiler.generate([load_template(TEMPLATE)])
    for generated in files:
        text = generated.text
        for snippet in (SEVEN, PWN, HOME, RAW, ENDRAW, COMMENT, "{{ open"):
            assert snippet not in text, (generated.path, snippet)
        jinja2.Environment().parse(text)  # the frame alone: valid Jinja


def test_a_leak_of_template_text_stops_the_compiler(monkeypatch):
    """The last guard: if a code path writes template text raw, compile fails, naming the file."""
    monkeypatch.setattr(conditions, "text_literal", exp.Literal.string)
    with pytest.raises(compiler.ForeignJinja, match=r"int_trigger_matches__jinja_text\.sql:\d+: .*Jinja the compiler does not write"):
        compiler.generate([load_template(TEMPLATE)])


def test_an_unterminated_raw_block_is_foreign():
    assert inert.foreign_jinja("select 1 -- {% raw %}", []) == (1, RAW)
    assert inert.foreign_jinja("a\n{# x", [])[0] == 2
    assert inert.foreign_jinja("{{ ref('a') }}", ["{{ ref('a') }}"]) is None


@pytest.mark.parametrize("text", [SEVEN, "{", "{{", "a{", "{a", "x{{y{%z{#", MIXED, "", "plain"])
def test_text_literal_round_trips_on_duckdb(text):
    literal = inert.text_literal(text)
    for dialect in ("duckdb", "spark"):
        assert "{" not in literal.sql(dialect=dialect)
    assert duckdb.connect().execute(f"select {literal.sql(dialect='duckdb')}").fetchone()[0] == text


def test_condition_sql_has_no_brace():
    template = Template.model_validate(TEMPLATE)
    assert "{" not in conditions.trigger_expression(template.end[0]).sql(dialect="duckdb")
    assert "{" not in conditions.condition_sql(Condition(field="channel", op="in", value=[SEVEN, RAW]), "spark")

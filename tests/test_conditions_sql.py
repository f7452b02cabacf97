"""Every operator on every field kind, compiled by sqlglot and executed on DuckDB.

The table mirrors stg_events (missing strings and tag lists are NULL there). Values carry
quotes, backslashes, `--`, `%`, `_` and non-ASCII text, which must compare literally.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from journey_compiler.conditions import condition_expression, trigger_expression
from journey_compiler.template import Condition, Template

TRICKY = "it's \"q\" -- 100%_x\\ é日本"

ROWS = [
    # event_id, channel, tags, metadata
    ("tricky", TRICKY, [TRICKY, "返品"], {"k": TRICKY, "n": 5, "f": 4.5, "b": True, "nested": {"x": "日本"}}),
    ("plain", "email", ["returns", "vip"], {"k": "email", "n": "abc", "f": -1, "b": False, "nested": {"x": None}}),
    ("missing", None, None, {"k": "", "n": None, "f": [], "nested": {}}),
    ("like_bait", "e%l_il", ["r%", "_x"], {"k": "e%l_il", "n": 10}),
    ("no_metadata", "chat", ["returns"], None),
]


@pytest.fixture(scope="module")
def connection():
    con = duckdb.connect()
    con.execute(
        "create table events (event_id varchar, event_type varchar, channel varchar, status varchar, "
        "agent_id varchar, team_id varchar, tags varchar[], metadata json)"
    )
    for event_id, channel, tags, metadata in ROWS:
        con.execute(
            "insert into events values (?, 'message.received', ?, ?, ?, ?, ?, ?)",
            [event_id, channel, channel, channel, channel, tags, json.dumps(metadata) if metadata else None],
        )
    return con


ALL = {row[0] for row in ROWS}

CASES = [
    # string fields (each of channel/status/agent_id/team_id holds the same value here)
    ("equals", TRICKY, {"tricky"}),
    ("equals", "e%l_il", {"like_bait"}),
    ("equals", "Email", set()),
    ("not_equals", "email", ALL - {"plain"}),
    ("contains", "-- 100%_x\\", {"tricky"}),
    ("contains", "%", {"tricky", "like_bait"}),
    ("contains", "_", {"tricky", "like_bait"}),
    ("not_contains", "%", {"plain", "missing", "no_metadata"}),
    ("starts_with", "it's \"q\"", {"tricky"}),
    ("starts_with", "e%", {"like_bait"}),
    ("starts_with", "e_", set()),
    ("in", ["email", TRICKY], {"plain", "tricky"}),
    ("not_in", ["email", TRICKY], {"missing", "like_bait", "no_metadata"}),
    ("is_set", None, ALL - {"missing"}),
    ("is_not_set", None, {"missing"}),
]


@pytest.mark.parametrize("field", ["channel", "status", "agent_id", "team_id"])
@pytest.mark.parametrize("op, value, expected", CASES)
def test_string_fields(connection, field, op, value, expected):
    assert matching(connection, Condition(field=field, op=op, value=value)) == expected


TAG_CASES = [
    ("equals", "returns", {"no_metadata"}),  # "exactly this one tag": plain has two tags
    ("equals", "vip", set()),
    ("contains", "returns", {"plain", "no_metadata"}),
    ("contains", "ret", set()),
    ("contains", TRICKY, {"tricky"}),
    ("not_contains", "returns", {"tricky", "missing", "like_bait"}),
    ("starts_with", "ret", {"plain", "no_metadata"}),
    ("starts_with", "r%", {"like_bait"}),
    ("starts_with", "返", {"tricky"}),
    ("in", ["vip", "_x"], {"plain", "like_bait"}),
    ("not_in", ["vip", "_x"], {"tricky", "missing", "no_metadata"}),
    ("is_set", None, ALL - {"missing"}),
    ("is_not_set", None, {"missing"}),
    ("not_equals", "returns", ALL - {"no_metadata"}),
]


@pytest.mark.parametrize("op, value, expected", TAG_CASES)
def test_tags(connection, op, value, expected):
    assert matching(connection, Condition(field="tags", op=op, value=value)) == expected


def test_tags_equals_single_tag(connection):
    assert matching(connection, Condition(field="tags", op="equals", value="vip")) == set()
    connection.execute(
        "insert into events values ('single', 'message.received', null, null, null, null, ['vip'], null)"
    )
    try:
        assert matching(connection, Condition(field="tags", op="equals", value="vip")) == {"single"}
    finally:
        connection.execute("delete from events where event_id = 'single'")


METADATA_CASES = [
    ("metadata.k", "equals", TRICKY, {"tricky"}),
    ("metadata.k", "not_equals", TRICKY, ALL - {"tricky"}),
    ("metadata.k", "contains", "%_x", {"tricky"}),
    ("metadata.k", "starts_with", "e%", {"like_bait"}),
    ("metadata.k", "in", ["email", "e%l_il"], {"plain", "like_bait"}),
    ("metadata.k", "not_in", ["email", "e%l_il"], {"tricky", "missing", "no_metadata"}),
    ("metadata.k", "is_set", None, {"tricky", "plain", "like_bait"}),  # "" is missing
    ("metadata.k", "is_not_set", None, {"missing", "no_metadata"}),
    ("metadata.n", "equals", 5, {"tricky"}),
    ("metadata.n", "equals", "5", {"tricky"}),
    ("metadata.n", "gt", 4, {"tricky", "like_bait"}),  # "abc" never matches a numeric comparison
    ("metadata.n", "gte", 5, {"tricky", "like_bait"}),
    ("metadata.n", "lt", 10, {"tricky"}),
    ("metadata.n", "lte", 10, {"tricky", "like_bait"}),
    ("metadata.n", "is_not_set", None, {"missing", "no_metadata"}),  # JSON null is missing
    ("metadata.f", "gte", 4.5, {"tricky"}),
    ("metadata.f", "lt", 0, {"plain"}),
    ("metadata.f", "is_set", None, {"tricky", "plain"}),  # [] is missing
    ("metadata.f", "equals", 4.5, {"tricky"}),
    ("metadata.b", "equals", True, {"tricky"}),
    ("metadata.b", "equals", "false", {"plain"}),
    ("metadata.b", "in", [True, False], {"tricky", "plain"}),
    ("metadata.nested.x", "equals", "日本", {"tricky"}),
    ("metadata.nested.x", "not_equals", "日本", ALL - {"tricky"}),
    ("metadata.nested.x", "is_set", None, {"tricky"}),
    ("metadata.absent", "is_not_set", None, ALL),
    ("metadata.absent", "not_contains", "x", ALL),
]


@pytest.mark.parametrize("field, op, value, expected", METADATA_CASES)
def test_metadata(connection, field, op, value, expected):
    assert matching(connection, Condition(field=field, op=op, value=value)) == expected


def test_any_all_nesting(connection):
    template = Template.model_validate(
        {
            "name": "t",
            "title": "T",
            "start": {
                "event": "message.received",
                "conditions": [
                    {"any": [
                        {"field": "channel", "op": "equals", "value": "email"},
                        {"all": [
                            {"field": "tags", "op": "contains", "value": "returns"},
                            {"field": "metadata.k", "op": "is_not_set"},
                        ]},
                    ]},
                    {"field": "status", "op": "is_set"},
                ],
            },
            "end": [{"name": "e", "event": "message.sent"}],
        }
    )
    sql = trigger_expression(template.start).sql(dialect="duckdb")
    rows = connection.execute(f"select event_id from events where {sql}").fetchall()
    assert {row[0] for row in rows} == {"plain", "no_metadata"}


def test_values_never_become_sql(connection):
    injection = "x' or 1=1 --"
    sql = condition_expression(Condition(field="channel", op="equals", value=injection)).sql(dialect="duckdb")
    assert connection.execute(f"select count(*) from events where {sql}").fetchone()[0] == 0


def matching(connection, condition: Condition) -> set[str]:
    sql = condition_expression(condition).sql(dialect="duckdb")
    return {row[0] for row in connection.execute(f"select event_id from events where {sql}").fetchall()}

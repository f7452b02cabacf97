"""Every validation mistake gives file:line:column, what is wrong and how to fix it."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from journey_compiler.loader import TemplateValidationFailed, load_templates

ROOT = Path(__file__).resolve().parents[1]

VALID = """\
name: returns
title: Returns
timeout_hours: 48
start:
  event: message.received
  conditions:
    - {field: channel, op: equals, value: email}
milestones:
  - name: reason_captured
    event: conversation.tagged
end:
  - name: done
    event: conversation.marked_done
"""


def errors_for(tmp_path: Path, files: dict[str, str]) -> list[str]:
    (tmp_path / "seeds").mkdir()
    shutil.copy(ROOT / "seeds" / "event_catalog.csv", tmp_path / "seeds" / "event_catalog.csv")
    (tmp_path / "journeys").mkdir()
    for name, text in files.items():
        (tmp_path / "journeys" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(TemplateValidationFailed) as failure:
        load_templates(tmp_path)
    return [str(error) for error in failure.value.errors]


def test_valid_template_loads(tmp_path):
    (tmp_path / "seeds").mkdir()
    shutil.copy(ROOT / "seeds" / "event_catalog.csv", tmp_path / "seeds" / "event_catalog.csv")
    (tmp_path / "journeys").mkdir()
    (tmp_path / "journeys" / "returns.yml").write_text(VALID)
    [loaded] = load_templates(tmp_path)
    assert loaded.template.name == "returns"
    assert loaded.template.reentry is True


CASES = [
    (
        "unknown event type with the closest catalog name",
        VALID.replace("event: message.received", "event: message.recieved"),
        "journeys/t.yml:5:3: start.event: unknown event type 'message.recieved'; did you mean 'message.received'?",
    ),
    (
        "unknown field",
        VALID.replace("field: channel", "field: chanel"),
        "journeys/t.yml:7:8: start.conditions[0].field: unknown field 'chanel'; use one of channel, status, "
        "agent_id, team_id, tags, metadata.<key>",
    ),
    (
        "operator not valid for the field",
        VALID.replace("{field: channel, op: equals, value: email}", "{field: channel, op: gt, value: 3}"),
        "journeys/t.yml:7:24: start.conditions[0].op: operator 'gt' compares numbers and is not valid for "
        "'channel'; numeric comparisons work on metadata.<key> only",
    ),
    (
        "unknown operator",
        VALID.replace("op: equals", "op: equal"),
        "journeys/t.yml:7:24: start.conditions[0].op: 'equal' is not allowed; expected 'equals', 'not_equals', "
        "'contains', 'not_contains', 'starts_with', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'is_set' or "
        "'is_not_set'",
    ),
    (
        "list value for a single-value operator",
        VALID.replace("value: email}", "value: [email, chat]}"),
        "journeys/t.yml:7:36: start.conditions[0].value: operator 'equals' needs a single value, not a list; "
        "use 'in' for lists",
    ),
    (
        "single value for 'in'",
        VALID.replace("op: equals, value: email", "op: in, value: email"),
        "journeys/t.yml:7:32: start.conditions[0].value: operator 'in' needs a non-empty list value, "
        "e.g. value: [a, b]",
    ),
    (
        "text value for a numeric operator",
        VALID.replace("{field: channel, op: equals, value: email}", "{field: metadata.rating, op: gte, value: high}"),
        "journeys/t.yml:7:41: start.conditions[0].value: operator 'gte' needs a number value, e.g. value: 4",
    ),
    (
        "number for a string field",
        VALID.replace("value: email}", "value: 5}"),
        "journeys/t.yml:7:36: start.conditions[0].value: 'channel' holds text; quote the value (value: \"5\")",
    ),
    (
        "missing value",
        VALID.replace("{field: channel, op: equals, value: email}", "{field: channel, op: equals}"),
        "journeys/t.yml:7:24: start.conditions[0].op: operator 'equals' needs a value; add 'value: ...'",
    ),
    (
        "value on a presence operator",
        VALID.replace("op: equals, value: email", "op: is_set, value: email"),
        "journeys/t.yml:7:36: start.conditions[0].value: operator 'is_set' takes no value; remove 'value'",
    ),
    (
        "duplicate milestone name",
        VALID.replace(
            "end:\n",
            "  - name: reason_captured\n    event: message.sent\nend:\n",
        ),
        "journeys/t.yml:11:5: milestones[1].name: milestones[1]: duplicate milestone name 'reason_captured'; "
        "give each one its own name",
    ),
    (
        "duplicate end name",
        VALID + "  - name: done\n    event: message.sent\n",
        "journeys/t.yml:14:5: end[1].name: end[1]: duplicate end name 'done'; give each one its own name",
    ),
    (
        "toggles out of order",
        VALID.replace(
            "timeout_hours: 48\n",
            "timeout_hours: 48\ntoggles:\n  - {at: '2026-03-08T00:00:00Z', enabled: false}\n"
            "  - {at: '2026-03-01T00:00:00Z', enabled: true}\n",
        ),
        "journeys/t.yml:6:6: toggles[1].at: toggles[1] is not later than toggles[0]; list toggles oldest first, "
        "one per moment",
    ),
    (
        "last toggle disagreeing with enabled",
        VALID.replace(
            "timeout_hours: 48\n",
            "timeout_hours: 48\nenabled: true\ntoggles:\n  - {at: '2026-03-01T00:00:00Z', enabled: false}\n",
        ),
        "journeys/t.yml:4:1: enabled: the last toggle says enabled: false but the template says enabled: true; "
        "they must agree (the last toggle is the state now)",
    ),
    (
        "zero timeout",
        VALID.replace("timeout_hours: 48", "timeout_hours: 0"),
        "journeys/t.yml:3:1: timeout_hours: 0 must be greater than 0; give a positive number of hours",
    ),
    (
        "negative timeout",
        VALID.replace("timeout_hours: 48", "timeout_hours: -5"),
        "journeys/t.yml:3:1: timeout_hours: -5 must be greater than 0; give a positive number of hours",
    ),
    (
        "no end condition",
        VALID.replace("end:\n  - name: done\n    event: conversation.marked_done\n", "end: []\n"),
        "journeys/t.yml:11:1: end: a template needs at least one end condition under 'end:'",
    ),
    (
        "missing end key",
        VALID.replace("end:\n  - name: done\n    event: conversation.marked_done\n", ""),
        "journeys/t.yml:1:1: end: required key 'end' is missing; add it",
    ),
    (
        "unknown key",
        VALID.replace("timeout_hours: 48", "timeout: 48"),
        "journeys/t.yml:3:1: unknown key 'timeout'; remove it or check its spelling",
    ),
    (
        "bad template name",
        VALID.replace("name: returns", "name: Returns-Flow"),
        "journeys/t.yml:1:1: name: 'Returns-Flow' is not a valid name; use lowercase letters, digits and "
        "underscores, starting with a letter",
    ),
    (
        "nested condition error points inside any:",
        VALID.replace(
            "    - {field: channel, op: equals, value: email}\n",
            "    - any:\n        - {field: channel, op: equals, value: email}\n        - {field: tags, op: lt, value: 3}\n",
        ),
        "journeys/t.yml:9:25: start.conditions[0].any[1].op: operator 'lt' compares numbers and is not valid "
        "for 'tags'; numeric comparisons work on metadata.<key> only",
    ),
    (
        "YAML syntax error",
        VALID.replace("title: Returns", "title: [Returns"),
        "journeys/t.yml:3:14: YAML syntax error: expected ',' or ']', but got ':'; fix the syntax",
    ),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_mistake_message(tmp_path, text, expected):
    assert errors_for(tmp_path, {"t.yml": text}) == [expected]


def test_every_error_of_every_file_at_once(tmp_path):
    messages = errors_for(
        tmp_path,
        {
            "a.yml": VALID.replace("message.received", "message.recieved").replace("field: channel", "field: chanel"),
            "b.yml": VALID.replace("name: returns", "name: other").replace("timeout_hours: 48", "timeout_hours: 0"),
        },
    )
    assert [m.split(":")[0] for m in messages] == ["journeys/a.yml", "journeys/a.yml", "journeys/b.yml"]


def test_duplicate_template_names_across_files(tmp_path):
    assert errors_for(tmp_path, {"a.yml": VALID, "b.yml": VALID}) == [
        "journeys/b.yml:1:1: name: duplicate template name 'returns' (also in journeys/a.yml); "
        "template names must be unique"
    ]

"""The worked example of docs/contract.md §5, read from the page itself.

The page is the source: its template block and its events, journeys and milestones tables
become a hand-worked case (tests/cases.py), so the reference and the dbt build must give
exactly the rows the page shows, and a change to the page is a change to the test.
Each block follows an HTML comment `<!-- contract-example: NAME -->`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "contract.md"
MARKER = re.compile(r"^<!-- contract-example: (\w+) -->$")

INTEGERS = {"journey_number", "milestones_reached", "milestone_order"}
FLOATS = {"duration_seconds", "seconds_from_start"}
BOOLEANS = {"reached", "in_order"}
TIMES = {"started_at", "ended_at", "deadline_at", "reached_at"}
JSON = {"tags", "metadata"}


def _blocks(text: str) -> dict[str, list[str]]:
    """The lines of each marked block: a fenced code block or a table right after its marker."""
    lines = text.splitlines()
    blocks: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        marker = MARKER.match(line.strip())
        if not marker:
            continue
        body: list[str] = []
        rest = lines[index + 1 :]
        if rest and rest[0].startswith("```"):
            for inner in rest[1:]:
                if inner.startswith("```"):
                    break
                body.append(inner)
        else:
            for inner in rest:
                if not inner.startswith("|"):
                    break
                body.append(inner)
        blocks[marker.group(1)] = body
    return blocks


def _cell(column: str, text: str) -> Any:
    """A table cell as the value the rows hold: empty is null; times are naive UTC."""
    text = text.strip().strip("`")
    if text == "":
        return None
    if column in INTEGERS:
        return int(text)
    if column in FLOATS:
        return float(text)
    if column in BOOLEANS:
        return {"true": True, "false": False}[text]
    if column in TIMES:
        return datetime.fromisoformat(text)
    if column in JSON:
        return json.loads(text)
    return text


def _table(lines: list[str]) -> list[dict[str, Any]]:
    """A markdown table as dicts; the second line is the |---| separator."""
    header = _cells(lines[0])
    rows = []
    for line in lines[2:]:
        cells = _cells(line)
        if len(cells) != len(header):
            raise ValueError(f"{CONTRACT}: {len(cells)} cells where the header has {len(header)}: {line}")
        rows.append({column: _cell(column, cell) for column, cell in zip(header, cells, strict=True)})
    return rows


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def worked_example() -> dict[str, Any]:
    """The §5 example: template, events, and the journeys and milestones rows it must produce."""
    blocks = _blocks(CONTRACT.read_text(encoding="utf-8"))
    missing = {"template", "events", "journeys", "milestones"} - set(blocks)
    if missing:
        raise ValueError(f"{CONTRACT}: §5 lacks the marked blocks {sorted(missing)} (<!-- contract-example: NAME -->)")
    template = yaml.safe_load("\n".join(blocks["template"]))
    events = []
    for row in _table(blocks["events"]):
        row["occurred_at"] = datetime.fromisoformat(row["occurred_at"]).isoformat()
        events.append({"channel": None, "status": None, "agent_id": None, "team_id": None, **row})
    name = template["name"]
    journeys = [{"template_name": name, **row} for row in _table(blocks["journeys"])]
    milestones = [{"template_name": name, **row} for row in _table(blocks["milestones"])]
    return {"template": template, "events": events, "journeys": journeys, "milestones": milestones}

"""Build a throw-away copy of the dbt project with given templates and events, through the
real path (template YAML -> compiler -> loader -> dbt), and read the tables back."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from ruamel.yaml import YAML

from journey_compiler import compiler, ingest, runner
from journey_compiler.loader import load_templates

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "data-tests")


def make_project(tmp_path: Path, templates: list[dict[str, Any]]) -> Path:
    """A copy of the project whose journeys/ holds exactly `templates`, compiled."""
    project = Path(tmp_path) / "project"
    project.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, project / part, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("generated"))
        elif source.exists():
            shutil.copy2(source, project / part)
    journeys = project / "journeys"
    shutil.rmtree(journeys, ignore_errors=True)
    journeys.mkdir()
    yaml = YAML()
    for template in templates:
        with (journeys / f"{template['name']}.yml").open("w", encoding="utf-8") as handle:
            yaml.dump(template, handle)
    loaded = [item.template for item in load_templates(project)]
    compiler.write(project, compiler.generate(loaded))
    return project


def write_events(path: Path, events: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event, ensure_ascii=False, default=_iso) + "\n")
    return path


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(value)


def build(
    templates: list[dict[str, Any]],
    events: list[dict[str, Any]],
    as_of: str | None,
    tmp_path: Path,
    with_tests: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run the real dbt build and return (journeys rows, journey_milestones rows)."""
    project = make_project(tmp_path, templates)
    database = Path(tmp_path) / "journeys.duckdb"
    events_file = write_events(Path(tmp_path) / "events.jsonl", events)
    ingest.load_event_files(database, [events_file])
    skipped = () if with_tests else ("resource_type:test", "resource_type:unit_test")
    options = runner.BuildOptions(project_dir=project, database=database, as_of=as_of, exclude=skipped)
    runner.run_dbt("build", options)
    return read_table(database, "journeys"), read_table(database, "journey_milestones")


def read_table(database: Path, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(database)) as connection:
        cursor = connection.execute(f"select * from main.{table}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def comparable(rows: list[dict[str, Any]], columns: list[str], key: list[str]) -> list[tuple]:
    """Rows as sorted tuples of the given columns, floats rounded, for exact comparison."""
    def value(v: Any) -> Any:
        return round(v, 6) if isinstance(v, float) else v
    projected = [tuple(value(row.get(c)) for c in columns) for row in rows]
    index = [columns.index(k) for k in key]
    return sorted(projected, key=lambda r: tuple("" if r[i] is None else str(r[i]) for i in index))

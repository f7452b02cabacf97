"""The same project on Apache Spark (dbt-spark, a local session), proven by the same tests.

* The hand-worked journey cases (tests/cases.py) in two builds: each case's templates, ids
  and events get a prefix of their own, and a case whose as-of time differs from the build's
  is shifted in time as a whole (events, toggles and expected times alike), so its rows mean
  the same. Every case must give its hand-worked rows, and every row must equal the
  plain-Python reference (tests/reference.py).
* The two operator cases (every operator on every field kind, present and missing: 357
  one-condition templates). The compiler makes a model per template, about 2 s each on a
  local Spark, so instead of a dbt build of 357 models their events are staged by dbt on
  Spark (in the second build) and each template's start condition, as the compiler renders
  it for Spark, is evaluated on the staged events: it must hold exactly where the case says
  a journey starts.
* A slice of the random property test (tests/test_property.py): random templates and events,
  the Spark rows against the reference (JOURNEYS_SPARK_PROPERTY_EXAMPLES builds, default 1).
* Generated conversations in two nightly batches: a full build, then an incremental one
  through `journeys run --target spark`; then every table equals, row for row, the DuckDB
  full build of the same events (so the marts agree across engines, and the incremental
  Spark run equals a full refresh).

Marked `spark`: `pytest -m "not spark"` skips them. They need pyspark and Java 17
(`pip install -e '.[spark]'`, which `make install` does); without them they are skipped, except
under CI, where they fail. One Spark session serves them all (its start takes ~20 s).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from journey_compiler import ingest, runner
from journey_compiler.generate import generate_events
from tests import cases as hand_worked
from tests.harness import make_project, write_events
from tests.reference import (
    JOURNEY_COLUMNS,
    MILESTONE_COLUMNS,
    accepted_events,
    derive_journeys,
    load_template,
    to_utc_naive,
)
from tests.strategies import batches
from tests.test_property import _differences, _explain

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

PROPERTY_EXAMPLES = int(os.environ.get("JOURNEYS_SPARK_PROPERTY_EXAMPLES", "1"))
ENGINE_MODELS = ("+journeys", "+journey_milestones")
SKIP_TESTS = ("resource_type:test", "resource_type:unit_test")


def _spark_or_skip() -> None:
    problems = []
    try:
        import pyspark  # noqa: F401
        import dbt.adapters.spark  # noqa: F401
    except ImportError as error:
        problems.append(f"{error.name} is not installed (pip install -e '.[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        problems.append("no Java runtime (Spark 4 needs Java 17 or 21)")
    if problems:
        message = "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(f"Spark tests cannot run in CI: {message}")
        pytest.skip(message)


@contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """The Spark session of this test process (one per xdist worker: a stopped session's
    successor would pay the start again), with the `spark` target's settings and a
    throw-away warehouse; dbt-spark's session method finds it running."""
    _spark_or_skip()
    from journey_compiler import spark_ingest

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    settings_env = {
        "JOURNEYS_SPARK_WAREHOUSE": str(warehouse),
        "JOURNEYS_SPARK_CATALOG": "in-memory",
        "JOURNEYS_SPARK_SHUFFLE_PARTITIONS": "2",
        "JOURNEYS_SPARK_DRIVER_MEMORY": "2g",
    }
    with _env(**settings_env):
        session = spark_ingest.spark_session(Path(__file__).resolve().parents[1])
        session.sparkContext.setLogLevel("ERROR")
        yield session
        session.stop()


def spark_build(
    spark, project: Path, schema: str, event_files: list[Path], as_of: str | None = None,
    select: tuple[str, ...] = (), with_tests: bool = False, raw_schema: str | None = None,
) -> None:
    """Load the files into `raw_<schema>.events` and build the project into `<schema>`."""
    from journey_compiler import spark_ingest

    raw_schema = raw_schema or f"raw_{schema}"
    spark_ingest.load_event_files(spark, event_files, schema=raw_schema)
    options = runner.BuildOptions(
        project_dir=project, database=project / "unused.duckdb", as_of=as_of, target="spark",
        select=select, exclude=() if with_tests else SKIP_TESTS,
        extra_vars=(("journeys_raw_schema", raw_schema),), target_path=project / "target" / schema,
    )
    with _env(JOURNEYS_SPARK_SCHEMA=schema):
        runner.run_dbt("build", options)


def spark_rows(spark, schema: str, table: str) -> list[dict[str, Any]]:
    from journey_compiler import spark_ingest

    return spark_ingest.read_table(spark, f"{schema}.{table}")


# ---------------------------------------------------------------- hand-worked cases


OPERATOR_CASES = ("operators_on_present_values", "operators_on_missing_values")


def _effective_as_of(case: hand_worked.Case) -> datetime | None:
    if case.as_of:
        return datetime.fromisoformat(case.as_of)
    times = [event.occurred_at for event in accepted_events(case.events)]
    return max(times) if times else None


def _prefixed(text: Any, prefix: str) -> Any:
    """`prefix` before the text, after any leading blanks; missing values stay missing."""
    if not isinstance(text, str) or not text.strip():
        return text
    blank = text[: len(text) - len(text.lstrip())]
    return blank + prefix + text.lstrip()


def _shift_time(value: Any, delta: timedelta) -> Any:
    if not delta or value is None:
        return value
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, str):
        return (to_utc_naive(value) + delta).isoformat()
    return value


def _namespaced(index: int, case: hand_worked.Case, delta: timedelta) -> hand_worked.Case:
    """The case with its own template names, conversation and event ids, shifted by `delta`."""
    name = f"k{index}_"
    ids = f"k{index}|"
    templates = []
    for template in case.templates:
        template = {**template, "name": name + template["name"]}
        if delta and template.get("toggles"):
            template["toggles"] = [{**t, "at": _shift_time(t["at"], delta) + "Z"} for t in template["toggles"]]
        templates.append(template)
    events = [
        {**event, "event_id": _prefixed(event["event_id"], ids),
         "conversation_id": _prefixed(event["conversation_id"], ids),
         "occurred_at": _shift_time(event["occurred_at"], delta)}
        for event in case.events
    ]

    def expected(row: dict) -> dict:
        row = {key: value + delta if isinstance(value, datetime) else value for key, value in row.items()}
        return {**row, "template_name": name + row["template_name"]}

    return hand_worked.Case(
        case.name, templates, events, None,
        [expected(row) for row in case.expected_journeys],
        None if case.expected_milestones is None else [expected(row) for row in case.expected_milestones],
    )


def _own_rows(rows: list[dict], index: int) -> list[dict]:
    """A case's rows (its templates on its conversations) with its prefixes taken off again."""
    name, ids = f"k{index}_", f"k{index}|"
    own = []
    for row in rows:
        if not (row["template_name"].startswith(name) and row["conversation_id"].lstrip().startswith(ids)):
            continue
        row = dict(row)
        for column in ("conversation_id", "start_event_id", "end_event_id", "event_id"):
            value = row.get(column)
            if isinstance(value, str) and value.lstrip().startswith(ids):
                blank = value[: len(value) - len(value.lstrip())]
                row[column] = blank + value.lstrip()[len(ids):]
        own.append(row)
    return own


def _case_builds() -> list[tuple[str | None, list[tuple[int, hand_worked.Case]]]]:
    """(as-of var, [(index, namespaced case)]) per build. Every case whose own as-of time can
    be moved to the latest event of the build goes in one build with the default as-of; a
    case with events after its explicit as-of time needs one of its own."""
    journey_cases = [(index, case) for index, case in enumerate(hand_worked.CASES) if case.name not in OPERATOR_CASES]
    shared_as_of = max(t for _, case in journey_cases if (t := _effective_as_of(case)) is not None)
    shared: list[tuple[int, hand_worked.Case]] = []
    own: list[tuple[str | None, list[tuple[int, hand_worked.Case]]]] = []
    for index, case in journey_cases:
        as_of = _effective_as_of(case)
        times = [event.occurred_at for event in accepted_events(case.events)]
        timeouts = any(load_template(t).timeout_hours for t in case.templates)
        if case.as_of and times and max(times) > as_of:
            own.append((case.as_of, [(index, _namespaced(index, case, timedelta()))]))
        elif as_of is None or not timeouts:
            shared.append((index, _namespaced(index, case, timedelta())))
        else:
            shared.append((index, _namespaced(index, case, shared_as_of - as_of)))
    return [(None, shared), *own]


def test_hand_worked_cases_on_spark(spark, tmp_path):
    """Two builds: the cases that share the default as-of time, then the case with an explicit
    earlier one, whose build also stages the operator rows' events."""
    operator_cases = [(index, case) for index, case in enumerate(hand_worked.CASES) if case.name in OPERATOR_CASES]
    assert len(operator_cases) == 2
    operator_events = [event for index, case in operator_cases
                       for event in _namespaced(index, case, timedelta()).events]
    problems: list[str] = []
    builds = _case_builds()
    for number, (as_of, group) in enumerate(builds):
        templates = [template for _, case in group for template in case.templates]
        events = [event for _, case in group for event in case.events]
        if number == len(builds) - 1:
            events += operator_events
        project = make_project(tmp_path / f"cases{number}", templates)
        schema = f"cases{number}"
        events_file = write_events(tmp_path / f"cases{number}.jsonl", events)
        spark_build(spark, project, schema, [events_file], as_of=as_of, select=ENGINE_MODELS)
        journeys = spark_rows(spark, schema, "journeys")
        milestones = spark_rows(spark, schema, "journey_milestones")

        for index, case in group:
            own_journeys = _own_rows(journeys, index)
            own_milestones = _own_rows(milestones, index)
            problems += [f"{case.name}: {p}" for p in hand_worked.compare_case(case, own_journeys, own_milestones)]

        expected_journeys, expected_milestones = derive_journeys(templates, events, as_of)
        for table, expected, actual, key, columns in (
            ("journeys", expected_journeys, journeys, ("journey_id",), JOURNEY_COLUMNS),
            ("journey_milestones", expected_milestones, milestones, ("journey_id", "milestone_order"),
             MILESTONE_COLUMNS),
        ):
            problems += [f"build {number} {table} {k}: {what}"
                         for k, what in _differences(expected, actual, key, columns)]
    problems += _operator_problems(spark, f"cases{len(builds) - 1}", operator_cases)
    assert not problems, "\n".join(problems[:40])


def _operator_problems(spark, schema: str, cases: list[tuple[int, hand_worked.Case]]) -> list[str]:
    """Each operator row's start condition, rendered for Spark, on its event as staged on Spark:
    true exactly where the case expects a journey (conversation row_i is template op_i's own)."""
    from journey_compiler.conditions import for_dialect, trigger_expression

    branches = []
    expected: set[str] = set()
    for index, case in cases:
        for template in _namespaced(index, case, timedelta()).templates:
            conversation = f"k{index}|row_" + template["name"].removeprefix(f"k{index}_op_")
            start = for_dialect(trigger_expression(load_template(template).start), "spark").sql(dialect="spark")
            branches.append(f"when '{conversation}' then coalesce({start}, false)")
        expected |= {f"k{index}|{row['conversation_id']}" for row in case.expected_journeys}
    rows = spark.sql(
        "select conversation_id, case conversation_id " + " ".join(branches) + " end as holds "
        f"from {schema}.stg_events where conversation_id rlike '^k[0-9]+[|]row_'"
    ).collect()
    problems = []
    if len(rows) != sum(len(case.events) for _, case in cases):
        problems.append(f"operator rows: {len(rows)} staged events, expected one per row")
    holds = {row.conversation_id for row in rows if row.holds}
    problems += [f"operator row {c}: holds on Spark, not in the case" for c in sorted(holds - expected)]
    problems += [f"operator row {c}: holds in the case, not on Spark" for c in sorted(expected - holds)]
    return problems


# ---------------------------------------------------------------- random batches


_property_builds = iter(range(10_000))


@settings(
    max_examples=PROPERTY_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                           HealthCheck.function_scoped_fixture],
)
@given(batch=batches())
def test_random_batches_on_spark_equal_the_reference(spark, batch: dict[str, Any]) -> None:
    expected_journeys, expected_milestones = derive_journeys(batch["templates"], batch["events"], batch["as_of"])
    schema = f"random{next(_property_builds)}"
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), batch["templates"])
        events_file = write_events(Path(tmp) / "events.jsonl", batch["events"])
        spark_build(spark, project, schema, [events_file], as_of=batch["as_of"], select=ENGINE_MODELS)
    journeys = spark_rows(spark, schema, "journeys")
    milestones = spark_rows(spark, schema, "journey_milestones")

    problems = _differences(expected_journeys, journeys, ("journey_id",), JOURNEY_COLUMNS)
    assert not problems, _explain(batch, expected_journeys + journeys, problems, "journeys")
    problems = _differences(expected_milestones, milestones, ("journey_id", "milestone_order"), MILESTONE_COLUMNS)
    assert not problems, _explain(batch, expected_journeys + journeys, problems, "journey_milestones")


# ---------------------------------------------------------------- every table against DuckDB


# bookkeeping that differs by construction, and lineage naming the load or its time
NOT_COMPARED_TABLES = {"journeys_run_manifest", "stg_refresh_conversations", "int_refresh_conversations"}
NOT_COMPARED_COLUMNS = {"load_id", "loaded_at", "ingested_at"}
REPORTING_TIME_ZONE = "America/New_York"  # day boundaries off UTC


def _nightly_batches(folder: Path) -> list[Path]:
    """Generated conversations as two nightly files: what had been ingested by the cut, then
    the rest (late events, duplicates and re-deliveries land in the second)."""
    events = list(generate_events(120, seed=23, start=datetime(2026, 9, 1), days=6))
    cut = datetime(2026, 9, 4)

    def ingested(event: dict) -> datetime:
        text = event.get("ingested_at") or event["occurred_at"]
        try:
            return to_utc_naive(text)
        except (TypeError, ValueError):
            return cut
    first = [event for event in events if ingested(event) < cut]
    second = [event for event in events if ingested(event) >= cut]
    assert first and second
    return [write_events(folder / "night1.jsonl", first), write_events(folder / "night2.jsonl", second)]


def _duckdb_tables(database: Path) -> dict[str, list[dict]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        names = [row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()]
        tables = {}
        for name in names:
            cursor = connection.execute(f'select * from main."{name}"')
            columns = [column[0] for column in cursor.description]
            tables[name] = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return tables


def _comparable(rows: list[dict]) -> list[tuple]:
    def value(v: Any) -> Any:
        if isinstance(v, float):
            return None if math.isnan(v) else round(v, 6)
        if isinstance(v, (list, tuple)):
            return tuple(v)
        return v
    projected = [tuple((name, value(v)) for name, v in sorted(row.items()) if name not in NOT_COMPARED_COLUMNS)
                 for row in rows]
    return sorted(projected, key=repr)


def _same_rows(duck: list[tuple], spark_side: list[tuple]) -> bool:
    if len(duck) != len(spark_side):
        return False
    for left, right in zip(duck, spark_side):
        for (name, a), (other, b) in zip(left, right):
            if name != other:
                return False
            if isinstance(a, float) or isinstance(b, float):
                if a is None or b is None or not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6):
                    return False
            elif a != b:
                return False
    return True


def test_incremental_spark_run_equals_the_duckdb_full_build(spark, tmp_path):
    """Two nights on Spark, the second through `journeys run --target spark` (incremental, data
    tests and unit tests included), against one DuckDB build of both nights' events."""
    from typer.testing import CliRunner

    from journey_compiler.cli import app
    from tests.test_incremental import TEMPLATES

    project = make_project(tmp_path / "nightly", TEMPLATES)
    settings_file = project / "dbt_project.yml"
    settings_file.write_text(settings_file.read_text(encoding="utf-8").replace(
        "\nvars:\n", f"\nvars:\n  journeys_reporting_time_zone: {REPORTING_TIME_ZONE}\n", 1), encoding="utf-8")
    nights = _nightly_batches(tmp_path)

    database = tmp_path / "full.duckdb"
    ingest.load_event_files(database, nights)
    runner.run_dbt("build", runner.BuildOptions(project_dir=project, database=database, exclude=SKIP_TESTS))
    expected = _duckdb_tables(database)

    schema = "nightly"
    spark_build(spark, project, schema, nights[:1], raw_schema="raw")  # the first night, tests aside
    result = CliRunner().invoke(
        app, ["run", "--project-dir", str(project), "--target", "spark", "--events", str(nights[1])],
        env={"JOURNEYS_SPARK_SCHEMA": schema},
    )
    assert result.exit_code == 0, result.output
    assert "Built on Spark" in result.output, result.output
    manifest = spark_rows(spark, schema, "journeys_run_manifest")
    assert len(manifest) == 2  # two completed runs, the second one incremental

    mismatched = []
    for table, duck_rows in sorted(expected.items()):
        if table in NOT_COMPARED_TABLES:
            continue
        spark_side = spark_rows(spark, schema, table)
        if not _same_rows(_comparable(duck_rows), _comparable(spark_side)):
            mismatched.append(f"{table}: {len(duck_rows)} DuckDB rows, {len(spark_side)} Spark rows")
    assert not mismatched, "tables that differ:\n" + "\n".join(mismatched)
    assert len(expected["journeys"]) > 50


# ---------------------------------------------------------------- template text is data


def test_jinja_template_text_on_spark(spark, tmp_path):
    """The Jinja-laden template of tests/test_template_text.py on Spark: its text stored and
    matched literally (CHR(123) concatenation is Spark SQL too), an as-of offset converted."""
    from tests import test_template_text as jinja_text

    project = make_project(tmp_path, [jinja_text.TEMPLATE])
    events_file = write_events(tmp_path / "events.jsonl", jinja_text.EVENTS)
    spark_build(spark, project, "jinja_text", [events_file], as_of="2026-09-01T00:30:00-10:00",
                select=(*ENGINE_MODELS, "journey_templates"))
    (template,) = spark_rows(spark, "jinja_text", "journey_templates")
    assert (template["title"], template["description"]) == (jinja_text.TEMPLATE["title"],
                                                            jinja_text.TEMPLATE["description"])
    expected_journeys, expected_milestones = derive_journeys([jinja_text.TEMPLATE], jinja_text.EVENTS,
                                                             "2026-09-01T10:30:00")
    journeys = spark_rows(spark, "jinja_text", "journeys")
    assert [(j["conversation_id"], j["status"]) for j in journeys] == [("literal", "completed")]
    assert not _differences(expected_journeys, journeys, ("journey_id",), JOURNEY_COLUMNS)
    assert not _differences(expected_milestones, spark_rows(spark, "jinja_text", "journey_milestones"),
                            ("journey_id", "milestone_order"), MILESTONE_COLUMNS)


# ---------------------------------------------------------------- timestamps staging rejects


def test_timestamp_rejections_on_spark(spark, tmp_path):
    """Every hand-worked timestamp case of tests/test_timestamps.py staged on Spark: the same
    reason as on DuckDB (decided from the text first: Spark reads neither `infinity`, `+25:00`
    nor year 294247), year 9999 accepted."""
    from tests.test_timestamps import CASES, TEMPLATE, YEAR_9999, _event

    cases = [*CASES, YEAR_9999]
    project = make_project(tmp_path, [TEMPLATE])
    events_file = write_events(tmp_path / "timestamps.jsonl", [_event(*case[:3]) for case in cases])
    spark_build(spark, project, "timestamps", [events_file], select=("+stg_events__validated",))
    rows = {row["event_id"]: row for row in spark_rows(spark, "timestamps", "stg_events__validated")}
    got = {case_id: rows[case_id]["rejection_reason"] for case_id, *_ in cases}
    assert got == {case_id: reason for case_id, _, _, reason in cases}
    assert rows["year_9999_accepted"]["occurred_at"] == datetime(9999, 12, 31, 20, 0)

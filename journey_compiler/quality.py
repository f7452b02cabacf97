"""Data quality checks with great-expectations: the event contract on every batch being loaded,
and the invariants of the built output tables, each saved as JSON and as Data Docs HTML.

Two entry points:

- `check_event_files(paths, catalog_types, out_dir, ...)` reads the files exactly as the loader
  does (`ingest.read_records` and the loader's text conversion), builds one DataFrame for the
  whole batch and validates the input suite on it. It never writes to the warehouse: rows that
  break the contract still load and are rejected by the staging model with their reason; the
  caller decides whether a failure stops the run (`--strict`).
- `check_outputs(database, out_dir)` reads the `journeys` and `journey_milestones` tables (and
  `journey_funnel` when it exists) into DataFrames and validates the output suites.

Why DataFrames: great-expectations 1.x's SQL data source does not work on DuckDB (every metric
errors), so every suite runs on pandas batches. The derived columns the expectations need (the
timestamp as DuckDB parses it, "is this text a JSON object", the expected duration, ...) are
computed with the same DuckDB expressions the dbt models use, so a check and the staging model
agree on what is broken. See docs/quality.md for how this scales.

great_expectations is imported lazily (it takes seconds to import), and its anonymous usage
statistics are switched off before it is.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from journey_compiler import ingest
from journey_compiler.queries import scalar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rich.console import Console

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

REQUIRED_COLUMNS = ("event_id", "conversation_id", "event_type", "occurred_at")
STATUSES = ("open", "completed", "timed_out")
# A conversation id is well-formed when it is 1 to 200 characters with no whitespace (leading or
# trailing spaces would be trimmed away by staging and merge two ids) and no control characters.
CONVERSATION_ID_PATTERN = r"^[^\s\x00-\x1f\x7f]{1,200}$"
# "Far fewer events than usual": below this share of the median size of previous loads.
LOW_VOLUME_SHARE = 0.10
# How many previous loads the raw table must have before their median counts as "usual".
MIN_HISTORY_LOADS = 3
DURATION_TOLERANCE_SECONDS = 0.001
# Columns that identify a funnel row in samples (the funnel's grain), when it has them.
FUNNEL_GRAIN = ("template_name", "dimension", "dimension_value", "step_index", "step_name", "milestone_name")
SAMPLE_COUNT = 5
SAMPLE_WIDTH = 80

# Where `journeys check` / `journeys run` should write results (relative to the project).
QUALITY_DIR = Path("target") / "quality"
INPUT_SUITE = "events_contract"
OUTPUT_SUITES = ("journeys_invariants", "journey_milestones_invariants", "journey_funnel_invariants")


class QualityError(RuntimeError):
    """The checks could not run (not: the checks found problems; that is a report)."""


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


@dataclass
class Failure:
    """One failed expectation. Unpacks as (expectation, rows_failed, sample_values)."""

    expectation: str  # stable check name, e.g. "event_type_in_catalog"
    rows_failed: int  # rows that broke it (0 for table-level checks such as volume)
    sample_values: list[str]  # a few offending values with where they are
    title: str = ""  # what the check means, in words
    ge_expectation: str = ""  # the great-expectations expectation and its column(s)
    severity: str = "critical"  # "critical" (a failure) or "warning"
    table: str = ""  # the table or batch it ran on

    def __iter__(self) -> Iterator[Any]:
        return iter((self.expectation, self.rows_failed, self.sample_values))

    def summary_line(self) -> str:
        mark = "✗" if self.severity == "critical" else "!"
        rows = f"{self.rows_failed:,} row{'s' if self.rows_failed != 1 else ''}" if self.rows_failed else ""
        samples = "; ".join(self.sample_values)
        details = ", ".join(part for part in (rows, f"e.g. {samples}" if rows and samples else samples) if part)
        return f"{mark} {self.title} [{self.expectation}: {self.ge_expectation}]" + (f": {details}" if details else "")


@dataclass
class QualityReport:
    kind: str  # "Input" or "Output"
    failures: list[Failure]  # critical failures: the run is not ok
    warnings: list[Failure]  # warnings (volume): printed, never fail the check
    evaluated: int  # expectations evaluated
    rows: int  # rows validated (events in the batch; journeys for outputs)
    json_path: Path
    html_path: Path
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary_lines(self) -> list[str]:
        if self.ok and not self.warnings:
            head = f"{self.kind} checks passed: {self.evaluated} expectations"
        else:
            parts = []
            if self.failures:
                parts.append(f"{len(self.failures)} of {self.evaluated} expectations failed")
            if self.warnings:
                parts.append(f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}")
            head = f"{self.kind} checks: {', '.join(parts)}"
        lines = [f"{head} ({self.describe_rows()})"]
        lines += [f"  {failure.summary_line()}" for failure in self.failures + self.warnings]
        lines += [f"  {note}" for note in self.notes]
        lines.append(f"  Results: {self.json_path}")
        lines.append(f"  Data Docs: {self.html_path}")
        return lines

    def describe_rows(self) -> str:
        return f"{self.rows:,} rows"

    def render(self, console: Console) -> None:
        from rich.text import Text

        for number, line in enumerate(self.summary_lines()):
            style = None
            if number == 0:
                style = "green" if self.ok and not self.warnings else ("red" if not self.ok else "yellow")
            elif line.lstrip().startswith("✗"):
                style = "red"
            elif line.lstrip().startswith("!"):
                style = "yellow"
            console.print(Text(line, style=style or ""), soft_wrap=True)


@dataclass
class InputReport(QualityReport):
    files: list[Path] = field(default_factory=list)

    def describe_rows(self) -> str:
        return f"{self.rows:,} rows from {len(self.files)} file{'s' if len(self.files) != 1 else ''}"


@dataclass
class OutputReport(QualityReport):
    tables: list[str] = field(default_factory=list)

    def describe_rows(self) -> str:
        return f"{self.rows:,} journeys; tables {', '.join(self.tables)}"


# --------------------------------------------------------------------------------------------
# Check definitions: one great-expectations expectation each, with a name and how to show a row
# --------------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    title: str
    expectation: Any  # a great_expectations Expectation
    sample: Callable[[dict[str, Any]], str] | None = None  # how to show one offending row
    table_level: bool = False  # no rows to sample (row count checks)
    details: Callable[[dict[str, Any]], list[str]] | None = None  # samples for table-level checks

    @property
    def severity(self) -> str:
        return str(getattr(self.expectation.severity, "value", self.expectation.severity))

    def ge_description(self) -> str:
        kwargs = self.expectation.configuration.kwargs
        columns = (
            kwargs.get("column")
            or kwargs.get("column_list")
            or [kwargs[key] for key in ("column_A", "column_B") if key in kwargs]
        )
        if isinstance(columns, (list, tuple)):
            columns = ", ".join(columns)
        type_name = self.expectation.expectation_type
        return f"{type_name} on {columns}" if columns else type_name


def _gx():
    """great_expectations, imported on first use, with analytics off. It imports pyspark,
    which warns about pandas >= 3 at import: that says nothing about the user's data, so
    exactly that warning is silenced (it would open every run's output)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support", category=FutureWarning)
        import great_expectations as gx

    return gx


def _input_checks(
    catalog_types: set[str],
    max_occurred_at: datetime,
    usual_rows: float | None,
    usual_source: str,
    tolerance_hours: float,
) -> list[Check]:
    gx = _gx()
    from great_expectations.expectations.row_conditions import Column

    readable = Column("read_error").is_null()
    E = gx.expectations

    def at(row: dict[str, Any]) -> str:
        return f"{row['source_file']}:{row['source_line']}"

    def value(column: str) -> Callable[[dict[str, Any]], str]:
        return lambda row: f"{_short(row.get(column))} ({at(row)})"

    checks = [
        Check(
            "lines_readable",
            "every line is a readable record",
            E.ExpectColumnValuesToBeNull(
                column="read_error",
                description="Every line or record of the file can be read (valid JSON object, CSV row with no extra values).",
            ),
            value("read_error"),
        ),
    ]
    for column in REQUIRED_COLUMNS:
        checks.append(
            Check(
                f"{column}_present",
                f"{column} is present",
                E.ExpectColumnValuesToNotBeNull(
                    column=column,
                    row_condition=readable,
                    description=f"Required column `{column}` is set (not missing, not blank) on every readable row.",
                ),
                at,
            )
        )
    checks += [
        Check(
            "event_type_in_catalog",
            "event types are in the event catalog",
            E.ExpectColumnValuesToBeInSet(
                column="event_type",
                value_set=sorted(catalog_types),
                description="`event_type` is one of the event catalog's types (seeds/event_catalog.csv).",
            ),
            value("event_type"),
        ),
        Check(
            "occurred_at_parseable",
            "occurred_at is a parseable timestamp and a real instant",
            E.ExpectColumnValuesToBeInSet(
                column="occurred_at_parses",
                value_set=[True],
                description="`occurred_at` parses as an ISO 8601 timestamp (as DuckDB casts it to timestamptz; no offset means UTC) and is a real instant: not infinity or epoch, offset within ±18:00, year 1900-9999 (staging's own rule, macros/timestamps.sql).",
            ),
            value("occurred_at"),
        ),
        Check(
            "ingested_at_parseable",
            "ingested_at, when given, is a parseable timestamp and a real instant",
            E.ExpectColumnValuesToBeInSet(
                column="ingested_at_parses",
                value_set=[True],
                description="`ingested_at`, when given, parses and is a real instant, by the same rule as `occurred_at`.",
            ),
            value("ingested_at"),
        ),
        Check(
            "occurred_at_not_in_future",
            f"occurred_at is not more than {tolerance_hours:g} h in the future",
            E.ExpectColumnValuesToBeBetween(
                column="occurred_at_utc",
                max_value=max_occurred_at,
                description=f"`occurred_at` (UTC) is at most {tolerance_hours:g} hours after the time of the check ({max_occurred_at:%Y-%m-%d %H:%M} UTC).",
            ),
            value("occurred_at"),
        ),
        Check(
            "event_id_unique",
            "event_id is unique within the batch",
            E.ExpectColumnValuesToBeUnique(
                column="event_id",
                severity="warning",
                description="No two rows of the batch share an `event_id`. A warning: re-deliveries are part of the contract (staging keeps the first ingested copy, the others count as duplicates).",
            ),
            value("event_id"),
        ),
        Check(
            "metadata_is_json_object",
            "metadata is a JSON object",
            E.ExpectColumnValuesToBeInSet(
                column="metadata_is_object", value_set=[True], description="`metadata`, when given, is a JSON object."
            ),
            value("metadata"),
        ),
        Check(
            "tags_are_string_list",
            "tags is a JSON list of strings",
            E.ExpectColumnValuesToBeInSet(
                column="tags_is_string_list",
                value_set=[True],
                description="`tags`, when given, is a JSON array of strings.",
            ),
            value("tags"),
        ),
        Check(
            "conversation_id_well_formed",
            "conversation ids are well-formed",
            E.ExpectColumnValuesToMatchRegex(
                column="conversation_id_as_sent",
                regex=CONVERSATION_ID_PATTERN,
                description="`conversation_id` is 1 to 200 characters with no whitespace (not even leading or trailing) and no control characters.",
            ),
            value("conversation_id_as_sent"),
        ),
        Check(
            "batch_not_empty",
            "the batch has events",
            E.ExpectTableRowCountToBeBetween(
                min_value=1, severity="warning", description="The batch being loaded has at least one event."
            ),
            table_level=True,
            details=lambda result: ["the batch has no events"],
        ),
    ]
    if usual_rows:
        floor = max(1, math.ceil(usual_rows * LOW_VOLUME_SHARE))
        checks.append(
            Check(
                "batch_volume_usual",
                "the batch is not far smaller than usual",
                E.ExpectTableRowCountToBeBetween(
                    min_value=floor,
                    severity="warning",
                    description=f"The batch has at least {LOW_VOLUME_SHARE:.0%} of the usual number of events ({usual_source}: {usual_rows:,.0f}), i.e. at least {floor:,}.",
                ),
                table_level=True,
                details=lambda result, floor=floor: [  # type: ignore[misc]  # mypy cannot type a defaulted lambda
                    f"{result.get('observed_value', 0):,} rows, usual {usual_rows:,.0f} ({usual_source}); warns below {floor:,}"
                ],
            )
        )
    return checks


def _journey_sample(row: dict[str, Any], *columns: str) -> str:
    shown = ", ".join(f"{column}={_short(row.get(column), 40)}" for column in columns)
    return f"journey {row.get('journey_id')} ({row.get('template_name')}, conversation {_short(row.get('conversation_id'), 40)}): {shown}"


def _journeys_checks() -> list[Check]:
    gx = _gx()
    from great_expectations.expectations.row_conditions import Column

    E = gx.expectations
    return [
        Check(
            "ended_not_before_started",
            "ended_at >= started_at",
            E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ended_at",
                column_B="started_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                description="A closed journey ends at or after it starts.",
            ),
            lambda row: _journey_sample(row, "started_at", "ended_at"),
        ),
        Check(
            "duration_is_ended_minus_started",
            "duration_seconds = ended_at - started_at",
            E.ExpectColumnValuesToBeInSet(
                column="duration_matches",
                value_set=[True],
                description=f"`duration_seconds` is `ended_at - started_at` in seconds (within {DURATION_TOLERANCE_SECONDS} s), and null exactly when `ended_at` is.",
            ),
            lambda row: _journey_sample(row, "duration_seconds", "expected_duration_seconds"),
        ),
        Check(
            "status_present",
            "status is set",
            E.ExpectColumnValuesToNotBeNull(column="status", description="Every journey has a status."),
            lambda row: _journey_sample(row, "status"),
        ),
        Check(
            "status_valid",
            "status is open, completed or timed_out",
            E.ExpectColumnValuesToBeInSet(
                column="status", value_set=list(STATUSES), description="`status` is one of open, completed, timed_out."
            ),
            lambda row: _journey_sample(row, "status"),
        ),
        Check(
            "one_open_journey_per_conversation",
            "at most one open journey per conversation and template",
            E.ExpectCompoundColumnsToBeUnique(
                column_list=["template_name", "conversation_id"],
                row_condition=Column("status") == "open",
                description="Among open journeys, (template_name, conversation_id) is unique.",
            ),
            lambda row: _journey_sample(row, "journey_number", "started_at"),
        ),
        Check(
            "milestones_reached_matches_rows",
            "milestones_reached = reached journey_milestones rows",
            E.ExpectColumnPairValuesToBeEqual(
                column_A="milestones_reached",
                column_B="reached_milestone_rows",
                description="`milestones_reached` equals the number of this journey's `journey_milestones` rows with `reached`.",
            ),
            lambda row: _journey_sample(row, "milestones_reached", "reached_milestone_rows"),
        ),
    ]


def _milestones_checks() -> list[Check]:
    E = _gx().expectations

    def sample(row: dict[str, Any]) -> str:
        return _journey_sample(row, "milestone_name", "reached_at", "started_at", "ended_at")

    return [
        Check(
            "milestone_not_before_start",
            "reached milestones are at or after started_at",
            E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="reached_at",
                column_B="started_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                description="A reached milestone's `reached_at` is at or after its journey's `started_at`.",
            ),
            sample,
        ),
        Check(
            "milestone_not_after_end",
            "reached milestones are at or before ended_at",
            E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ended_at",
                column_B="reached_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                description="A reached milestone's `reached_at` is at or before its journey's `ended_at` (open journeys have none).",
            ),
            sample,
        ),
    ]


def _funnel_checks(share_columns: list[str]) -> list[Check]:
    E = _gx().expectations
    checks = []
    for column in share_columns:

        def sample(row: dict[str, Any], column: str = column) -> str:
            grain = [k for k in FUNNEL_GRAIN if k in row] or [k for k in row if not is_share_column(k)]
            keys = ", ".join(f"{k}={_short(row[k], 30)}" for k in grain)[:160]
            return f"{column}={_short(row.get(column), 20)} ({keys})"

        checks.append(
            Check(
                f"{column}_within_0_1",
                f"funnel {column} is within 0..1",
                E.ExpectColumnValuesToBeBetween(
                    column=column, min_value=0, max_value=1, description=f"Funnel share `{column}` is between 0 and 1."
                ),
                sample,
            )
        )
    return checks


# --------------------------------------------------------------------------------------------
# The input suite
# --------------------------------------------------------------------------------------------


def check_event_files(
    paths: list[Path],
    catalog_types: set[str],
    out_dir: Path,
    future_tolerance_hours: float = 24,
    expected_rows: int | None = None,
    database: Path | None = None,
    now: datetime | None = None,
) -> InputReport:
    """Validate the event contract on the batch made of `paths`, as the loader would read them.

    `expected_rows` is the usual batch size; without it, the median size of the previous loads
    recorded in `database`'s raw._loaded_files is used (when there are at least
    MIN_HISTORY_LOADS of them). A batch below LOW_VOLUME_SHARE of the usual size, or with no
    rows at all, is a warning. Everything else that fails is a failure (report.ok is False).
    Nothing is written to the warehouse.
    """
    started = datetime.now(UTC)
    now = (now or started).astimezone(UTC).replace(tzinfo=None)
    paths = [Path(p) for p in paths]
    frame = _event_frame(paths)

    notes: list[str] = []
    usual_rows, usual_source = None, ""
    if expected_rows:
        usual_rows, usual_source = float(expected_rows), "expected"
    elif database is not None:
        usual_rows, usual_source, note = _usual_batch_rows(Path(database))
        if note:
            notes.append(note)

    checks = _input_checks(
        set(catalog_types),
        now + timedelta(hours=future_tolerance_hours),
        usual_rows,
        usual_source,
        future_tolerance_hours,
    )
    failures, warnings_, evaluated, json_path, html_path = _run_suites(
        Path(out_dir),
        "events",
        [(INPUT_SUITE, "events", frame, checks)],
        {"files": [str(p) for p in paths], "rows": len(frame)},
    )
    report = InputReport(
        kind="Input",
        failures=failures,
        warnings=warnings_,
        evaluated=evaluated,
        rows=len(frame),
        json_path=json_path,
        html_path=html_path,
        notes=notes,
        files=paths,
    )
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


_EVENT_FRAME_SQL = """
select
    source_file,
    source_line,
    read_error,
    event_id,
    conversation_id,
    event_type,
    occurred_at,
    case when occurred_at_problem is null then occurred_at_utc end as occurred_at_utc,
    case when occurred_at is not null then occurred_at_problem is null end as occurred_at_parses,
    case when ingested_at is not null then ingested_at_problem is null end as ingested_at_parses,
    ingested_at,
    metadata,
    case when metadata is not null then
        coalesce(json_valid(metadata) and json_type(try_cast(metadata as json)) = 'OBJECT', false)
    end as metadata_is_object,
    tags,
    case when tags is not null then
        coalesce(
            json_valid(tags)
            and json_type(try_cast(tags as json)) = 'ARRAY'
            and len(list_filter(json_type(try_cast(tags as json), '$[*]'), lambda t: t <> 'VARCHAR')) = 0,
            false)
    end as tags_is_string_list,
    case when conversation_id is not null then conversation_id_as_sent end as conversation_id_as_sent
from (
    select
        _source_file as source_file,
        _source_line as source_line,
        _source_error as read_error,
        -- as the staging model sees them: trimmed, blank is missing
        nullif(trim(event_id), '') as event_id,
        nullif(trim(conversation_id), '') as conversation_id,
        nullif(trim(event_type), '') as event_type,
        nullif(trim(occurred_at), '') as occurred_at,
        {occurred_at_utc} as occurred_at_utc,
        {occurred_at_problem} as occurred_at_problem,
        nullif(trim(ingested_at), '') as ingested_at,
        {ingested_at_problem} as ingested_at_problem,
        nullif(trim(metadata), '') as metadata,
        nullif(trim(tags), '') as tags,
        conversation_id as conversation_id_as_sent
    from batch
)
"""


def _event_frame(paths: list[Path]) -> pd.DataFrame:
    """One row per line or record of the batch, with the loader's text values and the derived
    columns the expectations need."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    tables: list[pa.Table] = []
    for path in paths:
        file_load = ingest.FileLoad(path)
        for table in ingest.record_batches(ingest.read_records(path, file_load), "check", loaded_at, path.name):
            tables.append(table)
    if not tables:
        tables.append(ingest.arrow_table({c: [] for c in ingest.EVENT_COLUMNS + ingest.LINEAGE_COLUMNS}))
    batch = pa.concat_tables(tables)
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.register("batch", batch)
        frame = connection.execute(_event_frame_sql()).df()
    return _plain_objects(
        frame, ("occurred_at_parses", "ingested_at_parses", "metadata_is_object", "tags_is_string_list")
    )


def _event_frame_sql() -> str:
    """_EVENT_FRAME_SQL with the timestamp rules of staging itself: the project's
    `timestamp_rejection` and `parse_utc_timestamp` macros, their DuckDB bodies rendered here, so
    a check and staging cannot disagree on which timestamps are rejected (contract §1.3)."""
    macros = _staging_macros()
    expressions = {}
    for column in ("occurred_at", "ingested_at"):
        text = f"nullif(trim({column}), '')"
        parsed = str(macros.parse_utc_timestamp(text))
        expressions[f"{column}_utc"] = parsed
        expressions[f"{column}_problem"] = str(macros.timestamp_rejection(column, text, parsed))
    return _EVENT_FRAME_SQL.format(**expressions)


def _staging_macros() -> Any:
    """macros/timestamps.sql of the project this package belongs to, as a Jinja module whose
    adapter.dispatch picks the duckdb__ (else default__) body, as dbt does on DuckDB. Only
    macros that need nothing else of dbt may be called."""
    import jinja2

    source = (Path(__file__).resolve().parents[1] / "macros" / "timestamps.sql").read_text(encoding="utf-8")
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    names: dict[str, Any] = {"return": lambda value: value}

    class DuckDBAdapter:
        def dispatch(self, name: str, package: str | None = None) -> Any:
            return getattr(module, f"duckdb__{name}", None) or getattr(module, f"default__{name}")

    names["adapter"] = DuckDBAdapter()
    module = environment.from_string(source, globals=names).module
    return module


def _usual_batch_rows(database: Path) -> tuple[float | None, str, str | None]:
    """Median rows per previous load in raw._loaded_files, or None with why not."""
    if not database.exists():
        return None, "", None
    try:
        with duckdb.connect(str(database), read_only=True) as connection:
            exists = scalar(
                connection,
                "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = '_loaded_files'",
            )
            if not exists:
                return None, "", None
            loads = [
                row[0]
                for row in connection.execute(
                    "select sum(row_count) from raw._loaded_files group by load_id"
                ).fetchall()
            ]
    except duckdb.Error as error:
        return None, "", f"volume history not read ({error.__class__.__name__}: {str(error).splitlines()[0]})"
    if len(loads) < MIN_HISTORY_LOADS:
        return None, "", f"volume: {len(loads)} previous load(s); the usual size is judged from {MIN_HISTORY_LOADS}"
    return float(statistics.median(loads)), f"median of {len(loads)} previous loads", None


# --------------------------------------------------------------------------------------------
# The output suites
# --------------------------------------------------------------------------------------------

_JOURNEYS_FRAME_SQL = """
with reached as (
    select journey_id, count(*) filter (where reached) as reached_milestone_rows
    from main.journey_milestones
    group by journey_id
)
select
    journeys.journey_id,
    journeys.template_name,
    journeys.conversation_id,
    journeys.journey_number,
    journeys.status,
    journeys.started_at,
    journeys.ended_at,
    journeys.duration_seconds,
    (epoch_us(journeys.ended_at) - epoch_us(journeys.started_at)) / 1000000.0 as expected_duration_seconds,
    case
        when journeys.ended_at is null and journeys.duration_seconds is null then null
        when journeys.ended_at is null or journeys.duration_seconds is null then false
        else abs(journeys.duration_seconds
                 - (epoch_us(journeys.ended_at) - epoch_us(journeys.started_at)) / 1000000.0) <= {tolerance}
    end as duration_matches,
    journeys.milestones_reached,
    coalesce(reached.reached_milestone_rows, 0) as reached_milestone_rows
from main.journeys as journeys
left join reached on journeys.journey_id = reached.journey_id
"""

_MILESTONES_FRAME_SQL = """
select
    milestones.journey_id,
    milestones.template_name,
    milestones.conversation_id,
    milestones.milestone_name,
    milestones.milestone_order,
    milestones.reached,
    case when milestones.reached then milestones.reached_at end as reached_at,
    journeys.started_at,
    journeys.ended_at
from main.journey_milestones as milestones
left join main.journeys as journeys on milestones.journey_id = journeys.journey_id
"""


def check_outputs(database: Path, out_dir: Path) -> OutputReport:
    """Validate the output invariants on the built tables of `database` (schema main).

    `journey_funnel` is checked only when it exists: every column with `share` as a word of its
    name (share_of_started, closed_share_of_previous, ...) must be within 0..1.
    """
    started = datetime.now(UTC)
    database = Path(database)
    if not database.exists():
        raise QualityError(f"{database}: no such database; build it first (journeys run)")
    try:
        frames = _output_frames(database)
    except duckdb.Error as error:
        raise QualityError(f"{database}: could not read the output tables: {str(error).splitlines()[0]}") from error
    journeys, milestones, funnel, share_columns = frames

    suites = [
        (OUTPUT_SUITES[0], "journeys", _plain_objects(journeys, ("duration_matches",)), _journeys_checks()),
        (OUTPUT_SUITES[1], "journey_milestones", milestones, _milestones_checks()),
    ]
    notes = []
    if funnel is not None:
        if share_columns:
            suites.append((OUTPUT_SUITES[2], "journey_funnel", funnel, _funnel_checks(share_columns)))
        else:
            notes.append("journey_funnel has no share columns; nothing checked there")
    else:
        notes.append("journey_funnel not built; funnel shares not checked")
    failures, warnings_, evaluated, json_path, html_path = _run_suites(
        Path(out_dir),
        "outputs",
        suites,
        {"database": str(database), "rows": len(journeys)},
    )
    report = OutputReport(
        kind="Output",
        failures=failures,
        warnings=warnings_,
        evaluated=evaluated,
        rows=len(journeys),
        json_path=json_path,
        html_path=html_path,
        notes=notes,
        tables=[suite[1] for suite in suites],
    )
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def is_share_column(name: str) -> bool:
    """A funnel share: `share` is one of the name's words (share_of_started, closed_share_of_previous, ...)."""
    return "share" in name.lower().split("_")


def _output_frames(database: Path):
    """The journeys and milestone frames (with derived columns) and the funnel, if built."""
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        missing = [t for t in ("journeys", "journey_milestones") if t not in tables]
        if missing:
            raise QualityError(f"{database}: table(s) {', '.join('main.' + t for t in missing)} not found; build first")
        journeys = connection.execute(_JOURNEYS_FRAME_SQL.format(tolerance=DURATION_TOLERANCE_SECONDS)).df()
        milestones = connection.execute(_MILESTONES_FRAME_SQL).df()
        funnel = share_columns = None
        if "journey_funnel" in tables:
            funnel = connection.execute("select * from main.journey_funnel").df()
            share_columns = [c for c in funnel.columns if is_share_column(c)]
    return journeys, milestones, funnel, share_columns


# --------------------------------------------------------------------------------------------
# Running suites: ephemeral context, pandas batches, JSON + Data Docs under out_dir
# --------------------------------------------------------------------------------------------


def _run_suites(
    out_dir: Path,
    kind: str,
    suites: list[tuple[str, str, pd.DataFrame, list[Check]]],
    header: dict[str, Any],
) -> tuple[list[Failure], list[Failure], int, Path, Path]:
    """Validate each (suite name, asset name, frame, checks); write `<kind>.json` and the Data
    Docs site `data_docs/<kind>/` under out_dir (replacing the previous run's)."""
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    site_dir = out_dir / "data_docs" / kind
    shutil.rmtree(site_dir, ignore_errors=True)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    failures: list[Failure] = []
    warnings_: list[Failure] = []
    evaluated = 0
    results_json: list[dict[str, Any]] = []
    summary_json: list[dict[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        context = gx.get_context(mode="ephemeral", project_config=config)
        context.add_data_docs_site(
            "journeys_quality",
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site_dir.resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        source = context.data_sources.add_pandas("journeys_quality")
        for suite_name, asset_name, frame, checks in suites:
            for check in checks:
                check.expectation.meta = {"check": check.name, "title": check.title}
            suite = context.suites.add(
                gx.ExpectationSuite(name=suite_name, expectations=[check.expectation for check in checks])
            )
            batch_definition = source.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe(asset_name)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)
            )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=suite_name,
                    validation_definitions=[definition],
                    result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
                )
            )
            outcome = checkpoint.run(batch_parameters={"dataframe": frame})
            by_name = {check.name: check for check in checks}
            order = {check.name: number for number, check in enumerate(checks)}
            for validation in outcome.run_results.values():
                results_json.append(validation.to_json_dict())
                for result in sorted(
                    validation.results, key=lambda r: order[(r.expectation_config.meta or {})["check"]]
                ):
                    evaluated += 1
                    check = by_name[(result.expectation_config.meta or {})["check"]]
                    failure = None if result.success else _failure(check, result, frame, asset_name)
                    summary_json.append(
                        {
                            "check": check.name,
                            "title": check.title,
                            "table": asset_name,
                            "expectation": check.ge_description(),
                            "severity": check.severity,
                            "success": bool(result.success),
                            "rows_failed": failure.rows_failed if failure else 0,
                            "sample_values": failure.sample_values if failure else [],
                        }
                    )
                    if failure is not None:
                        (failures if failure.severity == "critical" else warnings_).append(failure)
        context.build_data_docs(site_names=["journeys_quality"])
    html_path = site_dir / "index.html"
    json_path = out_dir / f"{kind}.json"
    json_path.write_text(
        json.dumps(
            {
                **header,
                "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "success": not failures,
                "failures": sum(1 for s in summary_json if not s["success"] and s["severity"] == "critical"),
                "warnings": sum(1 for s in summary_json if not s["success"] and s["severity"] != "critical"),
                "checks": summary_json,
                "data_docs": str(html_path),
                "great_expectations_results": results_json,
            },
            indent=2,
            default=str,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    return failures, warnings_, evaluated, json_path, html_path


def _failure(check: Check, result: Any, frame: pd.DataFrame, table: str) -> Failure:
    info = result.exception_info or {}
    details = result.result or {}
    base = {
        "expectation": check.name,
        "title": check.title,
        "ge_expectation": check.ge_description(),
        "severity": check.severity,
        "table": table,
    }
    if info.get("raised_exception"):
        message = (info.get("exception_message") or "unknown error").splitlines()[0]
        return Failure(
            rows_failed=0,
            sample_values=[f"the check itself errored: {_short(message, 200)}"],
            **{**base, "severity": "critical"},
        )
    if check.table_level:
        return Failure(rows_failed=0, sample_values=check.details(details) if check.details else [], **base)
    samples: list[str] = []
    for index in details.get("partial_unexpected_index_list") or []:
        if len(samples) >= SAMPLE_COUNT:
            break
        row = {key: _none_if_missing(value) for key, value in frame.loc[index].to_dict().items()}
        shown = check.sample(row) if check.sample else str(index)
        if shown not in samples:
            samples.append(shown)
    return Failure(rows_failed=int(details.get("unexpected_count") or 0), sample_values=samples, **base)


def _plain_objects(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Nullable boolean columns as Python objects (True/False/None), which every
    great-expectations version compares with a value set as expected."""
    for column in columns:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _none_if_missing(value: Any) -> Any:
    try:
        import pandas as pd

        if value is None or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _short(value: Any, width: int = SAMPLE_WIDTH) -> str:
    if value is None:
        return "null"
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
        return text
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"

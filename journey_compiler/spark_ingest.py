"""Load event files into the raw events table on Apache Spark (the `spark` target of
profiles.yml, dbt-spark's session method; docs/warehouses.md).

The files are read exactly as for DuckDB (journey_compiler.ingest: every value as text, a line
that cannot be read kept with its reason) and appended to `<raw schema>.events`, a Parquet
table. A file whose SHA-256 is in `<raw schema>._loaded_files` is skipped. Spark has no
transactions on Parquet tables: a load killed between a file's rows and its `_loaded_files`
row loads that file again next time, and the copies count as duplicates (the first ingested
copy of an event_id wins), so no event is lost or doubled in the engine's tables.

The Spark session is the one dbt-spark's session method opens in this process: built from the
target's `server_side_parameters`, so dbt finds it already running with the same settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journey_compiler import ingest
from journey_compiler.terminal import styled

PROFILE = "journey_tracker"
RAW_COLUMNS = (
    *((column, "string") for column in ingest.EVENT_COLUMNS),
    ("_load_id", "string"),
    ("_loaded_at", "timestamp"),
    ("_source_file", "string"),
    ("_source_line", "bigint"),
    ("_source_error", "string"),
)


def target_settings(project_dir: Path, target: str) -> dict[str, Any]:
    """The rendered output `target` of the project's profiles.yml (env_var() filled in)."""
    import os

    from dbt.config.profile import read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ)  # what env_var() reads, as a dbt invocation sets it
    raw = read_profile(str(Path(project_dir).resolve()))
    outputs = raw[PROFILE]["outputs"]
    if target not in outputs:
        raise ValueError(f"profiles.yml has no target {target!r}; it has {', '.join(sorted(outputs))}")
    output = outputs[target]
    return ProfileRenderer({}).render_data(output)


def spark_session(project_dir: Path, target: str = "spark"):
    """This process's Spark session, as dbt-spark's session method builds it."""
    settings = target_settings(project_dir, target)
    if settings.get("type") != "spark" or settings.get("method") != "session":
        raise ValueError(
            f"target {target!r} is not a Spark target with method: session; on a cluster, load the raw "
            "events table with your own pipeline (docs/warehouses.md) and run dbt there"
        )
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in (settings.get("server_side_parameters") or {}).items():
        builder = builder.config(str(key), str(value))
    # as dbt-spark does: ANSI mode off, so failed casts are NULL on Spark 3 and 4 alike
    builder = builder.config("spark.sql.ansi.enabled", "false")
    return builder.getOrCreate()


def ensure_raw_table(spark, schema: str = "raw", table: str = "events") -> None:
    columns = ", ".join(f"`{name}` {kind}" for name, kind in RAW_COLUMNS)
    spark.sql(f"create database if not exists `{schema}`")
    spark.sql(f"create table if not exists `{schema}`.`{table}` ({columns}) using parquet")
    spark.sql(
        f"create table if not exists `{schema}`.`_loaded_files` "
        "(sha256 string, path string, load_id string, loaded_at timestamp, row_count bigint) using parquet"
    )


def load_event_files(spark, paths: Iterable[Path], schema: str = "raw", table: str = "events") -> ingest.LoadReport:
    """Append every not-yet-loaded file to the raw table on Spark; returns what was read per file."""
    import uuid

    load_id = uuid.uuid4().hex[:12]
    report = ingest.LoadReport(load_id, [])
    ensure_raw_table(spark, schema, table)
    loaded = spark.table(f"`{schema}`.`_loaded_files`")
    for path in paths:
        path = Path(path)
        file_load = ingest.FileLoad(path)
        report.files.append(file_load)
        digest = ingest.file_sha256(path)
        if loaded.where(loaded.sha256 == digest).limit(1).count():
            file_load.skipped_as_already_loaded = True
            continue
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        records = ingest.read_records(path, file_load)
        for batch in ingest.record_batches(records, load_id, loaded_at, str(path)):
            frame = spark.createDataFrame(batch.select([name for name, _ in RAW_COLUMNS]))
            frame.write.insertInto(f"`{schema}`.`{table}`")
            file_load.rows += batch.num_rows
        # the load time as text in the session time zone (UTC): a Python datetime would be read
        # in this process's local time zone
        spark.sql(
            f"insert into `{schema}`.`_loaded_files` "
            "select :sha256, :path, :load_id, cast(:loaded_at as timestamp), cast(:row_count as bigint)",
            args={
                "sha256": digest,
                "path": str(path),
                "load_id": load_id,
                "loaded_at": loaded_at.isoformat(sep=" "),
                "row_count": file_load.rows,
            },
        )
    return report


def read_table(spark, relation: str) -> list[dict[str, Any]]:
    """Every row of a table as dicts; timestamps as naive UTC datetimes (whatever the local
    time zone of this process), as the DuckDB tables read."""
    frame = spark.table(relation)
    columns = []
    for field in frame.schema.fields:
        if field.dataType.typeName() == "timestamp":
            columns.append(f"cast(`{field.name}` as timestamp_ntz) as `{field.name}`")
        else:
            columns.append(f"`{field.name}`")
    return [row.asDict(recursive=True) for row in frame.selectExpr(*columns).collect()]


def run_on_spark(
    project_dir: Path,
    events: list[Path],
    as_of: str | None,
    full_refresh: bool,
    target: str,
    console,
    build_with_progress,
) -> None:
    """`journeys run --target spark`: load the files into the raw table on Spark, build every
    model there with dbt (`build_with_progress(options)`), print what was built."""
    import os

    from journey_compiler import runner

    project_dir = Path(project_dir).resolve()
    # the warehouse folder belongs to the project, wherever the command runs from
    os.environ.setdefault("JOURNEYS_SPARK_WAREHOUSE", str(project_dir / "target" / "spark-warehouse"))
    try:
        spark = spark_session(project_dir, target)
    except ValueError as error:
        console.print(styled(error, "red"))
        raise SystemExit(2) from error
    spark.sparkContext.setLogLevel("ERROR")  # dbt-spark re-applies the settings per statement: one WARN each
    report = load_event_files(spark, events)
    for file_load in report.files:
        note = " (already loaded; skipped)" if file_load.skipped_as_already_loaded else ""
        console.print(styled(f"Read {file_load.rows:,} rows from {file_load.path}{note}"))
    options = runner.BuildOptions(
        project_dir=project_dir,
        database=project_dir / "target" / "unused.duckdb",
        as_of=as_of,
        full_refresh=full_refresh,
        target=target,
    )
    build_with_progress(options)
    schema = target_settings(project_dir, target)["schema"]
    rows = spark.sql(
        f"select template_name, status, count(*) as journeys from `{schema}`.journeys "
        "group by template_name, status order by template_name, status"
    ).collect()
    console.print(styled(f"Built on Spark, schema {schema} (warehouse {os.environ['JOURNEYS_SPARK_WAREHOUSE']}):"))
    for row in rows:
        console.print(styled(f"  {row.template_name:<32} {row.status:<10} {row.journeys:>8,}"))

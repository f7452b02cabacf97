"""Load event files (JSONL, CSV, Parquet) into the raw events table, every value as text.

Nothing is judged here beyond "can this line be read as a record": the contract's rules are
applied by the staging models, so a rejected row keeps its reason in the warehouse. A file
whose content was loaded before (same SHA-256) is skipped, so loading it twice adds nothing.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from journey_compiler.queries import scalar

EVENT_COLUMNS = (
    "event_id",
    "conversation_id",
    "event_type",
    "occurred_at",
    "channel",
    "status",
    "tags",
    "agent_id",
    "team_id",
    "metadata",
    "ingested_at",
)
JSON_COLUMNS = ("tags", "metadata")
LINEAGE_COLUMNS = ("_load_id", "_loaded_at", "_source_file", "_source_line", "_source_error")
BATCH_ROWS = 200_000


@dataclass
class FileLoad:
    path: Path
    rows: int = 0
    skipped_as_already_loaded: bool = False
    unknown_columns: set[str] = field(default_factory=set)


@dataclass
class LoadReport:
    load_id: str
    files: list[FileLoad]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


def ensure_raw_table(connection: duckdb.DuckDBPyConnection, schema: str = "raw", table: str = "events") -> None:
    connection.execute(f'create schema if not exists "{schema}"')
    columns = ", ".join(f'"{c}" varchar' for c in EVENT_COLUMNS)
    connection.execute(
        f'create table if not exists "{schema}"."{table}" ({columns}, '
        '"_load_id" varchar, "_loaded_at" timestamp, "_source_file" varchar, '
        '"_source_line" bigint, "_source_error" varchar)'
    )
    connection.execute(
        f'create table if not exists "{schema}"."_loaded_files" '
        "(sha256 varchar, path varchar, load_id varchar, loaded_at timestamp, row_count bigint)"
    )


def load_event_files(database: Path, paths: Iterable[Path], schema: str = "raw", table: str = "events") -> LoadReport:
    """Append every not-yet-loaded file to the raw table; returns what was read per file."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    load_id = uuid.uuid4().hex[:12]
    report = LoadReport(load_id, [])
    with duckdb.connect(str(database)) as connection:
        ensure_raw_table(connection, schema, table)
        for path in paths:
            path = Path(path)
            file_load = FileLoad(path)
            report.files.append(file_load)
            digest = file_sha256(path)
            seen = scalar(connection, f'select count(*) from "{schema}"."_loaded_files" where sha256 = ?', [digest])
            if seen:
                file_load.skipped_as_already_loaded = True
                continue
            # each file gets its own load time: it orders copies of an event_id across files
            loaded_at = datetime.now(UTC).replace(tzinfo=None)
            connection.execute("begin transaction")
            for batch in record_batches(read_records(path, file_load), load_id, loaded_at, str(path)):
                connection.register("_incoming", batch)
                connection.execute(f'insert into "{schema}"."{table}" by name select * from _incoming')
                connection.unregister("_incoming")
                file_load.rows += batch.num_rows
            connection.execute(
                f'insert into "{schema}"."_loaded_files" values (?, ?, ?, ?, ?)',
                [digest, str(path), load_id, loaded_at, file_load.rows],
            )
            connection.execute("commit")
    return report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_records(path: Path, file_load: FileLoad) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record or None, why it could not be read) for every line or record."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson", ".json")):
        yield from _read_jsonl(path, file_load)
    elif name.endswith(".csv"):
        yield from _read_csv(path, file_load)
    elif name.endswith(".parquet"):
        yield from _read_parquet(path, file_load)
    else:
        raise ValueError(f"{path}: unknown event file type; use .jsonl, .csv or .parquet (optionally .gz for text)")


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _read_jsonl(path: Path, file_load: FileLoad):
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, f"line is not valid JSON ({error.msg})"
                continue
            if not isinstance(record, dict):
                yield number, None, "line is not a JSON object"
                continue
            file_load.unknown_columns.update(set(record) - set(EVENT_COLUMNS))
            yield number, record, None


def _read_csv(path: Path, file_load: FileLoad):
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        file_load.unknown_columns.update(set(reader.fieldnames or ()) - set(EVENT_COLUMNS))
        line_before = reader.line_num
        for record in reader:
            number = line_before + 1
            line_before = reader.line_num
            if None in record:
                yield number, None, "CSV row has more values than the header has columns"
                continue
            yield number, record, None


def _read_parquet(path: Path, file_load: FileLoad):
    parquet = pq.ParquetFile(path)
    file_load.unknown_columns.update(set(parquet.schema_arrow.names) - set(EVENT_COLUMNS))
    number = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        for record in batch.to_pylist():
            number += 1
            yield number, record, None


def _as_text(column: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if column in JSON_COLUMNS or isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def record_batches(records, load_id: str, loaded_at: datetime, source_file: str) -> Iterator[pa.Table]:
    columns: dict[str, list[Any]] = {c: [] for c in EVENT_COLUMNS + LINEAGE_COLUMNS}
    for number, record, error in records:
        for column in EVENT_COLUMNS:
            columns[column].append(_as_text(column, record.get(column)) if record else None)
        columns["_load_id"].append(load_id)
        columns["_loaded_at"].append(loaded_at)
        columns["_source_file"].append(source_file)
        columns["_source_line"].append(number)
        columns["_source_error"].append(error)
        if len(columns["_load_id"]) >= BATCH_ROWS:
            yield arrow_table(columns)
            columns = {c: [] for c in columns}
    if columns["_load_id"]:
        yield arrow_table(columns)


def arrow_table(columns: dict[str, list[Any]]) -> pa.Table:
    types = {c: pa.string() for c in EVENT_COLUMNS}
    types.update(
        {
            "_load_id": pa.string(),
            "_loaded_at": pa.timestamp("us"),
            "_source_file": pa.string(),
            "_source_line": pa.int64(),
            "_source_error": pa.string(),
        }
    )
    return pa.table({c: pa.array(values, type=types[c]) for c, values in columns.items()})

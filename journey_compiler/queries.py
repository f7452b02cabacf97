"""Reading DuckDB results the pipeline's way: an aggregate query always answers one row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def one_row(connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[Any] = ()) -> tuple[Any, ...]:
    """The single row of an aggregate query (count, max, ...); a query with no row is a bug here, said plainly.

    >>> one_row(duckdb.connect(), "select count(*), max(x) from (select 1 as x)")
    (1, 1)
    """
    row = connection.execute(sql, list(parameters)).fetchone()
    if row is None:
        raise LookupError(f"expected one row, got none from: {sql}")
    return row


def scalar(connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[Any] = ()) -> Any:
    """The one value of a one-row, one-column query."""
    return one_row(connection, sql, parameters)[0]

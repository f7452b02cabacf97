"""When the database cannot be used: another process holds it, or its place cannot be written.

DuckDB, the file system and dbt (through runner.DbtFailed) each report these their own way,
under pages of traceback. This is the one place that knows them: `explain` turns one into the
line a person needs (what happened, what to do), `check_writable` finds them before a run has
spent minutes on input checks. JOURNEYS_DEBUG=1 keeps the original error and its traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

EXIT_CODE = 2  # the CLI's code for a problem of the environment or the command line, not of the data

LOCK = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)": Conflicting lock is held in (?P<program>.+?) '
    r"\(PID (?P<pid>\d+)\)"
)
CANNOT_OPEN = re.compile(r'Cannot open file "(?P<path>[^"]+)": (?P<reason>[^\n]+?)\.?$', re.MULTILINE)
ANOTHER_DATABASE = "use --database (or JOURNEYS_DATABASE) for another file"


def explain(error: BaseException, database: Path, writing: bool = True) -> str | None:
    """The one line for a known failure to use `database` (to write it, or with `writing` False to read it);
    None when `error` is not one, or JOURNEYS_DEBUG is set."""
    if os.environ.get("JOURNEYS_DEBUG"):
        return None
    text = str(error)
    if lock := LOCK.search(text):
        program = Path(lock["program"]).name
        return (
            f"{lock['path']} is in use by another process ({program}, PID {lock['pid']}): "
            f"wait for it to finish, or {ANOTHER_DATABASE}"
        )
    if cannot := CANNOT_OPEN.search(text):
        need = "make it writable" if writing else "make it readable"
        return f"{cannot['path']} cannot be opened ({cannot['reason']}): {need}, or {ANOTHER_DATABASE}"
    if isinstance(error, OSError) and error.filename and _concerns(Path(error.filename), database):
        if isinstance(error, (FileExistsError, NotADirectoryError)) and (file := _file_above(database)):
            return f"{file} is a file, not a folder, so {database} cannot be created: {ANOTHER_DATABASE}"
        return f"{error.filename} cannot be written ({error.strerror}): make it writable, or {ANOTHER_DATABASE}"
    return None


def _concerns(path: Path, database: Path) -> bool:
    """Whether a file-system error is about the database: the file, its write-ahead log or a folder above it."""
    database = Path(database).resolve()
    path = path.resolve()
    return path in (database, Path(f"{database}.wal"), *database.parents)


def _file_above(database: Path) -> Path | None:
    """The file standing where a folder above the database should be, if any."""
    return next((folder for folder in reversed(Path(database).parents) if folder.is_file()), None)


def check_writable(database: Path) -> None:
    """Open `database` for writing and close it at once, so a run that cannot write it fails before any work.

    Raises what DuckDB or the file system raise (see `explain`); leaves no file behind that was not there."""
    database = Path(database)
    existed = database.exists()
    database.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(database)).close()
    if not existed:
        for created in (database, Path(f"{database}.wal")):
            created.unlink(missing_ok=True)

"""A database that cannot be used: another process holds it (a second `journeys run`, a notebook),
dbt finds it taken mid-run, it or its folder cannot be written. Each ends the command with the
one line saying what happened and what to do, exit code 2, no traceback
(journey_compiler/environment.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import duckdb
import pytest
from typer.testing import CliRunner

from journey_compiler import cli, environment
from journey_compiler.cli import app
from tests.harness import make_project, write_events
from tests.test_run import TEMPLATE

ANOTHER = "use --database (or JOURNEYS_DATABASE) for another file"
EVENTS = [
    {"event_id": "e1", "conversation_id": "c1", "event_type": "message.received", "occurred_at": "2026-09-01T10:00:00Z"},
    {"event_id": "e2", "conversation_id": "c1", "event_type": "message.sent", "occurred_at": "2026-09-01T10:30:00Z"},
]
HOLD = "import duckdb, sys; connection = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, [TEMPLATE])


@contextlib.contextmanager
def held(database: Path) -> Iterator[subprocess.Popen]:
    """Another process with `database` open for writing, as a second run or a notebook has it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(database)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
    finally:
        holder.communicate("")  # closing its stdin ends it


def in_use(database: Path, holder: subprocess.Popen) -> str:
    program = Path(os.path.realpath(sys.executable)).name
    return f"{database} is in use by another process ({program}, PID {holder.pid}): wait for it to finish, or {ANOTHER}"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), terminal_width=80)  # narrow: the line must not wrap


def assert_one_line(result, line: str) -> None:
    assert result.exit_code == environment.EXIT_CODE, result.output
    assert result.output == line + "\n"
    assert len(result.output.splitlines()) < 5 and "Traceback" not in result.output


def test_run_and_report_on_a_database_another_process_holds(project: Path, tmp_path: Path) -> None:
    database = tmp_path / "journeys.duckdb"
    duckdb.connect(str(database)).close()
    events = write_events(tmp_path / "events.jsonl", EVENTS)
    with held(database) as holder:
        line = in_use(database, holder)
        for args in (["--events", str(events)], []):
            assert_one_line(invoke("run", "--project-dir", str(project), "--database", str(database), *args), line)
        assert_one_line(invoke("report", "--project-dir", str(project), "--database", str(database)), line)


def test_dbt_finding_the_database_taken_mid_run(project: Path, tmp_path: Path, monkeypatch) -> None:
    """Two runs at once: the other one takes the database between this one's load and its dbt build."""
    database = tmp_path / "journeys.duckdb"
    with contextlib.ExitStack() as stack:
        holders: list[subprocess.Popen] = []
        load = cli.ingest.load_event_files

        def load_then_lose_the_database(*args, **kwargs):
            report = load(*args, **kwargs)
            holders.append(stack.enter_context(held(database)))
            return report

        monkeypatch.setattr(cli.ingest, "load_event_files", load_then_lose_the_database)
        result = invoke("run", "--project-dir", str(project), "--database", str(database))
        assert holders, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines[-1] == in_use(database, holders[0])
        assert result.exit_code == environment.EXIT_CODE and "Traceback" not in result.output
        assert len(lines) < 5, result.output


def test_debug_keeps_the_original_error(project: Path, tmp_path: Path, monkeypatch) -> None:
    database = tmp_path / "journeys.duckdb"
    monkeypatch.setenv("JOURNEYS_DEBUG", "1")
    with held(database):
        result = invoke("run", "--project-dir", str(project), "--database", str(database))
    assert isinstance(result.exception, duckdb.IOException) and "Conflicting lock" in str(result.exception)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[str]:
    """`path` made unwritable for this user; yields the reason the system gives. chmod does not stop
    root, so as root the file is made immutable (chattr +i, where the file system has it)."""
    if os.geteuid() != 0:
        path.chmod(0o444 if path.is_file() else 0o555)
        try:
            yield "Permission denied"
        finally:
            path.chmod(0o644 if path.is_file() else 0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("running as root on a file system without chattr +i: nothing makes a file read-only")
    try:
        yield "Operation not permitted"
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_run_on_a_database_that_cannot_be_written(project: Path, tmp_path: Path) -> None:
    database = tmp_path / "journeys.duckdb"
    duckdb.connect(str(database)).close()
    with read_only(database) as reason:
        result = invoke("run", "--project-dir", str(project), "--database", str(database))
        assert_one_line(result, f"{database} cannot be opened ({reason}): make it writable, or {ANOTHER}")
    folder = tmp_path / "shared"
    folder.mkdir()
    with read_only(folder) as reason:
        result = invoke("run", "--project-dir", str(project), "--database", str(folder / "journeys.duckdb"))
        assert_one_line(result, f"{folder / 'journeys.duckdb'} cannot be opened ({reason}): make it writable, or {ANOTHER}")


def test_run_on_a_database_path_through_a_file(project: Path, tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("a file, not a folder\n")
    for database in (file / "journeys.duckdb", file / "deeper" / "journeys.duckdb"):
        result = invoke("run", "--project-dir", str(project), "--database", str(database))
        assert_one_line(result, f"{file} is a file, not a folder, so {database} cannot be created: {ANOTHER}")

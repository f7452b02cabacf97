"""The first hour of a new user at the command line: version, validating named files, one-line
errors at any terminal width, and refusing an output format nobody asked for."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JOURNEYS = Path(sys.executable).with_name("journeys")

MISSING_END = """\
name: broken
title: A template with a very long title so that a narrow terminal would have wrapped its error line
start:
  event: message.received
"""


def journeys(*args: str, columns: int = 30, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The installed command as a user runs it, on a terminal only `columns` wide."""
    return subprocess.run([str(JOURNEYS), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": str(columns), "HOME": str(Path.home())})


def test_version_names_the_package_version() -> None:
    from importlib.metadata import version

    result = journeys("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"journeys {version('journey-tracker')}"


def test_validate_checks_only_the_named_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(MISSING_END, encoding="utf-8")

    good = journeys("validate", "journeys/returns.yml")
    assert good.returncode == 0 and "1 template(s) valid: returns" in good.stdout

    bad = journeys("validate", str(broken), "journeys/returns.yml")
    assert bad.returncode == 1
    lines = bad.stderr.splitlines()
    # one error, one line, however narrow the terminal: file:line:column: what; fix
    assert re.fullmatch(rf"{re.escape(str(broken))}:\d+:\d+: end: required key 'end' is missing; add it", lines[0])


def test_validate_names_a_missing_file() -> None:
    result = journeys("validate", "journeys/nope.yml")
    assert result.returncode == 2
    assert result.stderr.strip() == "journeys/nope.yml: no such template file; name a .yml file, e.g. journeys/returns.yml"


@pytest.mark.parametrize("name", ["events.txt", "events.json", "events"])
def test_generate_refuses_an_unknown_extension(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = journeys("generate", "--conversations", "5", "--out", str(out), columns=40)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"{out}: unknown output format; name a file ending in "
                                     ".jsonl, .jsonl.gz, .csv, .csv.gz, .parquet")
    assert not out.exists()


def test_generate_writes_a_known_extension(tmp_path: Path) -> None:
    out = tmp_path / "events.csv.gz"
    result = journeys("generate", "--conversations", "5", "--out", str(out))
    assert result.returncode == 0 and out.stat().st_size > 0


def test_build_progress_off_a_terminal_prints_one_plain_line_per_phase() -> None:
    import io

    from rich.console import Console

    from journey_compiler.progress import BuildProgress, DbtStep

    out = io.StringIO()
    with BuildProgress(Console(file=out, width=20, force_terminal=False)) as progress:
        progress(DbtStep("parsed", total=3))
        progress(DbtStep("node", name="[/x] stg_events", resource_type="model", status="success"))
        progress(DbtStep("node", name="not_null_journeys_journey_id", resource_type="test", status="fail"))
        progress(DbtStep("node", name="journeys", resource_type="model", status="success"))
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["dbt build: reading the project", "dbt build: building 3 nodes"]
    assert re.fullmatch(r"dbt build: 3 nodes done, 1 failed in \d+ s", lines[2])
    assert len(lines) == 3

"""great_expectations imports pyspark, which warns about pandas >= 3 on every import: the input
checks of `journeys run` must not start every run with those lines (journey_compiler/quality.py
`_gx`). Run in a fresh interpreter: the warning fires only on the first import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

WARNING = "PySpark does not yet fully support"

CHECK_A_FILE = """
import sys
from pathlib import Path
from journey_compiler import quality
folder = Path(sys.argv[1])
events = folder / "events.jsonl"
events.write_text('{"event_id": "e1", "conversation_id": "c1", "event_type": "message.sent", '
                  '"occurred_at": "2026-09-01T10:00:00Z"}\\n', encoding="utf-8")
report = quality.check_event_files([events], {"message.sent"}, folder / "quality")
print("checked", report.ok)
"""


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])


def test_the_input_checks_print_no_pyspark_pandas_warning(tmp_path):
    bare = python("import great_expectations")
    if WARNING not in bare.stderr:
        pytest.skip("this environment's pyspark does not warn about its pandas version")
    checked = python(CHECK_A_FILE, str(tmp_path))
    assert checked.returncode == 0, checked.stderr
    assert "checked True" in checked.stdout
    assert WARNING not in checked.stdout + checked.stderr

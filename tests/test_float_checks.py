"""Data tests that compare doubles allow rounding (macros/float_checks.sql).

The mean of many identical durations is a sum divided by a count, and it can land above
their maximum in the last bits. A product check that fails on such valid data stops a
nightly run, so every float comparison in models/**.yml and data-tests/ goes through
approx_le / approx_eq.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from tests.harness import build, read_table

TEMPLATE = {
    "name": "same_wait", "title": "Same wait", "timeout_hours": 48,
    "start": {"event": "message.received"},
    "milestones": [{"name": "assigned", "event": "conversation.assigned"}],
    "end": [{"name": "replied", "event": "message.sent"}],
}
JOURNEYS = 10_000
# 20 minutes and a third of a second: not a round number of seconds in binary
WAIT = timedelta(seconds=1200, microseconds=333_333)


def identical_waits() -> list[dict]:
    start = datetime(2026, 9, 1)
    events = []
    for number in range(JOURNEYS):
        at = start + timedelta(seconds=number)
        for kind, moment in (("message.received", at), ("conversation.assigned", at + WAIT)):
            events.append({"event_id": f"{number}-{kind}", "conversation_id": f"c{number}", "event_type": kind,
                           "occurred_at": moment.isoformat() + "Z"})
    return events


def test_many_identical_durations_pass_the_data_tests(tmp_path):
    """10,000 journeys that all wait exactly as long: the mean exceeds the maximum by rounding,
    and the build with every data test still passes."""
    build([TEMPLATE], identical_waits(), None, tmp_path, with_tests=True)
    rows = [row for row in read_table(tmp_path / "journeys.duckdb", "journey_step_durations")
            if row["dimension"] == "all" and row["journeys"] == JOURNEYS]
    assert rows and all(abs(row["max_seconds"] - WAIT.total_seconds()) < 1e-9 for row in rows)
    # the case is real: the stored mean is above the stored maximum
    assert any(row["mean_seconds"] > row["max_seconds"] for row in rows)


def test_the_slack_is_relative_and_small(tmp_path):
    """approx_le allows 1e-9 of the larger magnitude (at least 1e-9), nothing more: 1.2
    microseconds at 20 minutes, far below what a broken model gets wrong."""
    from journey_compiler import runner
    from tests.harness import make_project

    project = make_project(tmp_path, [TEMPLATE])
    checks = {
        "above_by_rounding": ("approx_le", "1200.3333330000001", "1200.333333", True),
        "above_by_two_microseconds": ("approx_le", "1200.333335", "1200.333333", False),
        "big_and_close": ("approx_le", "1e12 + 100", "1e12", True),
        "big_and_far": ("approx_le", "1e12 + 10000", "1e12", False),
        "share_just_over_one": ("approx_le", "1 + 1e-12", "1", True),
        "share_clearly_over_one": ("approx_le", "1.000001", "1", False),
        "sum_of_shares": ("approx_eq", "0.1 + 0.2", "0.3", True),
        "not_equal": ("approx_eq", "0.3001", "0.3", False),
    }
    selects = " union all ".join(
        f"select '{name}' as name, {{{{ {macro}('{left}', '{right}') }}}} as holds"
        for name, (macro, left, right, _) in checks.items()
    )
    (project / "models" / "zz_float_checks.sql").write_text(selects + "\n", encoding="utf-8")
    database = tmp_path / "checks.duckdb"
    runner.run_dbt("run", runner.BuildOptions(project_dir=project, database=database, select=("zz_float_checks",)))
    with duckdb.connect(str(database)) as connection:
        got = dict(connection.execute("select name, holds from zz_float_checks").fetchall())
    assert got == {name: expected for name, (*_, expected) in checks.items()}

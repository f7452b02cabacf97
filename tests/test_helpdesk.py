"""The Helpdesk example (examples/helpdesk) built end to end on the real log, its key figures
asserted, and checked against an independent computation in plain Python over the same CSV
(csv + gzip + datetime only: neither the importer nor the SQL is involved)."""

from __future__ import annotations

import csv
import fcntl
import gzip
import importlib.util
import json
import math
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO / "examples/helpdesk/data/helpdesk.csv.gz"  # shipped in the repository

LIFECYCLE_TIMEOUT = timedelta(hours=1440)  # examples/helpdesk/journeys/ticket_lifecycle.yml
WAITING_TIMEOUT = timedelta(hours=720)  # examples/helpdesk/journeys/waiting.yml
ESCALATION_TIMEOUT = timedelta(hours=720)  # examples/helpdesk/journeys/escalation.yml


def _load_example():
    spec = importlib.util.spec_from_file_location("helpdesk_build", REPO / "examples/helpdesk/build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def figures(tmp_path_factory, request) -> dict:
    """The example built once per test session, even when xdist spreads these tests over
    workers: the first builds (models only: the data tests run in `make helpdesk` and in the
    rest of the suite), the others wait on a lock and read its figures."""
    # xdist's worker_id fixture, read directly so the file also runs with `-p no:xdist`
    worker_id = getattr(request.config, "workerinput", {}).get("workerid", "master")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base
    cache = shared / "helpdesk_figures.json"
    with (shared / "helpdesk_build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            result = _load_example().build(DATASET, shared / "helpdesk", with_tests=False, log=lambda _: None)
            cache.write_text(json.dumps(result.figures, default=str), encoding="utf-8")
    return json.loads(cache.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# the independent computation: the log as tickets, each a list of (time, activity) in log order


def _tickets() -> dict[str, list[tuple[datetime, str]]]:
    tickets: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
    with gzip.open(DATASET, "rt", encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle)):
            moment = datetime.fromisoformat(row["time:timestamp"])
            tickets[row["case:concept:name"]].append((moment, line, row["concept:name"]))
    # ties in time are between repeats of one activity, so file order breaks them as well as any
    return {case: [(t, a) for t, _, a in sorted(events)] for case, events in tickets.items()}


def _median(values: list[float]) -> float:
    return _quantile(values, 0.5)


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (what quantile_cont does)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _first_after(events, start: int, activity: str, last: int):
    """Index of the first `activity` strictly after `start` and at or before `last`, or None."""
    for index in range(start + 1, last + 1):
        if events[index][1] == activity:
            return index
    return None


@pytest.fixture(scope="module")
def expected() -> dict:
    tickets = _tickets()
    as_of = max(t for events in tickets.values() for t, _ in events)
    result: dict = {"tickets": len(tickets)}

    # ticket_lifecycle: one per ticket (reentry false), from the first "Assign seriousness"
    lifecycle = {}
    for case, events in tickets.items():
        starts = [i for i, (_, a) in enumerate(events) if a == "Assign seriousness"]
        if not starts:
            continue
        start = starts[0]
        started_at = events[start][0]
        deadline = started_at + LIFECYCLE_TIMEOUT
        in_time = [i for i in range(len(events)) if i > start and events[i][0] <= deadline]
        last = in_time[-1] if in_time else start
        closed = _first_after(events, start, "Closed", last)
        if closed is not None:
            status, last = "completed", closed
        else:
            status = "timed_out" if deadline < as_of else "open"
        taken = _first_after(events, start, "Take in charge ticket", last)
        resolved = _first_after(events, start, "Resolve ticket", last)
        lifecycle[case] = {
            "status": status,
            "taken": None if taken is None else (events[taken][0] - started_at).total_seconds(),
            "resolved": None if resolved is None else (events[resolved][0] - started_at).total_seconds(),
        }
    result["lifecycle"] = lifecycle

    # waiting: every "Wait" while none is open starts one (reentry), ends at the first
    # "Resolve ticket" or "Closed" after it, times out after 30 days
    waiting = defaultdict(int)
    escalation = defaultdict(int)
    for events in tickets.values():
        for counts, starting, timeout in (
            (waiting, "Wait", WAITING_TIMEOUT),
            (escalation, "Require upgrade", ESCALATION_TIMEOUT),
        ):
            deadline = None
            for moment, activity in events:
                if deadline is not None:
                    if moment > deadline:  # nothing after the deadline counts; a new one may start
                        counts["timed_out"] += 1
                        deadline = None
                    elif activity in ("Resolve ticket", "Closed"):
                        counts["completed"] += 1
                        deadline = None
                        continue  # the closing event never opens the next one
                if deadline is None and activity == starting:
                    counts["journeys"] += 1
                    deadline = moment + timeout
            if deadline is not None:
                counts["timed_out" if deadline < as_of else "open"] += 1
    result["waiting"] = dict(waiting)
    result["escalation"] = dict(escalation)
    result["tickets_with_upgrade"] = {
        case for case, events in tickets.items() if any(a == "Require upgrade" for _, a in events)
    }
    result["tickets_with_wait"] = {case for case, events in tickets.items() if any(a == "Wait" for _, a in events)}
    return result


# ---------------------------------------------------------------------------------------------
# the build's key figures (README.md quotes them)


def test_import_is_lossless(figures):
    assert figures["import"]["rows_read"] == 21_348
    assert figures["import"]["events_written"] == 21_348
    assert figures["import"]["rows_rejected"] == 0
    assert figures["import"]["tickets"] == 4_580
    assert figures["events"] == {"accepted": 21_348}


def test_key_figures(figures):
    lifecycle = figures["templates"]["ticket_lifecycle"]
    assert (lifecycle["journeys"], lifecycle["completed"], lifecycle["timed_out"], lifecycle["open"]) == (4_495, 4_478, 12, 5)
    assert lifecycle["milestones"]["taken_in_charge"]["reached"] == 4_206
    assert lifecycle["milestones"]["resolved"]["reached"] == 4_488
    assert lifecycle["slowest_step"] == "resolved -> completed"
    steps = lifecycle["steps"]
    assert steps["resolved -> completed"]["p50_seconds"] / 86400 == pytest.approx(30.2, abs=0.05)
    assert steps["resolved -> completed"]["p90_seconds"] / 86400 == pytest.approx(45.9, abs=0.05)
    assert steps["taken_in_charge -> resolved"]["journeys"] == 4_192
    assert steps["taken_in_charge -> resolved"]["p50_seconds"] / 3600 == pytest.approx(45.9, abs=0.05)
    assert steps["taken_in_charge -> resolved"]["p90_seconds"] / 86400 == pytest.approx(23.2, abs=0.05)
    assert steps["start -> taken_in_charge"]["p50_seconds"] / 3600 == pytest.approx(17.0, abs=0.05)

    waiting = figures["templates"]["waiting"]
    assert (waiting["journeys"], waiting["completed"], waiting["timed_out"], waiting["open"]) == (1_259, 1_167, 91, 1)
    assert figures["stuck_at"]["waiting/timed_out"] == {"start": 76, "taken_back_in_charge": 15}

    escalation = figures["templates"]["escalation"]
    assert (escalation["journeys"], escalation["tickets"]) == (102, 102)
    assert (escalation["completed"], escalation["timed_out"], escalation["open"]) == (86, 15, 1)

    effect = figures["lifecycle_by_escalation"]
    assert (effect["with"]["journeys"], effect["without"]["journeys"]) == (102, 4_393)
    assert effect["with"]["p50_seconds_to_resolved"] / 86400 == pytest.approx(27.0, abs=0.05)
    assert effect["without"]["p50_seconds_to_resolved"] / 86400 == pytest.approx(5.7, abs=0.05)
    assert figures["tickets_without_lifecycle"] == 85


# ---------------------------------------------------------------------------------------------
# the same figures, independently


def test_lifecycle_counts_match_plain_python(figures, expected):
    lifecycle = figures["templates"]["ticket_lifecycle"]
    statuses = [j["status"] for j in expected["lifecycle"].values()]
    assert lifecycle["journeys"] == len(expected["lifecycle"])
    assert lifecycle["completed"] == statuses.count("completed")
    assert lifecycle["timed_out"] == statuses.count("timed_out")
    assert lifecycle["open"] == statuses.count("open")
    assert figures["tickets_without_lifecycle"] == expected["tickets"] - len(expected["lifecycle"])
    milestones = lifecycle["milestones"]
    assert milestones["taken_in_charge"]["reached"] == sum(j["taken"] is not None for j in expected["lifecycle"].values())
    assert milestones["resolved"]["reached"] == sum(j["resolved"] is not None for j in expected["lifecycle"].values())


def test_time_from_take_in_charge_to_resolve_matches_plain_python(figures, expected):
    gaps = [
        j["resolved"] - j["taken"]
        for j in expected["lifecycle"].values()
        if j["taken"] is not None and j["resolved"] is not None and j["resolved"] >= j["taken"]
    ]
    step = figures["templates"]["ticket_lifecycle"]["steps"]["taken_in_charge -> resolved"]
    assert step["journeys"] == len(gaps)
    assert step["p50_seconds"] == pytest.approx(_median(gaps), abs=1e-6)
    assert step["p90_seconds"] == pytest.approx(_quantile(gaps, 0.9), abs=1e-6)


def test_waiting_and_escalation_match_plain_python(figures, expected):
    for template in ("waiting", "escalation"):
        built = figures["templates"][template]
        assert {k: built[k] for k in ("journeys", "completed", "timed_out", "open")} == {
            k: expected[template].get(k, 0) for k in ("journeys", "completed", "timed_out", "open")
        }, template
    # every ticket with a "Require upgrade" has an escalation journey, and no other ticket does
    assert figures["templates"]["escalation"]["tickets"] == len(expected["tickets_with_upgrade"])
    assert figures["templates"]["waiting"]["tickets"] == len(expected["tickets_with_wait"])


def test_escalation_effect_matches_plain_python(figures, expected):
    for side, escalated in (("with", True), ("without", False)):
        to_resolved = [
            j["resolved"] for case, j in expected["lifecycle"].items()
            if (case in expected["tickets_with_upgrade"]) == escalated and j["resolved"] is not None
        ]
        built = figures["lifecycle_by_escalation"][side]
        assert built["resolved"] == len(to_resolved)
        assert built["p50_seconds_to_resolved"] == pytest.approx(_median(to_resolved), abs=1e-6)


def test_step_durations_mart_agrees_when_present(figures):
    """The metric mart (another issue) and the example's own SQL define step durations alike."""
    rows = figures["marts"].get("journey_step_durations")
    if not isinstance(rows, list):
        pytest.skip("journey_step_durations is not in this project (or its columns changed)")
    for row in rows:
        ours = figures["templates"][row["template_name"]]["steps"][row["transition_name"]]
        assert row["journeys"] == ours["journeys"], row
        assert row["p50_seconds"] == pytest.approx(ours["p50_seconds"], abs=1e-6), row
        assert row["p90_seconds"] == pytest.approx(ours["p90_seconds"], abs=1e-6), row

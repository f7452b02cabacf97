"""The metric marts (models/marts/_metrics.yml) on fixed, hand-worked journeys and on a bigger
generated stream, through one real dbt build.

One build holds everything, to keep dbt invocations few:

* two fixture templates, `flow` (two milestones with targets, 24 h timeout) and `simple`
  (one milestone, no timeout, no re-entry), whose start needs the tag `fixture`, so only the
  hand-written conversations below open their journeys; every expected number in this file
  was worked out by hand from those events (the working is in the comments);
* the example templates of journeys/ over a generated stream (journey_compiler.generate, or a
  small random stream when it is missing), checked against invariants and against a plain
  Python recomputation of the funnel, the step durations and the Kaplan-Meier curve.

The as-of time is fixed at 2026-01-10 00:00 UTC and the reporting time zone is
America/New_York (UTC-5 in January), so day boundaries are exercised too. After the build,
`dbt test --select tag:metrics` runs the marts' data tests and unit tests on the same data.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from ruamel.yaml import YAML

from journey_compiler import ingest, runner
from tests.harness import make_project, write_events

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 1, 10)
TIME_ZONE = "America/New_York"
pytestmark = pytest.mark.xdist_group("marts")  # one build per run with --dist loadgroup

FIXTURE_TAG = [{"field": "tags", "op": "contains", "value": "fixture"}]
FLOW = {
    "name": "flow",
    "title": "Flow",
    "description": "Fixture: two milestones with targets and a 24 hour timeout.",
    "timeout_hours": 24,
    "enabled": True,
    "start": {"event": "message.received", "conditions": FIXTURE_TAG},
    "milestones": [
        {"name": "m1", "event": "conversation.assigned", "target_hours": 1},
        {"name": "m2", "event": "ai.response_generated", "target_hours": 2},
    ],
    "end": [{"name": "replied", "event": "message.sent", "target_hours": 4}],
}
DIRECT = {
    "name": "direct",
    "title": "Direct",
    "description": "Fixture: no milestones, a one hour timeout.",
    "timeout_hours": 1,
    "enabled": True,
    "start": {"event": "call.started", "conditions": FIXTURE_TAG},
    "end": [{"name": "ended", "event": "call.ended"}],
}
SIMPLE = {
    "name": "simple",
    "title": "Simple",
    "description": "Fixture: one milestone without target, no timeout, no re-entry.",
    "reentry": False,
    "enabled": True,
    "start": {"event": "conversation.created", "conditions": FIXTURE_TAG},
    "milestones": [{"name": "tagged", "event": "conversation.tagged"}],
    "end": [{"name": "done", "event": "conversation.marked_done"}],
}


def _t(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 1, day, hour, minute).isoformat()


def _fixed_events() -> list[dict[str, Any]]:
    """The hand-worked conversations. flow (as-of 01-10 00:00, timeout 24 h):

    c1 chat/t1/a1  start 01-01 00:00, m1 00:30, m2 01:30, end 03:00     completed, 10800 s
    c2 chat/t1/a2  start 01-01 10:00, m1 12:00, end 20:00               completed, 36000 s, skips m2
    c3 email/t2/a3 start 01-02 00:00, m1 01:00                          timed out 01-03 00:00 after m1
    c4 email/-/-   start 01-02 05:00                                    timed out 01-03 05:00 at start
    c8 chat/t1/a1  start 01-03 00:00, m1 02:00                          timed out 01-04 00:00 after m1
    c5 chat/t1/a1  start 01-09 20:00, m2 21:00                          open, m1 skipped so far
    c6 phone/t2/a3 start 01-09 23:00, m2 23:10, m1 23:20                open, m2 before m1
    c7 chat/t1/a2  start 01-09 12:00, m1 12:10                          open

    simple (no timeout): s1 01-01 00:00, tagged 01:00, done 02:00 (7200 s); s2 01-01 00:00,
    done 04:00 (14400 s, skips tagged); s3 01-05 00:00, open.

    direct (no milestones, 1 h timeout): d1 01-01 00:00, ended 00:30 (1800 s); d2 01-02 00:00,
    timed out at 01:00.
    """
    events: list[dict[str, Any]] = []

    def conversation(cid: str, channel: str | None, team: str | None, agent: str | None,
                     steps: list[tuple[str, str]]) -> None:
        for number, (event_type, at) in enumerate(steps, 1):
            events.append({
                "event_id": f"{cid}-{number}", "conversation_id": cid, "event_type": event_type,
                "occurred_at": at, "channel": channel, "team_id": team, "agent_id": agent,
                "tags": ["fixture"] if number == 1 else None, "metadata": None,
            })

    received, assigned, drafted, sent = (
        "message.received", "conversation.assigned", "ai.response_generated", "message.sent")
    conversation("fx-c1", "chat", "t1", "a1", [
        (received, _t(1, 0)), (assigned, _t(1, 0, 30)), (drafted, _t(1, 1, 30)), (sent, _t(1, 3))])
    conversation("fx-c2", "chat", "t1", "a2", [(received, _t(1, 10)), (assigned, _t(1, 12)), (sent, _t(1, 20))])
    conversation("fx-c3", "email", "t2", "a3", [(received, _t(2, 0)), (assigned, _t(2, 1))])
    conversation("fx-c4", "email", None, "", [(received, _t(2, 5))])
    conversation("fx-c8", "chat", "t1", "a1", [(received, _t(3, 0)), (assigned, _t(3, 2))])
    conversation("fx-c5", "chat", "t1", "a1", [(received, _t(9, 20)), (drafted, _t(9, 21))])
    conversation("fx-c6", "phone", "t2", "a3", [
        (received, _t(9, 23)), (drafted, _t(9, 23, 10)), (assigned, _t(9, 23, 20))])
    conversation("fx-c7", "chat", "t1", "a2", [(received, _t(9, 12)), (assigned, _t(9, 12, 10))])

    created, tagged, done = "conversation.created", "conversation.tagged", "conversation.marked_done"
    conversation("fx-s1", "web", "t9", "a9", [(created, _t(1, 0)), (tagged, _t(1, 1)), (done, _t(1, 2))])
    conversation("fx-s2", "web", "t9", "a9", [(created, _t(1, 0)), (done, _t(1, 4))])
    conversation("fx-s3", "web", "t9", "a9", [(created, _t(5, 0))])

    conversation("fx-d1", "phone", "t9", "a9", [("call.started", _t(1, 0)), ("call.ended", _t(1, 0, 30))])
    conversation("fx-d2", "phone", "t9", "a9", [("call.started", _t(2, 0))])
    return events


def _bulk_events() -> list[dict[str, Any]]:
    """About 400 conversations over the 40 days before the as-of time."""
    try:
        from journey_compiler.generate import generate_events
    except ImportError:  # pragma: no cover - the generator is another engineer's module
        return _random_events(400, seed=11)
    return list(generate_events(400, 11, start=AS_OF - timedelta(days=40), days=40))


def _random_events(conversations: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    kinds = [
        ("conversation.assigned", {}), ("ai.response_generated", {}),
        ("conversation.tagged", {"tag": "return_reason"}), ("side_conversation.created", {"purpose": "rma"}),
        ("message.sent", {"author": "agent"}), ("message.sent", {"template": "return_label"}),
        ("conversation.marked_done", {}), ("csat.rating", {"rating": 5}),
    ]
    events = []
    for c in range(conversations):
        at = AS_OF - timedelta(days=40) + timedelta(hours=rng.uniform(0, 40 * 24))
        fields = {"conversation_id": f"rnd-{c}", "channel": rng.choice(["email", "chat", None]),
                  "team_id": rng.choice(["t1", "t2", None]), "agent_id": rng.choice(["a1", "a2", None])}
        stream = [("conversation.created", {"first_contact": rng.random() < 0.5}, None)]
        stream.append(("message.received", {}, ["returns"] if rng.random() < 0.5 else None))
        stream += [(*rng.choice(kinds), None) for _ in range(rng.randint(0, 6))]
        for number, (event_type, metadata, tags) in enumerate(stream):
            at += timedelta(hours=rng.expovariate(1 / rng.choice([0.5, 3, 30])))
            if at >= AS_OF:
                break
            events.append({"event_id": f"rnd-{c}-{number}", "event_type": event_type, "occurred_at": at.isoformat(),
                           "tags": tags, "metadata": metadata, **fields})
    return events


@pytest.fixture(scope="module")
def marts(tmp_path_factory) -> dict[str, Any]:
    """Build once; return the database and the outcome of `dbt test --select tag:metrics`."""
    tmp = tmp_path_factory.mktemp("marts")
    yaml = YAML(typ="safe")
    examples = [yaml.load(path.read_text(encoding="utf-8")) for path in sorted((ROOT / "journeys").glob("*.yml"))]
    project = make_project(tmp, [*examples, FLOW, SIMPLE, DIRECT])
    database = tmp / "journeys.duckdb"
    events_file = write_events(tmp / "events.jsonl", _fixed_events() + _bulk_events())
    ingest.load_event_files(database, [events_file])
    options = dict(project_dir=project, database=database, as_of=AS_OF.strftime("%Y-%m-%d %H:%M:%S"),
                   extra_vars=(("journeys_reporting_time_zone", TIME_ZONE),))
    runner.run_dbt("build", runner.BuildOptions(**options, exclude=("resource_type:test", "resource_type:unit_test")))
    try:
        runner.run_dbt("test", runner.BuildOptions(**options, select=("tag:metrics",)))
        test_failure = None
    except runner.DbtFailed as failure:
        test_failure = str(failure)
    return {"database": database, "test_failure": test_failure}


def query(marts: dict[str, Any], sql: str) -> list[tuple]:
    with duckdb.connect(str(marts["database"])) as connection:
        return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in connection.execute(sql).fetchall()]


def r(value: float) -> float:
    return round(value, 6)


# ---------------------------------------------------------------- dbt data tests and unit tests


def test_dbt_data_and_unit_tests_pass(marts):
    assert marts["test_failure"] is None, marts["test_failure"]


# ---------------------------------------------------------------- hand-worked fixtures


def test_funnel_flow_all(marts):
    # m1 reached by c1 c2 c3 c8 c6 c7 (1800 7200 3600 7200 1200 600 s), m2 by c1 c5 c6 (5400 3600
    # 600 s; only c1 in order), end by c1 c2 (10800 36000 s; only c1 in order). Closed: c1 c2 c3
    # c4 c8. share_of_previous: of those at the previous step, the share also here.
    rows = query(marts, """
        select step_index, step_kind, step_name, journeys_started, journeys_reached, journeys_reached_in_order,
            share_of_started, share_of_previous, closed_journeys_started, closed_journeys_reached,
            closed_journeys_reached_in_order, closed_share_of_started, closed_share_of_previous,
            closed_journeys_not_reached, open_journeys_not_reached, median_seconds_from_start, p90_seconds_from_start
        from journey_funnel where template_name = 'flow' and dimension = 'all' order by step_index""")
    assert rows == [
        (0, "start", "start", 8, 8, 8, 1.0, None, 5, 5, 5, 1.0, None, 0, 0, 0.0, 0.0),
        (1, "milestone", "m1", 8, 6, 6, 0.75, 0.75, 5, 4, 4, 0.8, 0.8, 1, 1, 2700.0, 7200.0),
        (2, "milestone", "m2", 8, 3, 1, 0.375, r(2 / 6), 5, 1, 1, 0.2, 0.25, 4, 1, 3600.0, 5040.0),
        (3, "end", "completed", 8, 2, 1, 0.25, r(1 / 3), 5, 2, 1, 0.4, 1.0, 3, 3, 23400.0, 33480.0),
    ]


def test_funnel_breakdowns(marts):
    # email: c3 (m1 at 3600 s, timed out) and c4 (nothing); team (none): c4; agent '' is (none).
    rows = query(marts, """
        select dimension, dimension_value, step_index, journeys_started, journeys_reached, closed_journeys_reached,
            median_seconds_from_start
        from journey_funnel
        where template_name = 'flow'
            and ((dimension = 'channel' and dimension_value = 'email')
                 or (dimension in ('team', 'agent') and dimension_value = '(none)'))
        order by 1, 2, 3""")
    assert rows == [
        ("agent", "(none)", 0, 1, 1, 1, 0.0), ("agent", "(none)", 1, 1, 0, 0, None),
        ("agent", "(none)", 2, 1, 0, 0, None), ("agent", "(none)", 3, 1, 0, 0, None),
        ("channel", "email", 0, 2, 2, 2, 0.0), ("channel", "email", 1, 2, 1, 1, 3600.0),
        ("channel", "email", 2, 2, 0, 0, None), ("channel", "email", 3, 2, 0, 0, None),
        ("team", "(none)", 0, 1, 1, 1, 0.0), ("team", "(none)", 1, 1, 0, 0, None),
        ("team", "(none)", 2, 1, 0, 0, None), ("team", "(none)", 3, 1, 0, 0, None),
    ]
    values = query(marts, """
        select dimension, list(distinct dimension_value order by dimension_value)
        from journey_funnel where template_name = 'flow' group by 1 order by 1""")
    assert values == [
        ("agent", ["(none)", "a1", "a2", "a3"]), ("all", ["all"]),
        ("channel", ["chat", "email", "phone"]), ("team", ["(none)", "t1", "t2"]),
    ]


def test_step_durations_flow_all(marts):
    # start->m1: 600 1200 1800 3600 7200 7200 s: mean 3600, p50 (1800+3600)/2, p75 at 3.75 ->
    # 3600 + .75 x 3600 = 6300, p90 at 4.5 -> 7200. Target 1 h: c2 and c8 late, 2 of 6.
    # m1->m2: c1 3600 s; c6 reached m2 before m1, out of order. Target 2 h: none of 3 late.
    # m2->end: c1 5400 s, the highest median: the bottleneck. Target 4 h: c2 (10 h) late, 1 of 2.
    rows = query(marts, """
        select transition_name, to_step_kind, journeys, journeys_out_of_order, mean_seconds, p50_seconds,
            p75_seconds, p90_seconds, p95_seconds, max_seconds, is_bottleneck, target_seconds,
            to_step_reached, target_breaches, target_breach_rate
        from journey_step_durations where template_name = 'flow' and dimension = 'all' order by from_step_index""")
    assert rows == [
        ("start -> m1", "milestone", 6, 0, 3600.0, 2700.0, 6300.0, 7200.0, 7200.0, 7200.0, False, 3600.0, 6, 2, r(1 / 3)),
        ("m1 -> m2", "milestone", 1, 1, 3600.0, 3600.0, 3600.0, 3600.0, 3600.0, 3600.0, False, 7200.0, 3, 0, 0.0),
        ("m2 -> completed", "end", 1, 0, 5400.0, 5400.0, 5400.0, 5400.0, 5400.0, 5400.0, True, 14400.0, 2, 1, 0.5),
    ]


def test_step_durations_breakdown_and_empty_transitions(marts):
    # team t2: c3 (m1 after 3600 s, timed out) and c6 (m1 after 1200 s, m2 before m1, open).
    rows = query(marts, """
        select transition_name, journeys, journeys_out_of_order, p50_seconds, max_seconds, is_bottleneck,
            to_step_reached, target_breach_rate
        from journey_step_durations
        where template_name = 'flow' and dimension = 'team' and dimension_value = 't2' order by from_step_index""")
    assert rows == [
        ("start -> m1", 2, 0, 2400.0, 3600.0, True, 2, 0.0),
        ("m1 -> m2", 0, 1, None, None, False, 1, 0.0),
        ("m2 -> completed", 0, 0, None, None, False, 0, None),
    ]


def test_dropoffs(marts):
    # flow timed out: c4 at start, c3 and c8 after m1. Completed: c2 skipped m2.
    # simple: nothing timed out (no timeout); s2 completed without `tagged`.
    rows = query(marts, """
        select template_name, outcome, step_index, step_name, journeys, outcome_journeys, share, is_biggest
        from journey_dropoffs where template_name in ('flow', 'simple') order by 1, 2, 3""")
    assert rows == [
        ("flow", "completed", 1, "m1", 0, 2, 0.0, False),
        ("flow", "completed", 2, "m2", 1, 2, 0.5, True),
        ("flow", "timed_out", 0, "start", 1, 3, r(1 / 3), False),
        ("flow", "timed_out", 1, "m1", 2, 3, r(2 / 3), True),
        ("flow", "timed_out", 2, "m2", 0, 3, 0.0, False),
        ("simple", "completed", 1, "tagged", 1, 2, 0.5, True),
        ("simple", "timed_out", 0, "start", 0, 0, None, False),
        ("simple", "timed_out", 1, "tagged", 0, 0, None, False),
    ]


def test_stalls(marts):
    # p90 of m2->end is 5400 s, of m1->m2 3600 s, of start->tagged 3600 s (s1 only).
    # c5: at m2 since 21:00, waits 10800 s > 5400; 4 h since start is not past the 4 h end target.
    # c6: furthest step m2 (23:10) though m1 came later; waits 3000 s; not stalled.
    # c7: at m1 since 12:10, waits 42600 s > 3600, and 12 h since start is past m2's 2 h target.
    # s3: at start for 5 days; `tagged` has no target.
    rows = query(marts, """
        select conversation_id, current_step_index, current_step_name, waiting_since, waiting_seconds,
            seconds_since_start, next_step_name, next_transition_p90_seconds, next_step_target_seconds,
            is_slower_than_p90, is_past_target, is_stalled, stall_reason, as_of_at
        from journey_stalls where template_name in ('flow', 'simple') order by conversation_id""")
    assert rows == [
        ("fx-c5", 2, "m2", datetime(2026, 1, 9, 21), 10800.0, 14400.0, "completed", 5400.0, 14400.0,
         True, False, True, "slower_than_p90", AS_OF),
        ("fx-c6", 2, "m2", datetime(2026, 1, 9, 23, 10), 3000.0, 3600.0, "completed", 5400.0, 14400.0,
         False, False, False, None, AS_OF),
        ("fx-c7", 1, "m1", datetime(2026, 1, 9, 12, 10), 42600.0, 43200.0, "m2", 3600.0, 7200.0,
         True, True, True, "slower_than_p90_and_past_target", AS_OF),
        ("fx-s3", 0, "start", datetime(2026, 1, 5), 432000.0, 432000.0, "tagged", 3600.0, None,
         True, False, True, "slower_than_p90", AS_OF),
    ]


def test_daily_in_reporting_time_zone(marts):
    # New York is UTC-5 in January: 01-01 00:00 UTC is 12-31 19:00 there, 01-02 05:00 UTC is
    # local midnight of 01-02 (c4). The 01-09 journeys are open: not mature. simple has no
    # timeout: a day is mature once over with nothing open.
    rows = query(marts, """
        select template_name, start_date, reporting_time_zone, journeys_started, journeys_completed,
            journeys_timed_out, journeys_open, completion_rate, closed_completion_rate,
            median_duration_seconds, p90_duration_seconds, day_ends_at, is_mature
        from journey_daily where template_name in ('flow', 'simple') and dimension = 'all' order by 1, 2""")
    d = datetime
    assert rows == [
        ("flow", d(2025, 12, 31).date(), TIME_ZONE, 1, 1, 0, 0, 1.0, 1.0, 10800.0, 10800.0, d(2026, 1, 1, 5), True),
        ("flow", d(2026, 1, 1).date(), TIME_ZONE, 2, 1, 1, 0, 0.5, 0.5, 36000.0, 36000.0, d(2026, 1, 2, 5), True),
        ("flow", d(2026, 1, 2).date(), TIME_ZONE, 2, 0, 2, 0, 0.0, 0.0, None, None, d(2026, 1, 3, 5), True),
        ("flow", d(2026, 1, 9).date(), TIME_ZONE, 3, 0, 0, 3, 0.0, None, None, None, d(2026, 1, 10, 5), False),
        ("simple", d(2025, 12, 31).date(), TIME_ZONE, 2, 2, 0, 0, 1.0, 1.0, 10800.0, 13680.0, d(2026, 1, 1, 5), True),
        ("simple", d(2026, 1, 4).date(), TIME_ZONE, 1, 0, 0, 1, 0.0, None, None, None, d(2026, 1, 5, 5), False),
    ]
    by_channel = query(marts, """
        select start_date, dimension_value, journeys_started, journeys_open from journey_daily
        where template_name = 'flow' and dimension = 'channel' and start_date = date '2026-01-09' order by 2""")
    assert by_channel == [(d(2026, 1, 9).date(), "chat", 2, 2), (d(2026, 1, 9).date(), "phone", 1, 1)]


def test_completion_curve_flow(marts):
    # Observed: c6 3600 (open), c1 10800 (done), c5 14400 (open), c2 36000 (done), c7 43200
    # (open), c3 c4 c8 86400 (timed out). S(10800) = 6/7, S(36000) = 6/7 x 4/5 = 24/35.
    rows = query(marts, """
        select t_seconds, at_risk, completions, censored, survival, completion_probability
        from journey_completion_curve where template_name = 'flow' order by t_seconds""")
    assert rows == [
        (0.0, 8, 0, 0, 1.0, 0.0),
        (3600.0, 8, 0, 1, 1.0, 0.0),
        (10800.0, 7, 1, 0, r(6 / 7), r(1 / 7)),
        (14400.0, 6, 0, 1, r(6 / 7), r(1 / 7)),
        (36000.0, 5, 1, 0, r(24 / 35), r(11 / 35)),
        (43200.0, 4, 0, 1, r(24 / 35), r(11 / 35)),
        (86400.0, 3, 0, 3, r(24 / 35), r(11 / 35)),
    ]


def test_time_to_complete(marts):
    # flow never falls to 1/2: no KM median; the naive median of 10800 and 36000 is 23400.
    # simple: 7200 (done), 14400 (done), 432000 (open): S = 2/3 then 1/3, KM median 14400 s,
    # while the naive median of the completed two is 10800 s.
    rows = query(marts, """
        select template_name, journeys, journeys_completed, journeys_censored_open, journeys_censored_timed_out,
            km_median_seconds, naive_median_seconds_closed_only,
            p_complete_1h, p_complete_4h, p_complete_24h, p_complete_48h, p_complete_7d
        from journey_time_to_complete where template_name in ('flow', 'simple') order by 1""")
    assert rows == [
        ("flow", 8, 2, 3, 3, None, 23400.0, 0.0, r(1 / 7), r(11 / 35), r(11 / 35), r(11 / 35)),
        ("simple", 3, 2, 1, 0, 14400.0, 10800.0, 0.0, r(2 / 3), r(2 / 3), r(2 / 3), r(2 / 3)),
    ]


def test_order_adherence(marts):
    # m1: in order c1 c2 c3 c8 c6 c7; skipped by c5 (reached m2); not reached by c4.
    # m2: in order c1; out of order c5 (no m1) and c6 (m1 later); skipped by c2 (completed).
    rows = query(marts, """
        select template_name, milestone_order, milestone_name, journeys, journeys_in_order, journeys_out_of_order,
            journeys_skipped, journeys_not_reached, journeys_open, share_in_order, share_skipped
        from journey_order_adherence where template_name in ('flow', 'simple') order by 1, 2""")
    assert rows == [
        ("flow", 1, "m1", 8, 6, 0, 1, 1, 3, 0.75, 0.125),
        ("flow", 2, "m2", 8, 1, 2, 1, 4, 3, 0.125, 0.125),
        ("simple", 1, "tagged", 3, 1, 0, 1, 1, 1, r(1 / 3), r(1 / 3)),
    ]


def test_template_without_milestones(marts):
    # Steps: start and completed only. d1 completed in 1800 s with every (zero) milestone: in
    # order. d2 timed out at the start. KM: 2 at risk at 1800 s, one completes: S = 1/2.
    funnel = query(marts, """
        select step_index, step_name, journeys_started, journeys_reached, journeys_reached_in_order,
            share_of_previous, median_seconds_from_start
        from journey_funnel where template_name = 'direct' and dimension = 'all' order by step_index""")
    assert funnel == [(0, "start", 2, 2, 2, None, 0.0), (1, "completed", 2, 1, 1, 0.5, 1800.0)]
    durations = query(marts, """
        select transition_name, journeys, p50_seconds, max_seconds, is_bottleneck, target_seconds, target_breach_rate
        from journey_step_durations where template_name = 'direct' and dimension = 'all'""")
    assert durations == [("start -> completed", 1, 1800.0, 1800.0, True, None, None)]
    dropoffs = query(marts, """
        select outcome, step_name, journeys, share, is_biggest from journey_dropoffs where template_name = 'direct'""")
    assert dropoffs == [("timed_out", "start", 1, 1.0, True)]
    assert query(marts, "select count(*) from journey_order_adherence where template_name = 'direct'") == [(0,)]
    completion = query(marts, """
        select km_median_seconds, naive_median_seconds_closed_only, p_complete_1h, p_complete_4h
        from journey_time_to_complete where template_name = 'direct'""")
    assert completion == [(1800.0, 1800.0, 0.5, 0.5)]


# ---------------------------------------------------------------- invariants on the generated stream


def _journeys(marts) -> list[dict[str, Any]]:
    with duckdb.connect(str(marts["database"])) as connection:
        cursor = connection.execute("select * from journeys")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_bulk_stream_is_big_enough(marts):
    counts = dict(query(marts, "select template_name, count(*) from journeys group by 1"))
    for template in ("first_response", "new_customer_onboarding", "returns"):
        assert counts.get(template, 0) >= 30, counts


def test_shares_and_percentiles_are_bounded_and_ordered(marts):
    shares = {
        "journey_funnel": ["share_of_started", "in_order_share_of_started", "share_of_previous",
                           "closed_share_of_started", "closed_in_order_share_of_started", "closed_share_of_previous"],
        "journey_step_durations": ["target_breach_rate"],
        "journey_dropoffs": ["share"],
        "journey_daily": ["completion_rate", "closed_completion_rate"],
        "journey_completion_curve": ["survival", "completion_probability"],
        "journey_time_to_complete": ["p_complete_1h", "p_complete_4h", "p_complete_24h", "p_complete_48h", "p_complete_7d"],
        "journey_order_adherence": ["share_in_order", "share_out_of_order", "share_skipped", "share_not_reached"],
    }
    for table, columns in shares.items():
        for column in columns:
            bad = query(marts, f"select count(*) from {table} where {column} < 0 or {column} > 1")
            assert bad == [(0,)], (table, column)
    unordered = query(marts, """
        select count(*) from journey_step_durations
        where not (p50_seconds <= p75_seconds and p75_seconds <= p90_seconds and p90_seconds <= p95_seconds
                   and p95_seconds <= max_seconds and mean_seconds <= max_seconds)""")
    assert unordered == [(0,)]
    assert query(marts, "select count(*) from journey_step_durations where journeys > 0 and p50_seconds is null") == [(0,)]


def test_funnel_in_order_counts_never_increase_and_breakdowns_add_up(marts):
    rows = query(marts, """
        select template_name, dimension, dimension_value, list(journeys_reached_in_order order by step_index),
            list(closed_journeys_reached_in_order order by step_index)
        from journey_funnel group by 1, 2, 3""")
    for *_key, in_order, closed_in_order in rows:
        assert in_order == sorted(in_order, reverse=True), _key
        assert closed_in_order == sorted(closed_in_order, reverse=True), _key
    mismatched = query(marts, """
        with totals as (
            select template_name, dimension, step_index, sum(journeys_reached) as reached,
                sum(journeys_started) as started, sum(closed_journeys_reached_in_order) as closed_in_order
            from journey_funnel group by 1, 2, 3
        )
        select count(*) from totals as part
        inner join totals as whole
            on part.template_name = whole.template_name and part.step_index = whole.step_index
            and whole.dimension = 'all'
        where (part.reached, part.started, part.closed_in_order) <> (whole.reached, whole.started, whole.closed_in_order)""")
    assert mismatched == [(0,)]


def test_funnel_and_durations_match_a_python_recount(marts):
    """Recompute the `all` rows of the funnel and the step durations from journeys and
    journey_milestones in plain Python (numpy-style linear percentiles)."""
    journeys = {row["journey_id"]: row for row in _journeys(marts)}
    with duckdb.connect(str(marts["database"])) as connection:
        milestones = connection.execute(
            "select journey_id, milestone_order, reached, reached_at, in_order from journey_milestones").fetchall()
    steps: dict[str, dict[int, tuple]] = defaultdict(dict)  # journey -> index -> (reached_at, in_order)
    for journey_id, row in journeys.items():
        steps[journey_id][0] = (row["started_at"], True)
        steps[journey_id][row["milestones_total"] + 1] = (
            (row["ended_at"], row["milestones_reached"] == row["milestones_total"]) if row["status"] == "completed"
            else (None, None))
    for journey_id, order, reached, reached_at, in_order in milestones:
        steps[journey_id][order] = (reached_at if reached else None, in_order)

    reached = defaultdict(int)
    in_order_path = defaultdict(int)
    from_start = defaultdict(list)
    transitions = defaultdict(list)
    for journey_id, by_index in steps.items():
        template = journeys[journey_id]["template_name"]
        started = journeys[journey_id]["started_at"]
        path_ok = True
        for index in sorted(by_index):
            at, in_order = by_index[index]
            path_ok = path_ok and bool(in_order) and at is not None
            if at is not None:
                reached[template, index] += 1
                from_start[template, index].append((at - started).total_seconds())
            in_order_path[template, index] += path_ok
            before = by_index.get(index - 1)
            if before and before[0] is not None and at is not None and at >= before[0]:
                transitions[template, index - 1].append((at - before[0]).total_seconds())

    funnel = query(marts, """
        select template_name, step_index, journeys_reached, journeys_reached_in_order, median_seconds_from_start,
            p90_seconds_from_start
        from journey_funnel where dimension = 'all'""")
    assert len(funnel) == len(in_order_path)
    for template, index, got_reached, got_in_order, median, p90 in funnel:
        assert got_reached == reached[template, index], (template, index)
        assert got_in_order == in_order_path[template, index], (template, index)
        assert median == _maybe(_percentile(from_start[template, index], 0.5)), (template, index)
        assert p90 == _maybe(_percentile(from_start[template, index], 0.9)), (template, index)

    durations = query(marts, """
        select template_name, from_step_index, journeys, mean_seconds, p50_seconds, p75_seconds, p90_seconds,
            p95_seconds, max_seconds
        from journey_step_durations where dimension = 'all'""")
    for template, index, count, mean, *percentiles, longest in durations:
        values = transitions[template, index]
        assert count == len(values), (template, index)
        if values:
            assert mean == r(sum(values) / len(values))
            assert longest == r(max(values))
            assert percentiles == [r(_percentile(values, p)) for p in (0.5, 0.75, 0.9, 0.95)], (template, index)


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _maybe(value: float | None) -> float | None:
    return None if value is None else r(value)


def test_completion_curve_matches_a_python_kaplan_meier(marts):
    as_of = AS_OF
    observations: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for row in _journeys(marts):
        if row["status"] == "open":
            observations[row["template_name"]].append(((as_of - row["started_at"]).total_seconds(), False))
        else:
            observations[row["template_name"]].append((row["duration_seconds"], row["status"] == "completed"))
    curve = query(marts, """
        select template_name, t_seconds, at_risk, completions, censored, survival
        from journey_completion_curve order by template_name, t_seconds""")
    by_template = defaultdict(list)
    for template, *rest in curve:
        by_template[template].append(tuple(rest))
    assert set(by_template) == set(observations)
    for template, observed in observations.items():
        times = sorted({0.0} | {t for t, _ in observed})
        survival, expected = 1.0, []
        for t in times:
            at_risk = sum(1 for u, _ in observed if u >= t)
            completions = sum(1 for u, event in observed if u == t and event)
            censored = sum(1 for u, event in observed if u == t and not event)
            survival *= 1 - completions / at_risk if at_risk else 1
            expected.append((r(t), at_risk, completions, censored, r(survival)))
        assert by_template[template] == expected, template
        survivals = [row[4] for row in by_template[template]]
        assert survivals == sorted(survivals, reverse=True), template


def test_other_marts_agree_with_journeys(marts):
    open_journeys = query(marts, "select count(*) from journeys where status = 'open'")
    assert query(marts, "select count(*) from journey_stalls") == open_journeys
    daily = query(marts, """
        select template_name, sum(journeys_started), sum(journeys_completed), sum(journeys_open)
        from journey_daily where dimension = 'all' group by 1 order by 1""")
    assert daily == query(marts, """
        select template_name, count(*), count(*) filter (where status = 'completed'),
            count(*) filter (where status = 'open')
        from journeys group by 1 order by 1""")
    dropped = query(marts, """
        select template_name, sum(journeys), max(outcome_journeys) from journey_dropoffs
        where outcome = 'timed_out' group by 1 order by 1""")
    assert dropped == query(marts, """
        select template_name, count(*) filter (where status = 'timed_out'), count(*) filter (where status = 'timed_out')
        from journeys group by 1 order by 1""")
    adherence = query(marts, """
        select count(*) from journey_order_adherence
        where journeys_in_order + journeys_out_of_order + journeys_skipped + journeys_not_reached <> journeys""")
    assert adherence == [(0,)]
    stalled_flags = query(marts, """
        select count(*) from journey_stalls
        where is_stalled <> (waiting_seconds > coalesce(next_transition_p90_seconds, 1e18)
                             or seconds_since_start > coalesce(next_step_target_seconds, 1e18))""")
    assert stalled_flags == [(0,)]

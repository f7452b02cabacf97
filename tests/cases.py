"""Hand-worked journey cases, as data, each with the rows the contract says it must produce.

Every case is small enough to check by reading it against docs/contract.md and the decisions
of docs/semantics.md; the expected rows are written out by hand, never computed (the last
case, the contract's worked example, is read from the page). The same cases run against the plain-Python
reference (tests/test_reference.py) and can be run through the dbt build with
`compare_case(case, journeys, milestones)`.

Expected rows list only the columns that matter for the case. Journeys are matched by
(template_name, conversation_id, journey_number), milestone rows by those plus
milestone_order; the number of rows must match exactly. `expected_milestones=None` means
the case does not look at milestone rows.

Times: minute m is BASE + m minutes, written as naive UTC ISO text in events (`at(m)`) and as
a naive datetime in expectations (`T(m)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

BASE = datetime(2026, 3, 1)


def T(minute: float) -> datetime:
    return BASE + timedelta(minutes=minute)


def at(minute: float) -> str:
    return T(minute).isoformat()


def as_of_text(minute: float) -> str:
    """An as-of time in the dbt var's format 'YYYY-MM-DD HH:MM:SS'."""
    return T(minute).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Case:
    name: str
    templates: list[dict]
    events: list[dict]
    as_of: str | None
    expected_journeys: list[dict]
    expected_milestones: list[dict] | None


# ---------------------------------------------------------------- builders


def ev(event_id: str, event_type: str, minute: float | str, conversation: str = "c1", **fields: Any) -> dict:
    """An event; `minute` is a grid minute or an explicit occurred_at text."""
    event = {
        "event_id": event_id,
        "conversation_id": conversation,
        "event_type": event_type,
        "occurred_at": at(minute) if isinstance(minute, (int, float)) else minute,
        "channel": None,
        "status": None,
        "tags": None,
        "agent_id": None,
        "team_id": None,
        "metadata": None,
    }
    event.update(fields)
    return event


def cond(field: str, op: str, value: Any = None) -> dict:
    return {"field": field, "op": op} if value is None else {"field": field, "op": op, "value": value}


def trigger(event: str, *conditions: dict) -> dict:
    return {"event": event, "conditions": list(conditions)}


def step(name: str, event: str, *conditions: dict) -> dict:
    return {"name": name, **trigger(event, *conditions)}


DONE = step("done", "conversation.marked_done")
RECEIVED = trigger("message.received")


def template(name: str, start: dict = RECEIVED, end: list[dict] | None = None,
             milestones: list[dict] | None = None, **extra: Any) -> dict:
    data = {"name": name, "title": name.replace("_", " ").title(), "start": start,
            "milestones": milestones or [], "end": end or [DONE]}
    data.update(extra)
    return data


def J(template_name: str, conversation: str, number: int, **columns: Any) -> dict:
    return {"template_name": template_name, "conversation_id": conversation, "journey_number": number, **columns}


def M(template_name: str, conversation: str, number: int, order: int, **columns: Any) -> dict:
    return {"template_name": template_name, "conversation_id": conversation, "journey_number": number,
            "milestone_order": order, **columns}


def completed(start: str, end_event: str, ended: float, started: float = 0, end_name: str = "done") -> dict:
    return {"start_event_id": start, "status": "completed", "end_name": end_name, "end_event_id": end_event,
            "started_at": T(started), "ended_at": T(ended), "duration_seconds": (ended - started) * 60.0}


def timed_out(start: str, deadline: float, started: float = 0) -> dict:
    return {"start_event_id": start, "status": "timed_out", "end_name": None, "end_event_id": None,
            "started_at": T(started), "ended_at": T(deadline), "duration_seconds": (deadline - started) * 60.0}


def still_open(start: str, started: float = 0) -> dict:
    return {"start_event_id": start, "status": "open", "end_name": None, "end_event_id": None,
            "started_at": T(started), "ended_at": None, "duration_seconds": None}


def reached(event_id: str, minute: float, in_order: bool = True, started: float = 0) -> dict:
    return {"reached": True, "event_id": event_id, "reached_at": T(minute),
            "seconds_from_start": (minute - started) * 60.0, "in_order": in_order}


NOT_REACHED = {"reached": False, "event_id": None, "reached_at": None, "seconds_from_start": None, "in_order": None}


# ---------------------------------------------------------------- journey cases

CASES: list[Case] = []


def add(case: Case) -> Case:
    CASES.append(case)
    return case


add(Case(
    "ties_in_time_broken_by_event_id",
    [template("t")],
    [
        # c1: same minute, e1 < e2: the start comes first, then the end closes it.
        ev("e2", "conversation.marked_done", 0, "c1"),
        ev("e1", "message.received", 0, "c1"),
        # c2: f1 (the end) sorts first, so nothing is open for it; f2 then opens a journey.
        ev("f2", "message.received", 0, "c2"),
        ev("f1", "conversation.marked_done", 0, "c2"),
        # c3: string order, not numeric: "x10" < "x9".
        ev("x9", "conversation.marked_done", 0, "c3"),
        ev("x10", "message.received", 0, "c3"),
    ],
    None,
    [
        J("t", "c1", 1, **completed("e1", "e2", 0)),
        J("t", "c2", 1, **still_open("f2")),
        J("t", "c3", 1, **completed("x10", "x9", 0)),
    ],
    [],
))

add(Case(
    "start_and_end_on_the_same_event_type",
    [template("reply", end=[step("replied", "message.received")])],
    [
        ev("m1", "message.received", 0),
        ev("m2", "message.received", 10),  # closes journey 1, never opens journey 2
        ev("m3", "message.received", 20),  # opens journey 2
        ev("m4", "message.received", 30),  # closes it
        ev("m5", "message.received", 40),  # opens journey 3, open at the as-of time
    ],
    None,
    [
        J("reply", "c1", 1, **completed("m1", "m2", 10, end_name="replied")),
        J("reply", "c1", 2, **completed("m3", "m4", 30, started=20, end_name="replied")),
        J("reply", "c1", 3, **still_open("m5", started=40)),
    ],
    [],
))

add(Case(
    "start_matching_event_while_open_is_ignored",
    [template("t")],
    [
        ev("a1", "message.received", 0),
        ev("a2", "message.received", 10),
        ev("a3", "conversation.marked_done", 20),
        ev("a4", "message.received", 30),
    ],
    None,
    [
        J("t", "c1", 1, **completed("a1", "a3", 20)),
        J("t", "c1", 2, **still_open("a4", started=30)),
    ],
    [],
))

add(Case(
    "end_exactly_at_the_deadline_completes",
    [template("t", timeout_hours=1)],
    [
        ev("c1-s", "message.received", 0, "c1"),
        ev("c1-d", "conversation.marked_done", 60, "c1"),  # at the deadline: completes
        ev("c2-s", "message.received", 0, "c2"),
        ev("c2-d", "conversation.marked_done", 61, "c2"),  # after it: timed out at minute 60
    ],
    None,
    [
        J("t", "c1", 1, **completed("c1-s", "c1-d", 60), deadline_at=T(60)),
        J("t", "c2", 1, **timed_out("c2-s", 60), deadline_at=T(60)),
    ],
    [],
))

add(Case(
    "fractional_timeout",
    [template("t", timeout_hours=0.5)],
    [
        ev("c1-s", "message.received", 0, "c1"),
        ev("c1-d", "conversation.marked_done", 30, "c1"),
        ev("c2-s", "message.received", 0, "c2"),
        ev("c2-d", "conversation.marked_done", 31, "c2"),
    ],
    None,
    [
        J("t", "c1", 1, **completed("c1-s", "c1-d", 30)),
        J("t", "c2", 1, **timed_out("c2-s", 30)),
    ],
    [],
))

add(Case(
    "milestone_exactly_at_the_deadline_counts_one_after_does_not",
    [template("t", timeout_hours=1, milestones=[
        step("tagged", "conversation.tagged"),
        step("side", "side_conversation.created"),
    ])],
    [
        ev("s", "message.received", 0),
        ev("g", "conversation.tagged", 60),
        ev("x", "side_conversation.created", 61),
        ev("d", "conversation.marked_done", 90),
    ],
    None,
    [J("t", "c1", 1, **timed_out("s", 60), milestones_reached=1, milestones_total=2)],
    [
        M("t", "c1", 1, 1, milestone_name="tagged", **reached("g", 60)),
        M("t", "c1", 1, 2, milestone_name="side", **NOT_REACHED),
    ],
))

add(Case(
    "milestone_on_the_closing_event",
    [template(
        "returns",
        milestones=[step("sent", "message.sent")],
        end=[step("label_sent", "message.sent", cond("metadata.template", "equals", "return_label"))],
    )],
    [
        # c1: one event reaches the milestone and closes the journey
        ev("c1-s", "message.received", 0, "c1"),
        ev("c1-x", "message.sent", 10, "c1", metadata={"template": "return_label"}),
        # c2: the milestone is reached first by a message that does not close
        ev("c2-s", "message.received", 0, "c2"),
        ev("c2-y1", "message.sent", 10, "c2", metadata={"template": "other"}),
        ev("c2-y2", "message.sent", 20, "c2", metadata={"template": "return_label"}),
    ],
    None,
    [
        J("returns", "c1", 1, **completed("c1-s", "c1-x", 10, end_name="label_sent"), milestones_reached=1),
        J("returns", "c2", 1, **completed("c2-s", "c2-y2", 20, end_name="label_sent"), milestones_reached=1),
    ],
    [
        M("returns", "c1", 1, 1, milestone_name="sent", **reached("c1-x", 10)),
        M("returns", "c2", 1, 1, milestone_name="sent", **reached("c2-y1", 10)),
    ],
))

add(Case(
    "start_event_never_reaches_its_own_milestone",
    [template("t", milestones=[step("again", "message.received")])],
    [
        ev("r1", "message.received", 0),
        ev("r2", "message.received", 10),
        ev("r3", "message.received", 15),  # a later match changes nothing
        ev("d", "conversation.marked_done", 20),
    ],
    None,
    [J("t", "c1", 1, **completed("r1", "d", 20), milestones_reached=1)],
    [M("t", "c1", 1, 1, milestone_name="again", **reached("r2", 10))],
))

add(Case(
    "first_listed_end_names_it",
    [
        template("specific_first", end=[
            step("label", "message.sent", cond("metadata.template", "equals", "return_label")),
            step("any_reply", "message.sent"),
        ]),
        template("generic_first", end=[
            step("any_reply", "message.sent"),
            step("label", "message.sent", cond("metadata.template", "equals", "return_label")),
        ]),
    ],
    [
        ev("c1-s", "message.received", 0, "c1"),
        ev("c1-x", "message.sent", 10, "c1", metadata={"template": "return_label"}),
        ev("c2-s", "message.received", 0, "c2"),
        ev("c2-y", "message.sent", 10, "c2"),
    ],
    None,
    [
        J("specific_first", "c1", 1, **completed("c1-s", "c1-x", 10, end_name="label")),
        J("specific_first", "c2", 1, **completed("c2-s", "c2-y", 10, end_name="any_reply")),
        J("generic_first", "c1", 1, **completed("c1-s", "c1-x", 10, end_name="any_reply")),
        J("generic_first", "c2", 1, **completed("c2-s", "c2-y", 10, end_name="any_reply")),
    ],
    [],
))

add(Case(
    "toggles_exactly_at_a_start_time",
    [
        # disabled before minute 10 (the opposite of the first toggle), enabled from minute 10 on
        template("late_enable", enabled=True, toggles=[{"at": at(10) + "Z", "enabled": True}]),
        # enabled before 10, disabled in [10, 20), enabled from 20 on
        template("gap", enabled=True, toggles=[
            {"at": at(10) + "Z", "enabled": False},
            {"at": at(20) + "Z", "enabled": True},
        ]),
    ],
    [
        ev("a", "message.received", 10, "c1"),
        ev("b", "message.received", 9, "c2"),
        ev("c", "message.received", 20, "c3"),
        ev("d", "message.received", 19, "c4"),
    ],
    None,
    [
        J("late_enable", "c1", 1, **still_open("a", started=10)),
        J("late_enable", "c3", 1, **still_open("c", started=20)),
        J("late_enable", "c4", 1, **still_open("d", started=19)),
        J("gap", "c2", 1, **still_open("b", started=9)),
        J("gap", "c3", 1, **still_open("c", started=20)),
    ],
    [],
))

add(Case(
    "start_while_disabled_then_after_re_enabling",
    [template("t", enabled=True, toggles=[
        {"at": at(10) + "Z", "enabled": False},
        {"at": at(30) + "Z", "enabled": True},
    ])],
    [
        ev("s1", "message.received", 20),  # disabled: ignored
        ev("d1", "conversation.marked_done", 25),  # nothing open
        ev("s2", "message.received", 40),
    ],
    None,
    [J("t", "c1", 1, **still_open("s2", started=40))],
    [],
))

add(Case(
    "disabling_while_open_does_not_stop_the_journey",
    [template("t", enabled=False, toggles=[{"at": at(10) + "Z", "enabled": False}],
              milestones=[step("tagged", "conversation.tagged")])],
    [
        ev("s", "message.received", 0),  # enabled before the first toggle
        ev("g", "conversation.tagged", 20),
        ev("d", "conversation.marked_done", 30),
        ev("s2", "message.received", 40),  # disabled now: no new journey
    ],
    None,
    [J("t", "c1", 1, **completed("s", "d", 30), milestones_reached=1)],
    [M("t", "c1", 1, 1, milestone_name="tagged", **reached("g", 20))],
))

add(Case(
    "reentry_false_after_timeout_and_after_completion",
    [
        template("once", timeout_hours=1, reentry=False),
        template("again", timeout_hours=1, reentry=True),
    ],
    [
        ev("s1", "message.received", 0, "c1"),
        ev("s2", "message.received", 60, "c1"),  # exactly at the deadline: the journey is still open
        ev("s3", "message.received", 61, "c1"),  # after the deadline: a new journey if re-entry allows
        ev("r1", "message.received", 0, "c2"),
        ev("rd", "conversation.marked_done", 5, "c2"),
        ev("r2", "message.received", 10, "c2"),
    ],
    None,
    [
        J("once", "c1", 1, **timed_out("s1", 60)),
        J("once", "c2", 1, **completed("r1", "rd", 5)),
        J("again", "c1", 1, **timed_out("s1", 60)),
        J("again", "c1", 2, **still_open("s3", started=61), deadline_at=T(121)),
        J("again", "c2", 1, **completed("r1", "rd", 5)),
        J("again", "c2", 2, **still_open("r2", started=10), deadline_at=T(70)),
    ],
    [],
))

add(Case(
    "deadline_equal_to_as_of_is_open",
    [template("t", timeout_hours=1)],
    [ev("s", "message.received", 0), ev("x", "conversation.tagged", 30)],
    as_of_text(60),
    [J("t", "c1", 1, **still_open("s"), deadline_at=T(60))],
    [],
))

add(Case(
    "deadline_before_as_of_is_timed_out",
    [template("t", timeout_hours=1)],
    [ev("s", "message.received", 0)],
    as_of_text(61),
    [J("t", "c1", 1, **timed_out("s", 60))],
    [],
))

add(Case(
    "default_as_of_is_the_latest_event_of_any_conversation",
    [template("t", timeout_hours=1)],
    [
        ev("s", "message.received", 0, "c1"),
        ev("x", "conversation.tagged", 61, "c2"),  # as-of = minute 61, past c1's deadline
        ev("y", "message.received", 1, "c3"),
        ev("z", "conversation.tagged", 61, "c3"),  # c3's deadline is 61 = as-of: still open
    ],
    None,
    [
        J("t", "c1", 1, **timed_out("s", 60)),
        J("t", "c3", 1, **still_open("y", started=1), deadline_at=T(61)),
    ],
    [],
))

add(Case(
    "out_of_order_milestones",
    [template("t", milestones=[
        step("a", "conversation.tagged"),
        step("b", "side_conversation.created"),
        step("c", "call.started"),
        step("d", "call.ended"),
    ])],
    [
        ev("c1-s", "message.received", 0, "c1"),
        ev("c1-b", "side_conversation.created", 10, "c1"),
        ev("c1-a", "conversation.tagged", 20, "c1"),
        ev("c1-c", "call.started", 30, "c1"),
        ev("c1-done", "conversation.marked_done", 40, "c1"),
        ev("c2-s", "message.received", 0, "c2"),
        ev("c2-d", "call.ended", 10, "c2"),
        ev("c2-a", "conversation.tagged", 20, "c2"),
    ],
    None,
    [
        J("t", "c1", 1, **completed("c1-s", "c1-done", 40), milestones_reached=3, milestones_total=4),
        J("t", "c2", 1, **still_open("c2-s"), milestones_reached=2, milestones_total=4),
    ],
    [
        M("t", "c1", 1, 1, milestone_name="a", **reached("c1-a", 20, in_order=True)),
        M("t", "c1", 1, 2, milestone_name="b", **reached("c1-b", 10, in_order=False)),
        M("t", "c1", 1, 3, milestone_name="c", **reached("c1-c", 30, in_order=True)),
        M("t", "c1", 1, 4, milestone_name="d", **NOT_REACHED),
        M("t", "c2", 1, 1, milestone_name="a", **reached("c2-a", 20, in_order=True)),
        M("t", "c2", 1, 2, milestone_name="b", **NOT_REACHED),
        M("t", "c2", 1, 3, milestone_name="c", **NOT_REACHED),
        M("t", "c2", 1, 4, milestone_name="d", **reached("c2-d", 10, in_order=False)),
    ],
))

add(Case(
    "milestones_reached_by_the_same_event_and_ties",
    [template("t", milestones=[
        step("first", "conversation.tagged", cond("metadata.tag", "equals", "x")),
        step("second", "conversation.tagged"),
    ])],
    [
        # c1: one event reaches both: the earlier milestone is at the same event, so in order
        ev("c1-s", "message.received", 0, "c1"),
        ev("c1-g", "conversation.tagged", 10, "c1", metadata={"tag": "x"}),
        # c2: same minute, h1 < h2: second is reached at h1, first only at h2 (after it)
        ev("c2-s", "message.received", 0, "c2"),
        ev("h2", "conversation.tagged", 10, "c2", metadata={"tag": "x"}),
        ev("h1", "conversation.tagged", 10, "c2", metadata={"tag": "y"}),
    ],
    None,
    [
        J("t", "c1", 1, **still_open("c1-s"), milestones_reached=2),
        J("t", "c2", 1, **still_open("c2-s"), milestones_reached=2),
    ],
    [
        M("t", "c1", 1, 1, **reached("c1-g", 10, in_order=True)),
        M("t", "c1", 1, 2, **reached("c1-g", 10, in_order=True)),
        M("t", "c2", 1, 1, **reached("h2", 10, in_order=True)),
        M("t", "c2", 1, 2, **reached("h1", 10, in_order=False)),
    ],
))

add(Case(
    "duplicate_event_ids_keep_the_first_copy",
    [template("t")],
    [
        ev("e1", "message.received", 0, "c1"),
        ev("e1", "conversation.marked_done", 5, "c1"),  # duplicate: ignored
        ev("e2", "conversation.marked_done", 10, "c1"),
        ev("e2", "conversation.marked_done", 1, "c1"),  # duplicate with another time: ignored
        ev("e3", "message.received", 20, "c2"),
        ev("e3", "message.received", 30, "c1"),  # duplicate in another conversation: ignored
        ev("e0", "conversation.marked_done", 15, "c1", channel="chat"),
        ev("e0", "message.received", 12, "c1", channel="email"),  # the second copy would start one
    ],
    None,
    [
        J("t", "c1", 1, **completed("e1", "e2", 10)),
        J("t", "c2", 1, **still_open("e3", started=20)),
    ],
    [],
))

add(Case(
    "explicit_as_of_earlier_than_some_events",
    [template("t", timeout_hours=1, milestones=[step("tagged", "conversation.tagged")])],
    [
        ev("s", "message.received", 0, "c1"),
        ev("g", "conversation.tagged", 25, "c1"),  # after the as-of time: does not count
        ev("d", "conversation.marked_done", 30, "c1"),  # after the as-of time: does not close
        ev("s2", "message.received", 25, "c2"),  # after the as-of time: opens nothing
        ev("r", "message.received", -100, "c3"),  # deadline minute -40, before the as-of time
        ev("rd", "conversation.marked_done", 30, "c3"),
    ],
    as_of_text(20),
    [
        J("t", "c1", 1, **still_open("s"), milestones_reached=0),
        J("t", "c3", 1, **timed_out("r", -40, started=-100), milestones_reached=0),
    ],
    [
        M("t", "c1", 1, 1, **NOT_REACHED),
        M("t", "c3", 1, 1, **NOT_REACHED),
    ],
))

add(Case(
    "timestamps_with_offsets_are_utc",
    [template("t")],
    [
        ev("b", "message.received", "2026-03-01T01:00:00+01:00"),  # minute 0
        ev("a", "conversation.marked_done", "2026-03-01T00:00:00Z"),  # minute 0, sorts first
        ev("c", "conversation.marked_done", "2026-02-28T19:10:00-05:00"),  # minute 10
    ],
    None,
    [J("t", "c1", 1, **completed("b", "c", 10))],
    [],
))

add(Case(
    "start_event_attributes",
    [template("t")],
    [
        ev("s1", "message.received", 0, "c1", channel="", team_id="team'1", agent_id=None, status="open"),
        ev("d1", "conversation.marked_done", 5, "c1", channel="email", team_id="t2", agent_id="a2"),
        ev("s2", "message.received", 10, "c1", channel="chat", team_id="", agent_id="ágent"),
    ],
    None,
    [
        J("t", "c1", 1, **completed("s1", "d1", 5), channel=None, team_id="team'1", agent_id=None,
          milestones_reached=0, milestones_total=0),
        J("t", "c1", 2, **still_open("s2", started=10), channel="chat", team_id=None, agent_id="ágent"),
    ],
    [],
))

add(Case(
    "any_and_all_nesting",
    [template("t", start=trigger(
        "message.received",
        {"any": [
            cond("channel", "equals", "email"),
            {"all": [cond("tags", "contains", "vip"), cond("metadata.rating", "gte", 4)]},
        ]},
        cond("status", "not_equals", "done"),
    ))],
    [
        ev("e1", "message.received", 0, "c1", channel="email", status="open"),
        ev("e2", "message.received", 0, "c2", channel="chat", tags=["vip"], metadata={"rating": 4}),
        ev("e3", "message.received", 0, "c3", channel="chat", tags=["vip"], metadata={"rating": 3}),
        ev("e4", "message.received", 0, "c4", channel="email", status="done"),
    ],
    None,
    [
        J("t", "c1", 1, **still_open("e1")),
        J("t", "c2", 1, **still_open("e2")),
    ],
    [],
))

add(Case(
    "conversation_and_event_ids_with_quotes_and_non_ascii",
    [template("t", start=trigger("message.received", cond("channel", "equals", "it's \"x\" -- %_ \\ é日本🙂")))],
    [
        ev("e'1", "message.received", 0, "c'o\"nv 日本", channel="it's \"x\" -- %_ \\ é日本🙂"),
        ev("é2", "conversation.marked_done", 5, "c'o\"nv 日本"),
        # LIKE-style wildcards must not match: '%' and '_' are plain characters
        ev("e3", "message.received", 0, "c2", channel="it's \"x\" -- ab \\ é日本🙂"),
    ],
    None,
    [J("t", "c'o\"nv 日本", 1, **completed("e'1", "é2", 5))],
    [],
))


# ---------------------------------------------------------------- operators, one row each

# (field, op, value, event fields, holds?) with the field present; worked by hand from 3.1.
QUOTED = "o'brien \"x\" -- %_ \\ é日本🙂"
OPERATORS_ON_VALUES: list[tuple[str, str, Any, dict, bool]] = [
    # strings: exact, case-sensitive, substring, prefix, one of
    ("channel", "equals", "email", {"channel": "email"}, True),
    ("channel", "equals", "Email", {"channel": "email"}, False),
    ("channel", "not_equals", "email", {"channel": "email"}, False),
    ("channel", "not_equals", "chat", {"channel": "email"}, True),
    ("channel", "contains", "mai", {"channel": "email"}, True),
    ("channel", "contains", "MAI", {"channel": "email"}, False),
    ("channel", "contains", "", {"channel": "email"}, True),
    ("channel", "not_contains", "mai", {"channel": "email"}, False),
    ("channel", "not_contains", "x", {"channel": "email"}, True),
    ("channel", "starts_with", "em", {"channel": "email"}, True),
    ("channel", "starts_with", "ma", {"channel": "email"}, False),
    ("channel", "in", ["chat", "email"], {"channel": "email"}, True),
    ("channel", "in", ["chat"], {"channel": "email"}, False),
    ("channel", "not_in", ["chat"], {"channel": "email"}, True),
    ("channel", "not_in", ["email", "chat"], {"channel": "email"}, False),
    ("channel", "is_set", None, {"channel": "email"}, True),
    ("channel", "is_not_set", None, {"channel": "email"}, False),
    ("channel", "is_set", None, {"channel": " "}, True),  # a blank is not an empty string
    ("channel", "equals", "", {"channel": ""}, False),  # '' is missing, so never equal
    ("channel", "not_equals", "", {"channel": ""}, True),
    ("status", "equals", "open", {"status": "open"}, True),
    ("agent_id", "starts_with", "a", {"agent_id": "a1"}, True),
    ("team_id", "not_equals", "t1", {"team_id": "t2"}, True),
    # values are data: quotes, backslashes, --, %, _ and non-ASCII compare literally
    ("channel", "equals", QUOTED, {"channel": QUOTED}, True),
    ("channel", "equals", "o_brien \"x\" -- %_ \\ é日本🙂", {"channel": QUOTED}, False),
    ("channel", "contains", "%_", {"channel": QUOTED}, True),
    ("channel", "contains", "%", {"channel": "abc"}, False),
    ("channel", "contains", "_", {"channel": "abc"}, False),
    ("channel", "starts_with", "_", {"channel": "abc"}, False),
    ("channel", "starts_with", "%", {"channel": "abc"}, False),
    ("channel", "starts_with", "o'", {"channel": QUOTED}, True),
    ("channel", "contains", "\\", {"channel": QUOTED}, True),
    ("channel", "contains", "日本", {"channel": QUOTED}, True),
    ("channel", "in", ["x", QUOTED], {"channel": QUOTED}, True),
    ("channel", "equals", "é", {"channel": "e\u0301"}, False),  # no Unicode normalisation
    # tags
    ("tags", "equals", "vip", {"tags": ["vip", "returns"]}, False),
    ("tags", "equals", "vip", {"tags": ["vip"]}, True),
    ("tags", "not_equals", "vip", {"tags": ["vip", "returns"]}, True),
    ("tags", "not_equals", "vip", {"tags": ["vip"]}, False),
    ("tags", "contains", "vip", {"tags": ["vip", "returns"]}, True),
    ("tags", "contains", "vi", {"tags": ["vip", "returns"]}, False),  # a tag, not a substring
    ("tags", "not_contains", "vip", {"tags": ["vip", "returns"]}, False),
    ("tags", "not_contains", "vi", {"tags": ["vip", "returns"]}, True),
    ("tags", "starts_with", "ret", {"tags": ["vip", "returns"]}, True),
    ("tags", "starts_with", "x", {"tags": ["vip", "returns"]}, False),
    ("tags", "in", ["x", "returns"], {"tags": ["vip", "returns"]}, True),
    ("tags", "in", ["x"], {"tags": ["vip", "returns"]}, False),
    ("tags", "not_in", ["x"], {"tags": ["vip", "returns"]}, True),
    ("tags", "not_in", ["vip"], {"tags": ["vip", "returns"]}, False),
    ("tags", "is_set", None, {"tags": ["vip"]}, True),
    ("tags", "is_not_set", None, {"tags": ["vip"]}, False),
    ("tags", "contains", "it's", {"tags": ["it's", "日本"]}, True),
    ("tags", "contains", "%", {"tags": ["abc"]}, False),
    # metadata: the JSON scalar as text
    ("metadata.rating", "equals", 5, {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "equals", "5", {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "equals", 5.0, {"metadata": {"rating": 5}}, False),  # '5.0' is not '5'
    ("metadata.rating", "equals", 5, {"metadata": {"rating": 5.0}}, False),
    ("metadata.rating", "equals", "5.0", {"metadata": {"rating": 5.0}}, True),
    ("metadata.rating", "equals", 4.5, {"metadata": {"rating": 4.5}}, True),
    ("metadata.ok", "equals", True, {"metadata": {"ok": True}}, True),
    ("metadata.ok", "equals", "true", {"metadata": {"ok": True}}, True),
    ("metadata.ok", "equals", "True", {"metadata": {"ok": True}}, False),
    ("metadata.ok", "equals", False, {"metadata": {"ok": False}}, True),
    ("metadata.ok", "is_set", None, {"metadata": {"ok": False}}, True),  # false is a value
    ("metadata.ok", "is_not_set", None, {"metadata": {"ok": False}}, False),
    ("metadata.n", "is_set", None, {"metadata": {"n": 0}}, True),  # so is 0
    ("metadata.k", "is_set", None, {"metadata": {"k": {}}}, True),  # and an empty object
    ("metadata.k", "is_set", None, {"metadata": {"k": "[]"}}, True),  # the text "[]" is not a list
    ("metadata.k", "is_set", None, {"metadata": {"k": " "}}, True),
    ("metadata.rating", "not_equals", 5, {"metadata": {"rating": 5}}, False),
    ("metadata.rating", "not_equals", 4, {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "contains", "5", {"metadata": {"rating": 45}}, True),
    ("metadata.note", "contains", "ll", {"metadata": {"note": "hello"}}, True),
    ("metadata.note", "not_contains", "ll", {"metadata": {"note": "hello"}}, False),
    ("metadata.note", "starts_with", "he", {"metadata": {"note": "hello"}}, True),
    ("metadata.note", "starts_with", "lo", {"metadata": {"note": "hello"}}, False),
    ("metadata.rating", "in", [4, 5], {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "in", ["4", "5"], {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "in", [4], {"metadata": {"rating": 5}}, False),
    ("metadata.rating", "not_in", [5], {"metadata": {"rating": 5}}, False),
    ("metadata.rating", "not_in", [4], {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "gt", 4, {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "gt", 5, {"metadata": {"rating": 5}}, False),
    ("metadata.rating", "gte", 5, {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "lt", 5.5, {"metadata": {"rating": 5}}, True),
    ("metadata.rating", "lte", 4.9, {"metadata": {"rating": 5}}, False),
    ("metadata.rating", "gte", 4.5, {"metadata": {"rating": 4.5}}, True),
    ("metadata.rating", "lt", 4.5, {"metadata": {"rating": 4.5}}, False),
    ("metadata.rating", "gt", 4, {"metadata": {"rating": "5"}}, True),  # numeric text counts
    ("metadata.rating", "gt", 4, {"metadata": {"rating": "five"}}, False),  # non-numeric never
    ("metadata.rating", "lt", 4, {"metadata": {"rating": "five"}}, False),
    ("metadata.rating", "lt", 1, {"metadata": {"rating": True}}, False),  # 'true' is not a number
    ("metadata.rating", "gt", -1, {"metadata": {"rating": {"a": 1}}}, False),
    ("metadata.rating", "lte", 0, {"metadata": {"rating": -0.5}}, True),
    ("metadata.a.b", "equals", "x", {"metadata": {"a": {"b": "x"}}}, True),
    ("metadata.a.b", "gt", 1, {"metadata": {"a": {"b": 2}}}, True),
    ("metadata.a", "equals", '{"b":"x"}', {"metadata": {"a": {"b": "x"}}}, True),
    ("metadata.a", "equals", "[1,2]", {"metadata": {"a": [1, 2]}}, True),
    ("metadata.a", "is_set", None, {"metadata": {"a": {"b": "x"}}}, True),
    ("metadata.q", "equals", QUOTED, {"metadata": {"q": QUOTED}}, True),
    ("metadata.q", "contains", "%", {"metadata": {"q": "abc"}}, False),
    ("metadata.q", "equals", "", {"metadata": {"q": ""}}, False),
]

# What every operator gives on a missing field (3.1), by hand: positive false, negative true.
OP_ON_MISSING: dict[str, bool] = {
    "equals": False, "not_equals": True,
    "contains": False, "not_contains": True,
    "starts_with": False,
    "in": False, "not_in": True,
    "gt": False, "gte": False, "lt": False, "lte": False,
    "is_set": False, "is_not_set": True,
}
OP_VALUE: dict[str, Any] = {
    "equals": "x", "not_equals": "x", "contains": "x", "not_contains": "x", "starts_with": "x",
    "in": ["x"], "not_in": ["x"], "gt": 1, "gte": 1, "lt": 1, "lte": 1, "is_set": None, "is_not_set": None,
}
NUMERIC = ("gt", "gte", "lt", "lte")
# Every way a field can be missing, as event fields.
MISSING_FORMS: dict[str, list[dict]] = {
    "channel": [{}, {"channel": None}, {"channel": ""}],
    "status": [{"status": None}, {"status": ""}],
    "agent_id": [{"agent_id": None}, {"agent_id": ""}],
    "team_id": [{"team_id": None}, {"team_id": ""}],
    "tags": [{"tags": None}, {"tags": []}],
    "metadata.k": [
        {"metadata": None}, {"metadata": {}}, {"metadata": {"k": None}},
        {"metadata": {"k": ""}}, {"metadata": {"k": []}},
    ],
    "metadata.a.b": [
        {"metadata": {"a": None}}, {"metadata": {"a": "x"}}, {"metadata": {"a": {}}},
        {"metadata": {"a": {"b": ""}}}, {"metadata": {"a": {"b": None}}}, {"metadata": {"a": {"b": []}}},
        {"metadata": {"a": [1]}},
    ],
}
OPERATORS_ON_MISSING: list[tuple[str, str, Any, dict, bool]] = [
    (name, op, OP_VALUE[op], fields, OP_ON_MISSING[op])
    for name, forms in MISSING_FORMS.items()
    for fields in forms
    for op in OP_ON_MISSING
    if name.startswith("metadata.") or op not in NUMERIC
]


def operator_case(name: str, rows: list[tuple[str, str, Any, dict, bool]]) -> Case:
    """All rows in one build: row i is template op_i and conversation row_i with one event.

    A second condition on a discriminator field (team_id, or agent_id when team_id is the field
    under test) makes template op_i see only its own conversation's event.
    """
    templates, events, expected = [], [], []
    for index, (field_name, op, value, fields, holds) in enumerate(rows):
        marker = "agent_id" if field_name == "team_id" else "team_id"
        template_name = f"op_{index:03d}"
        conversation = f"row_{index:03d}"
        templates.append(template(template_name, start=trigger(
            "message.received", cond(field_name, op, value), cond(marker, "equals", conversation),
        )))
        events.append(ev(f"ev_{index:03d}", "message.received", 0, conversation, **{marker: conversation, **fields}))
        if holds:
            expected.append(J(template_name, conversation, 1, **still_open(f"ev_{index:03d}")))
    return Case(name, templates, events, None, expected, [])


add(operator_case("operators_on_present_values", OPERATORS_ON_VALUES))
add(operator_case("operators_on_missing_values", OPERATORS_ON_MISSING))


def _contract_example() -> Case:
    """docs/contract.md §5, read from the page: the doc's worked example is a case like the others."""
    from tests.contract_doc import worked_example

    example = worked_example()
    return Case("contract_worked_example", [example["template"]], example["events"], None,
                example["journeys"], example["milestones"])


add(_contract_example())


# ---------------------------------------------------------------- comparing


def _same(expected: Any, actual: Any) -> bool:
    """Equal as the contract means it: floats within 1e-6, timestamps exactly (as naive UTC)."""
    if expected is None or isinstance(expected, bool):
        return actual is expected or (isinstance(actual, bool) and actual == expected)
    if isinstance(expected, float):
        return (isinstance(actual, (int, float)) and not isinstance(actual, bool)
                and math.isclose(expected, actual, rel_tol=0, abs_tol=1e-6))
    if isinstance(expected, datetime):
        if isinstance(actual, str):
            actual = datetime.fromisoformat(actual)
        if isinstance(actual, datetime) and actual.tzinfo is not None:
            actual = actual.astimezone(timezone.utc).replace(tzinfo=None)
        return actual == expected
    return expected == actual


def compare_case(case: Case, journeys: list[dict], milestones: list[dict]) -> list[str]:
    """Differences between a case's expected rows and actual table rows; empty when they agree."""
    problems: list[str] = []
    key = lambda row: (row["template_name"], row["conversation_id"], row["journey_number"])  # noqa: E731
    actual_journeys = {key(row): row for row in journeys}
    if len(actual_journeys) != len(journeys):
        problems.append("journeys: duplicate (template, conversation, journey_number) rows")
    expected_keys = [key(row) for row in case.expected_journeys]
    missing = [k for k in expected_keys if k not in actual_journeys]
    extra = sorted(set(actual_journeys) - set(expected_keys))
    if missing:
        problems.append(f"journeys missing: {missing}")
    if extra:
        problems.append(f"journeys not expected: {[actual_journeys[k] for k in extra]}")
    for expected in case.expected_journeys:
        actual = actual_journeys.get(key(expected))
        if actual is None:
            continue
        for column, value in expected.items():
            if not _same(value, actual.get(column)):
                problems.append(f"journey {key(expected)} {column}: expected {value!r}, got {actual.get(column)!r}")

    if case.expected_milestones is None:
        return problems
    number_of = {row["journey_id"]: row["journey_number"] for row in journeys}
    mkey = lambda row: (row["template_name"], row["conversation_id"], row["journey_number"],  # noqa: E731
                        row["milestone_order"])
    actual_milestones = {}
    for row in milestones:
        row = {**row, "journey_number": number_of.get(row["journey_id"])}
        actual_milestones[mkey(row)] = row
    expected_mkeys = [mkey(row) for row in case.expected_milestones]
    missing = [k for k in expected_mkeys if k not in actual_milestones]
    extra = sorted(set(actual_milestones) - set(expected_mkeys), key=repr)
    if missing:
        problems.append(f"milestones missing: {missing}")
    if extra:
        problems.append(f"milestones not expected: {[actual_milestones[k] for k in extra]}")
    for expected in case.expected_milestones:
        actual = actual_milestones.get(mkey(expected))
        if actual is None:
            continue
        for column, value in expected.items():
            if not _same(value, actual.get(column)):
                problems.append(
                    f"milestone {mkey(expected)} {column}: expected {value!r}, got {actual.get(column)!r}")
    return problems

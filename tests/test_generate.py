"""The demo data generator: deterministic, within the contract, and rich enough for the templates."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from journey_compiler.generate import EVENT_COLUMNS, generate_events, write_events

PROJECT = Path(__file__).resolve().parents[1]
START = datetime(2026, 9, 1, tzinfo=timezone.utc)


def _catalog() -> dict[str, set[str]]:
    with (PROJECT / "seeds" / "event_catalog.csv").open(newline="", encoding="utf-8") as handle:
        return {row["event_type"]: set(filter(None, row["metadata_keys"].split("|")))
                for row in csv.DictReader(handle)}


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return list(generate_events(2000, seed=7))


@pytest.fixture(scope="module")
def conversations(events) -> dict[str, list[dict]]:
    """Events per conversation, duplicates dropped, in contract order (occurred_at, event_id)."""
    seen, by_conversation = set(), defaultdict(list)
    for event in events:
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            by_conversation[event["conversation_id"]].append(event)
    for items in by_conversation.values():
        items.sort(key=lambda e: (_ts(e["occurred_at"]), e["event_id"]))
    return dict(by_conversation)


def test_deterministic_for_a_seed():
    first = list(generate_events(300, seed=3))
    assert first == list(generate_events(300, seed=3))
    assert first != list(generate_events(300, seed=4))
    assert list(generate_events(300, seed=3, fresh=1.0)) == list(generate_events(300, seed=3, fresh=1.0))


def test_deterministic_past_the_shape_pool():
    """Beyond the pool of simulated conversations, replayed ones are deterministic too."""
    a = [e["event_id"] + e["occurred_at"] + e["ingested_at"] for e in generate_events(6000, seed=9)]
    b = [e["event_id"] + e["occurred_at"] + e["ingested_at"] for e in generate_events(6000, seed=9)]
    assert a == b


def test_streams_lazily():
    """A huge request yields its first events at once: nothing is built up front."""
    first = list(islice(generate_events(50_000_000, seed=1), 50))
    assert len(first) == 50
    assert first[0]["conversation_id"] == "conv_00000001"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_catalog_types_appear_and_no_others(seed):
    catalog = _catalog()
    assert len(catalog) == 24
    seen = Counter(e["event_type"] for e in generate_events(300, seed=seed))
    assert set(seen) == set(catalog)


def test_metadata_keys_are_the_catalog_ones(events):
    catalog = _catalog()
    for event in events:
        assert set(event["metadata"]) <= catalog[event["event_type"]], event


def test_required_fields_and_types(events):
    for event in events:
        assert tuple(event) == EVENT_COLUMNS
        for column in ("event_id", "conversation_id", "event_type", "occurred_at"):
            assert isinstance(event[column], str) and event[column]
        assert event["channel"] in {"email", "chat", "phone", "whatsapp", "web"}
        assert event["status"] in {"open", "pending", "snoozed", "done"}
        assert isinstance(event["tags"], list) and all(isinstance(t, str) for t in event["tags"])
        assert isinstance(event["metadata"], dict)
        assert event["agent_id"] is None or event["agent_id"].startswith("agent_")
        assert isinstance(event["ingested_at"], str)
    agents = {e["agent_id"] for e in events} - {None}
    teams = {e["team_id"] for e in events} - {None}
    assert len(agents) > 30
    assert {"billing", "returns", "tech", "onboarding"} <= teams


def test_timestamps_parse_with_offsets_and_stay_in_the_window(events):
    offsets = Counter()
    end = START + timedelta(days=30)
    for event in events:
        occurred, ingested = _ts(event["occurred_at"]), _ts(event["ingested_at"])
        assert occurred.tzinfo is not None and ingested.tzinfo is not None
        assert START <= occurred < end
        assert ingested >= occurred
        assert event["ingested_at"].endswith("Z")
        offsets[event["occurred_at"][-6:] if not event["occurred_at"].endswith("Z") else "Z"] += 1
    assert set(offsets) == {"Z", "+02:00", "-05:00"}
    assert 0.05 < (offsets["+02:00"] + offsets["-05:00"]) / len(events) < 0.15


def test_offsets_are_the_same_instant():
    """A local time with an offset is the UTC instant it replaces: the order stays right."""
    for items in _by_conversation(generate_events(500, seed=11)).values():
        instants = [_ts(e["occurred_at"]) for e in items]
        assert instants == sorted(instants)  # generation order is time order


def _by_conversation(events) -> dict[str, list[dict]]:
    out, seen = defaultdict(list), set()
    for event in events:
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            out[event["conversation_id"]].append(event)
    return out


def test_duplicates_and_late_deliveries(events):
    ids = Counter(e["event_id"] for e in events)
    duplicated = {i for i, n in ids.items() if n > 1}
    assert 0.002 < len(duplicated) / len(ids) < 0.01
    first: dict[str, dict] = {}
    for event in events:
        if event["event_id"] in first:
            original = first[event["event_id"]]
            assert {k: v for k, v in event.items() if k != "ingested_at"} == \
                   {k: v for k, v in original.items() if k != "ingested_at"}
            assert _ts(event["ingested_at"]) >= _ts(original["ingested_at"])
        else:
            first[event["event_id"]] = event
    late = [e for e in events if _ts(e["ingested_at"]) - _ts(e["occurred_at"]) > timedelta(hours=1)]
    assert 0.005 < len(late) / len(events) < 0.02


def test_about_ten_events_per_conversation(conversations):
    average = sum(len(v) for v in conversations.values()) / len(conversations)
    assert 8 <= average <= 13
    assert len(conversations) == 2000


def test_event_ids_follow_time_within_a_conversation(conversations):
    """Ids increase with time, so ties on occurred_at keep the order events happened in."""
    for items in conversations.values():
        ids = [e["event_id"] for e in items]
        assert ids == sorted(ids)
        assert items[0]["event_type"] == "conversation.created"


def test_returns_by_email_mix(conversations):
    returns = []
    for items in conversations.values():
        starts = [e for e in items if e["event_type"] == "message.received"
                  and e["channel"] == "email" and "returns" in e["tags"]]
        if starts:
            returns.append((items, starts[0]))
    assert 0.12 < len(returns) / len(conversations) < 0.25
    outcomes = Counter()
    for items, start in returns:
        after = items[items.index(start) + 1:]
        kinds = [(e["event_type"], e["metadata"].get("tag"), e["metadata"].get("purpose"),
                  e["metadata"].get("template")) for e in after]
        reason = ("conversation.tagged", "return_reason", None, None)
        rma = ("side_conversation.created", None, "rma", None)
        ends = [i for i, e in enumerate(after) if e["event_type"] == "conversation.marked_done"
                or e["metadata"].get("template") == "return_label"]
        if ends:
            end = after[ends[0]]
            hours = (_ts(end["occurred_at"]) - _ts(start["occurred_at"])) / timedelta(hours=1)
            outcomes["late_end" if hours > 168 else "ended"] += 1
            if hours == 168:
                outcomes["exactly_at_deadline"] += 1
            before_end = kinds[:ends[0] + 1]
        else:
            outcomes["no_end"] += 1
            before_end = kinds
        if reason in before_end and rma in before_end:
            outcomes["in_order" if before_end.index(reason) < before_end.index(rma) else "out_of_order"] += 1
        elif reason in before_end:
            outcomes["skipped_rma"] += 1
    assert outcomes["ended"] > 0.6 * len(returns)
    for outcome in ("late_end", "no_end", "in_order", "out_of_order", "skipped_rma", "exactly_at_deadline"):
        assert outcomes[outcome] > 0, outcomes


def test_first_contacts_and_csat(events, conversations):
    created = [e for e in events if e["event_type"] == "conversation.created"
               and e["metadata"].get("first_contact") is True and e["metadata"]["source"] != "merge"]
    assert 0.2 < len({e["conversation_id"] for e in created}) / len(conversations) < 0.3
    ratings = Counter(e["metadata"]["rating"] for e in events if e["event_type"] == "csat.rating")
    assert set(ratings) == {1, 2, 3, 4, 5}
    assert ratings[4] + ratings[5] > 0.65 * sum(ratings.values())


def test_message_authors_and_sla(events):
    authors = Counter(e["metadata"].get("author") for e in events if e["event_type"] == "message.sent")
    assert {"agent", "bot", "system", None} <= set(authors)
    assert authors["agent"] > authors["bot"] > authors[None]
    slas = [e["metadata"] for e in events if e["event_type"] in ("sla.met", "sla.breached")]
    assert {m["sla"] for m in slas} == {"first_response", "resolution"}
    assert all(isinstance(m["target_seconds"], int) for m in slas)


def test_first_response_cycles(conversations):
    """Several customer messages per conversation, and some left unanswered for over 48 hours."""
    received = sum(1 for items in conversations.values() for e in items if e["event_type"] == "message.received")
    assert received / len(conversations) > 1.3
    unanswered = 0
    for items in conversations.values():
        for i, event in enumerate(items):
            if event["event_type"] != "message.received":
                continue
            replies = [e for e in items[i + 1:] if e["event_type"] == "message.sent"
                       and e["metadata"].get("author") in ("agent", "bot", None)]
            if replies and _ts(replies[0]["occurred_at"]) - _ts(event["occurred_at"]) > timedelta(hours=48):
                unanswered += 1
    assert unanswered > 10


def test_snooze_until_is_a_later_timestamp(events):
    snoozes = [e for e in events if e["event_type"] == "conversation.snoozed"]
    assert snoozes
    for event in snoozes:
        assert _ts(event["metadata"]["until"]) > _ts(event["occurred_at"])


@pytest.mark.parametrize("name", ["events.jsonl", "events.csv", "events.parquet", "events.jsonl.gz"])
def test_write_events_round_trip(tmp_path, name):
    events = list(generate_events(120, seed=5))
    path = tmp_path / "out" / name
    assert write_events(path, iter(events)) == len(events)
    if name.endswith(".parquet"):
        rows = pq.read_table(path).to_pylist()
        back = [{**r, "metadata": json.loads(r["metadata"])} for r in rows]
    elif name.endswith(".csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            back = [{**r, "tags": json.loads(r["tags"]), "metadata": json.loads(r["metadata"]),
                     "agent_id": r["agent_id"] or None, "team_id": r["team_id"] or None}
                    for r in csv.DictReader(handle)]
    else:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            back = [json.loads(line) for line in handle]
    assert back == events


def test_write_events_empty_input(tmp_path):
    assert write_events(tmp_path / "empty.jsonl", []) == 0
    assert write_events(tmp_path / "empty.parquet", []) == 0
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0

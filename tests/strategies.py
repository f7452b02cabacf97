"""Hypothesis strategies: random templates (as the YAML's dicts) and random event streams.

Small vocabularies on purpose, so that triggers and conditions match often: a handful of
event types from the catalog, times on a coarse minute grid (many ties; deadlines landing
exactly on events and toggles), and per batch a few values drawn from pools with quotes,
backslashes, `--`, `%`, `_`, non-ASCII, blanks and empty strings (`Pools`). Templates and
events of one batch share those few values, so equality, prefixes and tag overlaps happen.

`batches()` (alias `many_cases()`) draws what one dbt build holds: many templates (distinct
names), one event stream over many conversations, and an optional as-of time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from tests.reference import catalog_event_types

BASE = datetime(2026, 3, 1)

EVENT_TYPES = (
    "message.received",
    "message.sent",
    "conversation.tagged",
    "conversation.marked_done",
    "csat.rating",
    "call.started",
)
assert set(EVENT_TYPES) <= catalog_event_types()

STRING_FIELDS = ("channel", "status", "agent_id", "team_id")
METADATA_FIELDS = ("metadata.k", "metadata.rating", "metadata.a", "metadata.a.b")
FIELDS = STRING_FIELDS + ("tags",) + METADATA_FIELDS
TEXT_OPS = ("equals", "not_equals", "contains", "not_contains", "starts_with", "in", "not_in")
NUMERIC_OPS = ("gt", "gte", "lt", "lte")
PRESENCE_OPS = ("is_set", "is_not_set")

# Everything a text value may be: plain, case variants, prefixes of each other, quotes,
# backslashes, SQL comment, LIKE wildcards, non-ASCII, a blank, and the empty string.
TEXTS = (
    "email", "chat", "em", "Email", "o'brien", "o'", 'say "hi"', "back\\slash", "a--b", "50%", "x_y",
    "%", "_", "é", "日本", "日本語", "🙂", " ", "",
)
TAGS = ("vip", "returns", "re", "it's", "日本", "🙂", "%", "_x", "a--b", "v")
# Text that dbt would read as Jinja if the compiler wrote it raw (issue 13.1), with what it
# would render to ("49"), prefixes of each other, quotes, backslashes and non-ASCII.
JINJA_TEXTS = (
    "{{ 7*7 }}", "49", "{{", "}}", "{%", "%}", "{#", "#}", "{% raw %}", "{% endraw %}", '{{ env_var("HOME") }}',
    "{{ \"it's\" }}", "back\\slash{", "é{日本}", "{", "o'{{", "{%- do run_query('select 1') -%}", " ", "",
)
JINJA_TAGS = ("{{ 7*7 }}", "49", "{%", "{#x#}", "{% raw %}", "é{", "{")
NUMBERS = (0, 1, 3, 4, 5, -1, 4.5, 5.0, 0.5)
METADATA_TEXTS = ("5", "4.5", "true", "[]", "{}", "five", " 3")

MINUTES = st.integers(min_value=0, max_value=60).map(lambda n: n * 5)  # 0..300 on a 5-minute grid
TIMEOUT_HOURS = (0.5, 1, 2, 0.25)


def minute_text(minute: int, style: str = "naive") -> str:
    """Grid minute as ISO text: naive (UTC), with Z, with an offset (+02:00, or the largest
    real ones, +18:00 and -18:00: same instant), or a fraction of a second after the grid
    minute (naive)."""
    moment = BASE + timedelta(minutes=minute)
    if style == "fraction":
        return (moment + timedelta(microseconds=250_001)).isoformat()
    if style == "z":
        return moment.isoformat() + "Z"
    if style == "offset":
        return (moment + timedelta(hours=2)).isoformat() + "+02:00"
    if style == "plus18":
        return (moment + timedelta(hours=18)).isoformat() + "+18:00"
    if style == "minus18":
        return (moment - timedelta(hours=18)).isoformat() + "-18:00"
    return moment.isoformat()


# Timestamps staging rejects (contract §1.3: not real instants, or unreadable), and the
# earliest real one, accepted (docs/semantics.md "Events").
BAD_TIMESTAMPS = (
    "infinity", "-infinity", "epoch", "2026-03-01T01:00:00+25:00", "1899-12-31T23:00:00Z",
    "10000-01-01T00:00:00", "294247-01-10T04:00:54Z", "yesterday",
)
EARLIEST_TIMESTAMP = "1900-01-01T00:00:00Z"
# ingested_at minus occurred_at, in minutes: late, on time, and the clock 60 minutes ahead
# (accepted) or 61 (rejected as 'occurred_at in the future').
INGESTED_AFTER_MINUTES = (0, 5, 120, -60, -61)


@st.composite
def event_times(draw) -> dict:
    """occurred_at, and sometimes ingested_at: mostly grid times, sometimes a rejected one."""
    minute = draw(MINUTES)
    kind = draw(st.sampled_from(("grid",) * 18 + ("bad", "earliest")))  # sampled: no bias to the ends
    if kind == "bad":
        times = {"occurred_at": draw(st.sampled_from(BAD_TIMESTAMPS))}
    elif kind == "earliest":
        times = {"occurred_at": EARLIEST_TIMESTAMP}
    else:
        styles = ("naive", "naive", "naive", "z", "offset", "fraction", "plus18", "minus18")
        times = {"occurred_at": minute_text(minute, draw(st.sampled_from(styles)))}
    ingested = draw(st.sampled_from(("none",) * 6 + ("relative",) * 3 + ("bad",)))
    if ingested == "bad":
        times["ingested_at"] = draw(st.sampled_from(("infinity", "soon", "")))
    elif ingested == "relative":
        after = draw(st.sampled_from(INGESTED_AFTER_MINUTES))
        times["ingested_at"] = (BASE + timedelta(minutes=minute + after)).isoformat() + "Z"
    return times


@dataclass(frozen=True)
class Pools:
    """The few values one batch uses, shared by its templates and events."""

    texts: tuple[str, ...] = ("email", "chat", "o'brien", "日本", "")
    tags: tuple[str, ...] = ("vip", "returns", "re", "日本")
    metadata_texts: tuple[str, ...] = ("5", "[]", "email")
    numbers: tuple[Any, ...] = (1, 4, 4.5, 5, 5.0)
    event_types: tuple[str, ...] = EVENT_TYPES


@st.composite
def pools(draw, texts: tuple[str, ...] = TEXTS, tags: tuple[str, ...] = TAGS) -> Pools:
    def few(values, low, high):
        return tuple(draw(st.lists(st.sampled_from(values), min_size=low, max_size=high, unique=True)))

    return Pools(
        texts=few(texts, 2, 5),
        tags=few(tags, 2, 4),
        metadata_texts=few(METADATA_TEXTS, 1, 3),
        numbers=few(NUMBERS, 2, 4),
        event_types=few(EVENT_TYPES, 3, 5),
    )


# ---------------------------------------------------------------- conditions


def _text_value(field: str, pool: Pools) -> st.SearchStrategy:
    if field == "tags":
        return st.one_of(st.sampled_from(pool.tags), st.sampled_from(TAGS + ("", "x")))
    if field.startswith("metadata."):
        return st.one_of(
            st.sampled_from(pool.texts), st.sampled_from(pool.metadata_texts),
            st.sampled_from(pool.numbers), st.booleans(),
        )
    return st.one_of(st.sampled_from(pool.texts), st.sampled_from(pool.texts), st.sampled_from(TEXTS))


@st.composite
def leaves(draw, pool: Pools = Pools()) -> dict:
    field = draw(st.sampled_from(FIELDS))
    ops = TEXT_OPS + PRESENCE_OPS + (NUMERIC_OPS if field.startswith("metadata.") else ())
    op = draw(st.sampled_from(ops))
    if op in PRESENCE_OPS:
        return {"field": field, "op": op}
    if op in NUMERIC_OPS:
        return {"field": field, "op": op, "value": draw(st.one_of(st.sampled_from(pool.numbers),
                                                                 st.sampled_from(NUMBERS)))}
    if op in ("in", "not_in"):
        return {"field": field, "op": op, "value": draw(st.lists(_text_value(field, pool), min_size=1, max_size=3))}
    return {"field": field, "op": op, "value": draw(_text_value(field, pool))}


def condition_nodes(pool: Pools = Pools(), depth: int = 2) -> st.SearchStrategy:
    """A leaf, or any:/all: of 1-3 nodes, nested up to `depth` levels."""
    if depth == 0:
        return leaves(pool)
    children = st.lists(condition_nodes(pool, depth - 1), min_size=1, max_size=3)
    return st.one_of(
        leaves(pool), leaves(pool),
        children.map(lambda nodes: {"any": nodes}),
        children.map(lambda nodes: {"all": nodes}),
    )


@st.composite
def triggers(draw, pool: Pools = Pools(), max_conditions: int = 2) -> dict:
    trigger: dict[str, Any] = {"event": draw(st.sampled_from(pool.event_types))}
    count = draw(st.sampled_from((0, 0, 1, 1, 2, 3)[:max_conditions * 2 + 2]))
    conditions = [draw(condition_nodes(pool)) for _ in range(count)]
    if conditions or draw(st.booleans()):
        trigger["conditions"] = conditions
    return trigger


@st.composite
def steps(draw, names: list[str], pool: Pools = Pools()) -> list[dict]:
    return [{"name": name, **draw(triggers(pool, max_conditions=1))} for name in names]


# ---------------------------------------------------------------- templates


@st.composite
def toggle_lists(draw) -> tuple[bool, list[dict]]:
    """(enabled, toggles): strictly increasing grid times, the last toggle agreeing with enabled."""
    count = draw(st.sampled_from((0, 0, 1, 2, 3)))
    if count == 0:
        return draw(st.sampled_from((True, True, True, False))), []
    enabled = draw(st.booleans())
    minutes = sorted(draw(st.sets(st.integers(min_value=-2, max_value=62).map(lambda n: n * 5),
                                  min_size=count, max_size=count)))
    states = [draw(st.booleans()) for _ in minutes[:-1]] + [enabled]
    style = draw(st.sampled_from(("z", "offset")))
    return enabled, [{"at": minute_text(m, style), "enabled": s} for m, s in zip(minutes, states)]


@st.composite
def templates(draw, name: str = "t", pool: Pools = Pools()) -> dict:
    """One template as the YAML's dict: 0-3 milestones, 1-3 ends, optional timeout, re-entry,
    enabled and toggles."""
    milestone_count = draw(st.integers(min_value=0, max_value=3))
    end_count = draw(st.integers(min_value=1, max_value=3))
    enabled, toggles = draw(toggle_lists())
    data: dict[str, Any] = {
        "name": name,
        "title": f"Template {name} " + draw(st.sampled_from(pool.texts)),
        "description": draw(st.sampled_from(pool.texts)),
        "start": draw(triggers(pool)),
        "milestones": draw(steps([f"m{i}" for i in range(milestone_count)], pool)),
        "end": draw(steps([f"end{i}" for i in range(end_count)], pool)),
        "enabled": enabled,
    }
    if toggles:
        data["toggles"] = toggles
    timeout = draw(st.one_of(st.none(), st.sampled_from(TIMEOUT_HOURS)))
    if timeout is not None:
        data["timeout_hours"] = timeout
    reentry = draw(st.sampled_from((None, True, False)))
    if reentry is not None:
        data["reentry"] = reentry
    return data


# ---------------------------------------------------------------- events

CONVERSATION_IDS = ("c1", "c2", "c'3", 'c"4', "日本5", "c🙂6", "c-7", "c_8", "C9")
EVENT_ID_FLAVOURS = ("e{n}", "e{n}", "e{n}'", "é{n}", 'x"{n}', "E{n}", "{n}", "日{n}")


def _metadata_scalar(pool: Pools) -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(pool.texts),
        st.sampled_from(pool.numbers),
        st.sampled_from(pool.numbers),
        st.sampled_from(pool.metadata_texts),
        st.booleans(),
        st.sampled_from((None, "", [], [1, "x"], {}, {"z": "é\"'"})),
    )


@st.composite
def metadata_values(draw, pool: Pools = Pools()) -> dict | None:
    """None, or an object whose keys k, rating, a (maybe nested {b, c}), other may be absent."""
    if draw(st.integers(0, 6)) == 0:
        return None
    metadata: dict[str, Any] = {}
    for key in ("k", "rating", "a", "other"):
        if draw(st.integers(0, 3)) == 0:
            continue  # absent
        if key == "a" and draw(st.integers(0, 2)):
            nested: dict[str, Any] = {}
            if draw(st.integers(0, 4)):
                nested["b"] = draw(_metadata_scalar(pool))
            if draw(st.booleans()):
                nested["c"] = draw(st.sampled_from(pool.texts))
            metadata[key] = nested
        else:
            metadata[key] = draw(_metadata_scalar(pool))
    return metadata


def _string_field(pool: Pools) -> st.SearchStrategy:
    return st.one_of(st.none(), st.sampled_from(pool.texts), st.sampled_from(pool.texts), st.sampled_from(pool.texts))


@st.composite
def event_bodies(draw, conversation_ids: list[str], pool: Pools = Pools()) -> dict:
    """An event without its id; now and then with a time staging rejects (event_times)."""
    tag_lists = st.lists(st.sampled_from(pool.tags), min_size=1, max_size=3, unique=True)
    return {
        "conversation_id": draw(st.sampled_from(conversation_ids)),
        "event_type": draw(st.one_of(st.sampled_from(pool.event_types), st.sampled_from(pool.event_types),
                                     st.sampled_from(EVENT_TYPES))),
        **draw(event_times()),
        "channel": draw(_string_field(pool)),
        "status": draw(_string_field(pool)),
        "tags": draw(st.one_of(st.none(), st.just([]), tag_lists, tag_lists)),
        "agent_id": draw(_string_field(pool)),
        "team_id": draw(_string_field(pool)),
        "metadata": draw(metadata_values(pool)),
    }


@st.composite
def event_streams(draw, min_conversations: int = 1, max_conversations: int = 6,
                  min_events: int = 0, max_events: int = 60, pool: Pools = Pools()) -> list[dict]:
    """Events over a few conversations: ties in time, duplicated ids (the first copy wins,
    later copies may differ), shuffled order, ids with quotes and non-ASCII."""
    count = draw(st.integers(min_value=min_conversations, max_value=max_conversations))
    conversation_ids = [
        CONVERSATION_IDS[i] if i < len(CONVERSATION_IDS) else f"c{i}" + draw(st.sampled_from(("", "'", "é")))
        for i in range(count)
    ]
    n_events = draw(st.integers(min_value=min_events, max_value=max_events))
    events = []
    for n in range(n_events):
        flavour = draw(st.sampled_from(EVENT_ID_FLAVOURS))
        events.append({"event_id": flavour.format(n=n), **draw(event_bodies(conversation_ids, pool))})
    # duplicates: the same id again, with the same or different content
    if events:
        for _ in range(draw(st.integers(min_value=0, max_value=max(1, n_events // 8)))):
            original = draw(st.sampled_from(events))
            if draw(st.booleans()):
                duplicate = copy.deepcopy(original)
            else:
                duplicate = {"event_id": original["event_id"], **draw(event_bodies(conversation_ids, pool))}
            events.append(duplicate)
    return draw(st.permutations(events))


# ---------------------------------------------------------------- one build's worth


@st.composite
def batches(draw, min_templates: int = 10, max_templates: int = 20,
            min_conversations: int = 10, max_conversations: int = 30,
            texts: tuple[str, ...] = TEXTS, tags: tuple[str, ...] = TAGS) -> dict:
    """{templates, events, as_of}: many templates (distinct names) and conversations per build;
    `texts` and `tags` are what values are drawn from (JINJA_TEXTS: text dbt would render)."""
    pool = draw(pools(texts, tags))
    n_templates = draw(st.integers(min_value=min_templates, max_value=max_templates))
    template_list = [draw(templates(name=f"t{i:02d}", pool=pool)) for i in range(n_templates)]
    events = draw(event_streams(min_conversations=min_conversations, max_conversations=max_conversations,
                                min_events=min_conversations * 4, max_events=max_conversations * 8, pool=pool))
    as_of = draw(st.one_of(
        st.none(), st.none(),
        MINUTES.map(lambda m: (BASE + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S")),
    ))
    return {"templates": template_list, "events": events, "as_of": as_of}


def many_cases() -> st.SearchStrategy:
    """One dbt build's worth of templates, events and as-of (same as `batches()`)."""
    return batches()

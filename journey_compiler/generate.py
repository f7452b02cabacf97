"""Synthetic customer-support events for demos, tests and benchmarks.

`generate_events(conversations, seed)` streams event dicts in the shape of the event contract
(docs: semantics section 1): one conversation at a time, conversations in order of their start
time, so memory stays flat however many events are asked for. The same seed and arguments give
the same events, byte for byte.

What the data holds, so every journey template in `journeys/` has something real to measure:

* all 24 catalog event types, over email, chat, phone, whatsapp and web conversations, with a
  daily and weekly rhythm (quiet nights and weekends);
* about 15% of conversations are returns by email (`message.received`, channel email, tag
  `returns`), mostly completed (`conversation.tagged` tag `return_reason`, an RMA side
  conversation, a `return_label` message), some skipping the RMA, some reaching the milestones
  out of order, some stalling past the 168 hour timeout, a few ended by `conversation.marked_done`
  only, a few closed exactly at the deadline, a few with a second return later on;
* about 25% of conversations are a new customer's first contact
  (`conversation.created` with `metadata.first_contact = true`), rated by CSAT more often;
* several reply cycles per conversation, customer messages answered by agents and bots, some
  never answered within 48 hours, `message.sent` authored by agent, bot, system or nobody;
* snoozes, reopenings, escalations, reassignments, agent presence, SLA met/breached, calls
  (answered, missed, voicemail, call backs), AI drafts and hand-offs, abandoned conversations
  and waits of days;
* about 0.5% duplicate deliveries (the same `event_id` again, ingested again later) and about
  1% late deliveries (`ingested_at` hours after `occurred_at`);
* `occurred_at` in UTC with `Z`, and about 10% of events with a `+02:00` or `-05:00` offset
  (the same instant, written as a local time) to exercise normalisation.

Events after the end of the window (`start + days`) are not emitted: the data is an export taken
at that moment, so conversations started near the end are still going on.

Events of one conversation share one `tags` list object until the tags change, and a duplicate
delivery shares `tags` and `metadata` with its original: treat yielded events as read-only.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from math import log
from pathlib import Path
from random import Random
from typing import IO, Any

from journey_compiler.ingest import EVENT_COLUMNS  # the contract's columns (§1), one home

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEVER = 1 << 62

# Rates the tests and the docs rely on.
RETURNS_EMAIL_SHARE = 0.15
DUPLICATE_RATE = 0.005
LATE_RATE = 0.01
OFFSET_RATE = 0.10
# Past the first _POOL_SIZE conversations, the share simulated from scratch (the rest replay a
# recent conversation's shape at their own time; see generate_events).
FRESH_SHARE = 0.25
_POOL_SIZE = 4096
_SNOOZED = "conversation.snoozed"

CHANNELS = ("email", "chat", "phone", "whatsapp", "web")
_CHANNEL_WEIGHTS = (0.30, 0.27, 0.14, 0.13, 0.16)
_SOURCES = {
    "email": "inbound_email",
    "chat": "chat_widget",
    "phone": "inbound_call",
    "whatsapp": "whatsapp",
    "web": "web_form",
}

TEAMS = ("billing", "returns", "tech", "onboarding", "logistics", "sales", "escalations")
_TEAM_SIZES = (14, 14, 14, 10, 10, 6, 8)
AGENTS_BY_TEAM: dict[str, tuple[str, ...]] = {}
_n = 0
for _team, _size in zip(TEAMS, _TEAM_SIZES, strict=True):
    AGENTS_BY_TEAM[_team] = tuple(f"agent_{i:03d}" for i in range(_n + 1, _n + _size + 1))
    _n += _size
del _n, _team, _size

# topic: (team, tags at creation, extra tags an agent may add later)
_TOPICS = {
    "billing": ("billing", ("billing",), ("refund", "invoice", "double_charge")),
    "tech": ("tech", ("technical",), ("bug", "login", "feature_request")),
    "shipping": ("logistics", ("shipping",), ("order_status", "delayed", "lost_parcel")),
    "account": ("tech", ("account",), ("password_reset", "gdpr", "login")),
    "onboarding": ("onboarding", ("onboarding",), ("setup", "new_customer", "training")),
    "sales": ("sales", ("sales",), ("pricing", "upgrade", "demo_request")),
    "general": ("billing", (), ("question", "feedback", "other")),
    "returns": ("returns", ("returns",), ("damaged", "wrong_size", "changed_mind")),
}
_GENERAL_TOPICS = ("billing", "tech", "shipping", "account", "onboarding", "sales", "general")
_GENERAL_TOPIC_WEIGHTS = (0.20, 0.20, 0.20, 0.12, 0.10, 0.08, 0.10)

# SLA targets in seconds, per channel.
_FIRST_RESPONSE_TARGET = {"email": 14400, "chat": 900, "phone": 300, "whatsapp": 3600, "web": 7200}
_RESOLUTION_TARGET = {"email": 259200, "chat": 86400, "phone": 86400, "whatsapp": 86400, "web": 172800}
# Mean delays in ms: how long an agent takes to answer, how long a customer takes to write back.
_AGENT_DELAY = {"email": 4 * HOUR, "chat": 3 * MINUTE, "phone": 20 * MINUTE, "whatsapp": 25 * MINUTE, "web": 2 * HOUR}
_CUSTOMER_DELAY = {"email": 7 * HOUR, "chat": 2 * MINUTE, "phone": 2 * HOUR, "whatsapp": 40 * MINUTE, "web": 5 * HOUR}

_AI_MODELS = ("assist-v2", "assist-v3", "assist-v3-mini")
_HANDOFF_REASONS = ("low_confidence", "customer_requested_human", "policy", "sentiment")
_ESCALATION_REASONS = ("complex_issue", "vip_customer", "complaint", "legal")
_CSAT_COMMENTS = (
    "Great help, thanks!",
    "Quick and friendly.",
    "Took too long.",
    "Problem not solved.",
    "Merci beaucoup !",
    "Okay.",
    "Super service \U0001f44d",
)
_SIDE_PURPOSES = ("vendor", "billing_check", "engineering", "warehouse")


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return [value / total for value in out]


_CHANNEL_CUM = _cumulative(_CHANNEL_WEIGHTS)
_TOPIC_CUM = _cumulative(_GENERAL_TOPIC_WEIGHTS)
# CSAT: mostly 4 and 5.
_RATINGS = (1, 2, 3, 4, 5)
_RATING_CUM = _cumulative((0.07, 0.06, 0.10, 0.27, 0.50))


# --------------------------------------------------------------------------- timestamps


class _Clock:
    """Fast ISO 8601 text for epoch milliseconds: tables for days, times of day and fractions."""

    def __init__(self, first_ms: int, span_days: int) -> None:
        self.base_day = first_ms // DAY - 2
        count = span_days + 400
        self.days = [(_EPOCH + timedelta(days=self.base_day + i)).strftime("%Y-%m-%dT") for i in range(count)]
        self.hms = _hms_table()
        self.frac_z = [f".{i:03d}Z" for i in range(1000)]
        self.frac_plus2 = [f".{i:03d}+02:00" for i in range(1000)]
        self.frac_minus5 = [f".{i:03d}-05:00" for i in range(1000)]

    def day(self, day_number: int) -> str:
        index = day_number - self.base_day
        if 0 <= index < len(self.days):
            return self.days[index]
        return (_EPOCH + timedelta(days=day_number)).strftime("%Y-%m-%dT")

    def utc(self, ms: int) -> str:
        seconds, fraction = divmod(ms, 1000)
        day_number, second_of_day = divmod(seconds, 86400)
        return self.day(day_number) + self.hms[second_of_day] + self.frac_z[fraction]


_HMS: list[str] | None = None


def _hms_table() -> list[str]:
    global _HMS
    if _HMS is None:
        _HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
    return _HMS


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _start_times(rng: Random, conversations: int, start_ms: int, days: int) -> Iterator[int]:
    """Conversation start times in increasing order, busier in office hours and on weekdays."""
    weights = []
    first_weekday = datetime.fromtimestamp(start_ms / 1000, UTC).weekday()
    first_hour = (start_ms // HOUR) % 24
    for hour_index in range(days * 24):
        hour = (first_hour + hour_index) % 24
        weekday = (first_weekday + (first_hour + hour_index) // 24) % 7
        weight = 0.25 if hour < 6 or hour >= 22 else (1.6 if 8 <= hour < 18 else 0.8)
        if weekday >= 5:
            weight *= 0.45
        weights.append(weight)
    cumulative = _cumulative(weights)
    cumulative[-1] = 1.0
    previous = [0.0, *cumulative[:-1]]
    for i in range(conversations):
        u = (i + rng.random()) / conversations
        hour_index = min(bisect_right(cumulative, u), len(cumulative) - 1)
        low, high = previous[hour_index], cumulative[hour_index]
        within = (u - low) / (high - low) if high > low else 0.0
        yield start_ms + hour_index * HOUR + int(within * HOUR)


# --------------------------------------------------------------------------- one conversation


class _Conversation:
    """Builds one conversation's events, in time order, as tuples
    (ms since creation, event_type, status, tags, agent_id, team_id, metadata)."""

    __slots__ = (
        "agent",
        "channel",
        "created",
        "deadlines",
        "first_contact",
        "first_human",
        "next_deadline",
        "out",
        "resolved",
        "rnd",
        "sides",
        "status",
        "t",
        "tags",
        "team",
        "topic",
    )

    def __init__(self, rng: Random) -> None:
        self.rnd = rng.random
        self.channel = "email"

    # ---- plumbing

    def reset(self, t: int, channel: str, topic: str, tags: list[str]) -> None:
        self.t = self.created = t
        self.channel = channel
        self.topic = topic
        self.status = "open"
        self.tags = tags
        self.agent: str | None = None
        self.team: str | None = None
        self.out: list[tuple] = []
        self.deadlines: list[tuple[int, str, int]] = []
        self.next_deadline = _NEVER
        self.first_human: int | None = None
        self.resolved = False
        self.sides = 0
        self.first_contact = False

    def wait(self, mean_ms: float, minimum: int = 0) -> None:
        """Advance the clock by an exponential delay."""
        self.t += minimum + int(-mean_ms * log(1.0 - self.rnd()))

    def between(self, low_ms: int, high_ms: int) -> None:
        self.t += low_ms + int(self.rnd() * (high_ms - low_ms))

    def ev(self, event_type: str, metadata: dict | None = None) -> None:
        t = self.t
        if t >= self.next_deadline:
            self._breach(t)
        self.out.append(
            (t, event_type, self.status, self.tags, self.agent, self.team, {} if metadata is None else metadata)
        )

    def sla(self, name: str, target_seconds: int) -> None:
        deadline = self.created + target_seconds * SECOND
        self.deadlines.append((deadline, name, target_seconds))
        if deadline < self.next_deadline:
            self.next_deadline = deadline

    def _breach(self, until: int) -> None:
        """Emit sla.breached for every deadline passed before `until`, with the state of then."""
        due = sorted(d for d in self.deadlines if d[0] <= until)
        for deadline, name, target in due:
            self.out.append(
                (
                    deadline,
                    "sla.breached",
                    self.status,
                    self.tags,
                    self.agent,
                    self.team,
                    {"sla": name, "target_seconds": target},
                )
            )
            self.deadlines.remove((deadline, name, target))
        self.next_deadline = min((d[0] for d in self.deadlines), default=_NEVER)

    def _met(self, name: str) -> None:
        for entry in self.deadlines:
            if entry[1] == name:
                self.deadlines.remove(entry)
                self.out.append(
                    (
                        self.t,
                        "sla.met",
                        self.status,
                        self.tags,
                        self.agent,
                        self.team,
                        {"sla": name, "target_seconds": entry[2]},
                    )
                )
                self.next_deadline = min((d[0] for d in self.deadlines), default=_NEVER)
                return

    def finish(self) -> list[tuple]:
        if self.deadlines:
            self._breach(_NEVER)
        return self.out

    def pick(self, options: tuple) -> Any:
        return options[int(self.rnd() * len(options))]

    # ---- actions

    def created_event(self, first_contact: bool, source: str) -> None:
        self.first_contact = first_contact
        r = self.rnd()
        if first_contact:
            metadata = {"first_contact": True, "source": source}
        elif r < 0.85:
            metadata = {"first_contact": False, "source": source}
        else:
            metadata = {"source": source}
        self.ev("conversation.created", metadata)

    def set_status(self, new: str, emit: bool = True) -> None:
        old = self.status
        if old == new:
            return
        self.status = new
        if emit:
            self.ev("conversation.status_changed", {"from_status": old, "to_status": new})

    def customer_message(self) -> None:
        if self.status in ("done", "snoozed"):
            self.status = "open"
            self.ev("conversation.reopened", {"reason": "customer_reply"})
        elif self.status == "pending":
            self.set_status("open", emit=self.rnd() < 0.15)
        length = 20 + int(self.rnd() * 900)
        self.ev("message.received", {"author": "customer", "length": length})

    def reply(self, author: str = "agent", template: str | None = None) -> None:
        metadata: dict[str, Any] = {"author": author, "length": 40 + int(self.rnd() * 1200)}
        if template is not None:
            metadata["template"] = template
        elif author == "agent" and self.rnd() < 0.05:
            del metadata["author"]  # an integration that does not say who wrote it
        self.ev("message.sent", metadata)
        if author == "agent":
            self._human_responded()
            if self.status == "open":
                self.set_status("pending", emit=self.rnd() < 0.25)

    def _human_responded(self) -> None:
        if self.first_human is None:
            self.first_human = self.t
            self.ev("agent.first_response", {"seconds_since_created": (self.t - self.created) // SECOND})
            self._met("first_response")

    def bot_reply(self) -> None:
        self.ev(
            "ai.response_generated", {"model": self.pick(_AI_MODELS), "confidence": round(0.35 + 0.64 * self.rnd(), 2)}
        )
        self.between(800, 6 * SECOND)
        self.ev("message.sent", {"author": "bot", "length": 60 + int(self.rnd() * 500)})

    def ai_draft(self) -> None:
        self.ev(
            "ai.response_generated", {"model": self.pick(_AI_MODELS), "confidence": round(0.5 + 0.49 * self.rnd(), 2)}
        )

    def assign(self, team: str, agent: str | None = None) -> None:
        if agent is None:
            agent = self.pick(AGENTS_BY_TEAM[team])
        metadata = {"previous_agent_id": self.agent, "previous_team_id": self.team}
        self.agent, self.team = agent, team
        self.ev("conversation.assigned", metadata)

    def tag(self, tag: str) -> None:
        if tag not in self.tags:
            self.tags = [*self.tags, tag]
        self.ev("conversation.tagged", {"tag": tag})

    def done(self, resolution: str) -> None:
        if self.first_human is None:  # resolved without a person: no first-response target
            self.deadlines = [d for d in self.deadlines if d[1] != "first_response"]
            self.next_deadline = min((d[0] for d in self.deadlines), default=_NEVER)
        self.status = "done"
        self.ev("conversation.marked_done", {"resolution": resolution})
        if not self.resolved:
            self.resolved = True
            self._met("resolution")

    def csat(self, rating: int | None = None) -> None:
        if rating is None:
            r = self.rnd()
            rating = _RATINGS[bisect_right(_RATING_CUM, r) if r < 1.0 else 4]
        metadata: dict[str, Any] = {"rating": rating}
        if self.rnd() < 0.3:
            metadata["comment"] = self.pick(_CSAT_COMMENTS)
        self.ev("csat.rating", metadata)

    def maybe_csat(self) -> None:
        if self.rnd() < (0.6 if self.first_contact else 0.33):
            self.wait(6 * HOUR, 30 * SECOND)
            if self.rnd() < 0.07:  # a few customers rate after weeks
                self.wait(12 * DAY, DAY)
            self.csat()
            if self.first_contact and self.rnd() < 0.05:  # changed their mind: rate again
                self.wait(2 * DAY, HOUR)
                self.csat(5)

    def side_conversation(self, purpose: str, replies: int = 1, close: bool = True) -> None:
        self.sides += 1
        side_id = f"sc_{self.sides}"
        self.ev("side_conversation.created", {"side_conversation_id": side_id, "purpose": purpose})
        for _ in range(replies):
            self.wait(10 * HOUR, 5 * MINUTE)
            self.ev("side_conversation.replied", {"side_conversation_id": side_id})
        if close:
            self.between(MINUTE, 3 * HOUR)
            self.ev("side_conversation.closed", {"side_conversation_id": side_id})

    def snooze(self) -> None:
        until = self.t + (1 + int(self.rnd() * 3)) * DAY
        self.status = "snoozed"
        self.ev(_SNOOZED, {"until": until})  # relative ms here; ISO text when emitted
        if self.rnd() < 0.35:
            self.wait((until - self.t) / 2)
            if self.t < until:
                return  # the customer's next message reopens it
        self.t = max(self.t, until)
        self.status = "open"
        self.ev("conversation.reopened", {"reason": "snooze_expired"})

    def escalate(self) -> None:
        self.ev("conversation.escalated", {"tier": 2, "reason": self.pick(_ESCALATION_REASONS)})
        self.wait(40 * MINUTE, MINUTE)
        self.assign("escalations")

    def presence(self) -> None:
        """The assignee goes away (a long wait), or offline (the conversation moves on)."""
        if self.agent is None or self.team is None:  # assign() sets both
            return
        if self.rnd() < 0.6:
            self.ev("agent.presence_changed", {"presence": "away"})
            self.wait(5 * HOUR, 20 * MINUTE)
            self.ev("agent.presence_changed", {"presence": "online"})
        else:
            self.ev("agent.presence_changed", {"presence": "offline"})
            self.wait(30 * MINUTE, MINUTE)
            self.assign(self.team)

    def agent_delay(self) -> None:
        r = self.rnd()
        if r < 0.05:
            self.between(2 * DAY + 2 * HOUR, 5 * DAY)  # a long wait: no reply within 48 hours
        else:
            self.wait(_AGENT_DELAY[self.channel], 20 * SECOND)

    def customer_delay(self) -> None:
        if self.rnd() < 0.07:
            self.between(DAY, 6 * DAY)
        else:
            self.wait(_CUSTOMER_DELAY[self.channel], 10 * SECOND)


# --------------------------------------------------------------------------- scenarios


def _messaging(c: _Conversation, team: str, extra_tags: tuple[str, ...], outbound: bool) -> None:
    """Email, chat, whatsapp and web conversations that are not returns by email."""
    rnd = c.rnd
    channel = c.channel
    if rnd() < 0.7:
        c.sla("first_response", _FIRST_RESPONSE_TARGET[channel])
    if rnd() < 0.3:
        c.sla("resolution", _RESOLUTION_TARGET[channel])
    if outbound:
        c.assign(team)
        c.between(5 * SECOND, 2 * MINUTE)
        c.reply("agent", "outreach")
        if rnd() < 0.45:
            return  # the customer never answered
        c.customer_delay()
        c.customer_message()
    else:
        c.between(0, 1500)
        c.customer_message()
        if channel == "email" and rnd() < 0.3:
            c.between(5 * SECOND, MINUTE)
            c.reply("system", "auto_ack")
        if not c.tags and rnd() < 0.5:
            c.between(10 * SECOND, 10 * MINUTE)
            c.tag(c.pick(extra_tags))
        if channel != "email" and rnd() < 0.55:
            c.between(2 * SECOND, 10 * SECOND)
            c.bot_reply()
            if rnd() < 0.15:
                return  # abandoned: the customer left the chat
            c.customer_delay()
            c.customer_message()
            if rnd() < 0.28:
                c.between(2 * SECOND, 10 * SECOND)
                c.bot_reply()
                c.between(30 * SECOND, 5 * MINUTE)
                c.done("bot_resolved")
                c.maybe_csat()
                return
            c.between(2 * SECOND, 20 * SECOND)
            c.ev("ai.handoff", {"reason": c.pick(_HANDOFF_REASONS)})
        if rnd() < 0.04:
            c.between(2 * DAY + HOUR, 4 * DAY)  # nobody picked it up for days
        else:
            c.wait(_AGENT_DELAY[channel] / 3, 10 * SECOND)
        c.assign(team)
        if channel == "email" and rnd() < 0.05 and "returns" not in c.tags:
            # Turns out to be a return: tagged now, so the customer's next email starts a journey.
            c.tag("returns")

    cycles = 1 + (rnd() < 0.4) + (rnd() < 0.15) + (rnd() < 0.05)
    for cycle in range(cycles):
        if rnd() < 0.03:
            c.presence()
        if rnd() < (0.25 if channel in ("email", "web") else 0.1):
            c.wait(_AGENT_DELAY[channel] / 2, 5 * SECOND)
            c.ai_draft()
        if rnd() < 0.03:
            return  # support never answered this one
        c.agent_delay()
        c.reply()
        if cycle == 0:
            if rnd() < 0.15 and extra_tags:
                c.between(5 * SECOND, 5 * MINUTE)
                c.tag(c.pick(extra_tags))
            if rnd() < 0.06:
                c.between(MINUTE, HOUR)
                c.side_conversation(c.pick(_SIDE_PURPOSES), replies=1 + (rnd() < 0.3), close=rnd() < 0.8)
        if rnd() < 0.045:
            c.between(MINUTE, 2 * HOUR)
            c.escalate()
        if rnd() < 0.07:
            c.between(10 * SECOND, 10 * MINUTE)
            c.snooze()
        if cycle == cycles - 1:
            break
        if rnd() < 0.12:  # the customer never answered the question
            if rnd() < 0.6:
                c.between(3 * DAY, 8 * DAY)
                c.done("no_reply")
            return
        c.customer_delay()
        c.customer_message()
        if rnd() < 0.12:  # and another message before anyone answers
            c.wait(_CUSTOMER_DELAY[channel] / 2, 30 * SECOND)
            c.customer_message()
    if rnd() < 0.92:
        c.wait(_AGENT_DELAY[channel], MINUTE)
        c.done("solved")
        c.maybe_csat()
        if rnd() < 0.08:  # the customer comes back: reopened, answered, done again
            c.between(HOUR, 5 * DAY)
            c.customer_message()
            c.agent_delay()
            c.reply()
            c.wait(_AGENT_DELAY[channel], MINUTE)
            c.done("solved")


def _phone(c: _Conversation, team: str) -> None:
    rnd = c.rnd
    c.sla("first_response", _FIRST_RESPONSE_TARGET["phone"])
    if rnd() < 0.3:
        c.sla("resolution", _RESOLUTION_TARGET["phone"])
    c.between(0, 1000)
    answered = rnd() < 0.7
    if answered:
        c.between(5 * SECOND, 90 * SECOND)
        c.assign(team)
        c.ev("call.started", {"direction": "inbound"})
        c._human_responded()
    else:
        c.ev("call.missed", {"direction": "inbound"})
        if rnd() < 0.65:
            c.between(2 * SECOND, 10 * SECOND)
            c.ev("call.voicemail", {"duration_seconds": 8 + int(rnd() * 110)})
        if rnd() < 0.2:
            return  # nobody called back
        c.wait(4 * HOUR, 10 * MINUTE)
        c.assign(team)
        if rnd() < 0.25:
            c.ev("call.missed", {"direction": "outbound"})
            c.wait(6 * HOUR, 10 * MINUTE)
        c.ev("call.started", {"direction": "outbound"})
        c._human_responded()
    duration = 30 + int(-480 * log(1.0 - rnd()))
    c.t += duration * SECOND
    c.ev("call.ended", {"duration_seconds": duration})
    if rnd() < 0.3:
        c.between(MINUTE, 30 * MINUTE)
        c.reply("agent", "call_summary")
    if rnd() < 0.1:
        c.between(MINUTE, 10 * MINUTE)
        c.escalate()
        c.wait(DAY)
        c.ev("call.started", {"direction": "outbound"})
        duration = 60 + int(rnd() * 900)
        c.t += duration * SECOND
        c.ev("call.ended", {"duration_seconds": duration})
    if rnd() < 0.85:
        c.between(10 * SECOND, 20 * MINUTE)
        c.done("solved")
        c.maybe_csat()


def _returns_email(c: _Conversation) -> None:
    """Returns by email: the `returns` template's home ground."""
    rnd = c.rnd
    c.sla("first_response", _FIRST_RESPONSE_TARGET["email"])
    if rnd() < 0.5:
        c.sla("resolution", _RESOLUTION_TARGET["email"])
    reason_tags = _TOPICS["returns"][2]
    c.between(0, 1500)
    c.customer_message()
    # When the journey starts (the first email with the `returns` tag), for the exact-deadline case.
    started = c.t if "returns" in c.tags else None
    if "returns" not in c.tags:
        # Tagged by a person after the first email; the journey starts at the next email.
        c.between(MINUTE, 2 * HOUR)
        c.tag("returns")
    if rnd() < 0.5:
        c.between(5 * SECOND, MINUTE)
        c.reply("system", "auto_ack")
    if rnd() < 0.05:
        c.between(DAY, 2 * DAY)
    else:
        c.wait(HOUR, 5 * MINUTE)
    c.assign("returns")

    r = rnd()
    if r < 0.52:
        variant = "complete"
    elif r < 0.64:
        variant = "skip_rma"
    elif r < 0.74:
        variant = "out_of_order"
    elif r < 0.84:
        variant = "stall"
    elif r < 0.90:
        variant = "kept_item"
    elif r < 0.95:
        variant = "no_answer"
    elif r < 0.97:
        variant = "no_reason"
    else:
        variant = "exact_deadline"

    if variant in ("complete", "skip_rma", "stall", "kept_item", "no_answer", "exact_deadline"):
        c.wait(HOUR, 5 * MINUTE)
        c.tag("return_reason")
        if rnd() < 0.4:
            c.tag(c.pick(reason_tags))
    if variant == "no_answer":
        c.agent_delay()
        c.reply()
        if rnd() < 0.5:
            c.between(8 * DAY, 12 * DAY)  # auto-closed after the 168 hour timeout
        else:
            c.between(3 * DAY, 6 * DAY)  # auto-closed in time: the journey ends on `done`
        c.done("no_reply")
        return
    if variant == "out_of_order":
        c.agent_delay()
        c.reply()
        c.between(10 * MINUTE, 3 * HOUR)
        c.side_conversation("rma", replies=0, close=False)
        c.customer_delay()
        c.customer_message()
        c.between(MINUTE, HOUR)
        c.tag("return_reason")
        c.wait(8 * HOUR, 10 * MINUTE)
        c.ev("side_conversation.replied", {"side_conversation_id": "sc_1"})
        c.between(MINUTE, HOUR)
        c.ev("side_conversation.closed", {"side_conversation_id": "sc_1"})
    else:
        c.agent_delay()
        c.reply()  # "please send the order number and a photo"
        if rnd() < 0.05:
            c.between(10 * SECOND, 5 * MINUTE)
            c.snooze()
        c.customer_delay()
        c.customer_message()
        if started is None:
            started = c.t
    if variant == "kept_item":
        c.agent_delay()
        c.reply()
        c.between(MINUTE, 2 * HOUR)
        c.done("customer_kept_item")
        c.maybe_csat()
        return
    if variant in ("complete", "no_reason", "stall", "exact_deadline"):
        c.wait(3 * HOUR, 10 * MINUTE)
        c.side_conversation("rma", replies=0 if variant == "stall" else 1, close=variant != "stall")
    if variant == "stall":
        # The warehouse never answers; the customer chases a week and a half later.
        c.between(8 * DAY, 12 * DAY)
        c.customer_message()  # after the timeout: opens a new returns journey
        c.agent_delay()
        c.reply("agent", "return_label")
        if rnd() < 0.6:
            c.between(MINUTE, HOUR)
            c.done("return_label_sent")
        return
    if variant == "exact_deadline" and started is not None:
        c.t = max(c.t, started + 168 * HOUR)  # sent exactly at the deadline
    else:
        c.agent_delay()
    c.reply("agent", "return_label")
    if rnd() < 0.7:
        c.between(MINUTE, 2 * HOUR)
        c.done("return_label_sent")
        c.maybe_csat()
    if rnd() < 0.08:
        # Another return a few days later: a second journey in the same conversation.
        c.between(2 * DAY, 8 * DAY)
        c.customer_message()
        c.wait(2 * HOUR, 5 * MINUTE)
        c.tag("return_reason")
        c.agent_delay()
        c.reply("agent", "return_label")
        c.between(MINUTE, HOUR)
        c.done("return_label_sent")


def _returns_elsewhere(c: _Conversation) -> None:
    """Returns over chat, web or whatsapp: similar events, but not the template's start."""
    rnd = c.rnd
    c.sla("first_response", _FIRST_RESPONSE_TARGET[c.channel])
    c.between(0, 1500)
    c.customer_message()
    c.wait(_AGENT_DELAY[c.channel], 10 * SECOND)
    c.assign("returns")
    c.tag("return_reason")
    c.agent_delay()
    c.reply()
    c.customer_delay()
    c.customer_message()
    if rnd() < 0.6:
        c.wait(3 * HOUR, 10 * MINUTE)
        c.side_conversation("rma")
    c.agent_delay()
    c.reply("agent", "return_label")
    if rnd() < 0.8:
        c.between(MINUTE, HOUR)
        c.done("return_label_sent")
        c.maybe_csat()


def _simulate(c: _Conversation) -> list[tuple]:
    """One conversation, times in ms since its creation."""
    rnd = c.rnd
    r = rnd()
    if r < RETURNS_EMAIL_SHARE:
        topic, channel, kind = "returns", "email", "returns_email"
    elif r < RETURNS_EMAIL_SHARE + 0.04:
        topic, channel, kind = "returns", c.pick(("chat", "web", "whatsapp")), "returns_elsewhere"
    else:
        topic = _GENERAL_TOPICS[bisect_right(_TOPIC_CUM, rnd())]
        channel = CHANNELS[min(bisect_right(_CHANNEL_CUM, rnd()), 4)]
        kind = "phone" if channel == "phone" else "messaging"
    team, base_tags, extra_tags = _TOPICS[topic]
    if kind == "returns_email":
        tags = ["returns"] if rnd() < 0.93 else []
    elif topic == "general" or rnd() < 0.3:
        tags = []
    else:
        tags = list(base_tags)
    if rnd() < 0.05:
        tags = [*tags, "vip"]
    if rnd() < 0.03:
        tags = [*tags, "urgent"]
    c.reset(0, channel, topic, tags)

    outbound = kind == "messaging" and rnd() < 0.04
    # Onboarding conversations are first contacts; others are so at a rate that makes ~25% overall.
    first_contact = not outbound and (topic == "onboarding" or rnd() < 0.19)
    c.created_event(first_contact, "outbound" if outbound else _SOURCES[channel])

    if kind == "returns_email":
        _returns_email(c)
    elif kind == "returns_elsewhere":
        _returns_elsewhere(c)
    elif kind == "phone":
        _phone(c, team)
    else:
        _messaging(c, team, extra_tags, outbound)
    if first_contact and rnd() < 0.01:
        # A merge re-creates the conversation: a second first-contact start in one conversation.
        c.wait(DAY, HOUR)
        c.ev("conversation.created", {"first_contact": True, "source": "merge"})
    return c.finish()


# --------------------------------------------------------------------------- public API


def generate_events(
    conversations: int,
    seed: int,
    start: datetime = datetime(2026, 9, 1),
    days: int = 30,
    *,
    fresh: float = FRESH_SHARE,
) -> Iterator[dict]:
    """Stream synthetic events for `conversations` conversations starting within `days` days
    of `start` (a naive `start` is UTC). Deterministic for a seed and arguments.

    Memory stays flat: one conversation is built at a time, plus a pool of recent conversation
    shapes (events with times relative to the conversation's start). The first `_POOL_SIZE`
    conversations are all simulated; after that a share `fresh` of them is, and the others replay
    a shape from the pool at their own start time, with their own ids, offsets, ingestion delays,
    duplicates and late deliveries. `fresh=1.0` simulates every conversation (about half the speed).
    """
    if conversations < 0:
        raise ValueError("conversations must be >= 0")
    if days <= 0:
        raise ValueError("days must be > 0")
    if not 0.0 <= fresh <= 1.0:
        raise ValueError("fresh must be between 0 and 1")
    rng = Random(seed)
    rnd = rng.random
    start_ms = _epoch_ms(start)
    end_ms = start_ms + days * DAY
    clock = _Clock(start_ms, days)
    days_table, hms = clock.days, clock.hms
    base_ms = clock.base_day * DAY
    frac_z, frac_plus2, frac_minus5 = clock.frac_z, clock.frac_plus2, clock.frac_minus5
    seq_text = [f"{i:03d}" for i in range(1000)]  # a conversation has far fewer events
    width = max(7, len(str(conversations)))
    conversation = _Conversation(rng)
    pool: list[tuple[str, list[tuple]]] = []
    offset_plus = OFFSET_RATE / 2
    duplicate_cut = DUPLICATE_RATE
    late_cut = DUPLICATE_RATE + LATE_RATE
    snoozed = _SNOOZED

    for number, t0 in enumerate(_start_times(Random(rng.getrandbits(64)), conversations, start_ms, days), start=1):
        if len(pool) < _POOL_SIZE or rnd() < fresh:
            events = _simulate(conversation)
            channel = conversation.channel
            if len(pool) < _POOL_SIZE:
                pool.append((channel, events))
            else:
                pool[int(rnd() * _POOL_SIZE)] = (channel, events)
        else:
            channel, events = pool[int(rnd() * _POOL_SIZE)]
        conversation_id = f"conv_{number:0{width}d}"
        prefix = f"ev_{number:0{width}d}_"
        limit = end_ms - t0  # events at or after the end of the window are not in this export
        origin = t0 - base_ms  # days_table spans the window with days to spare: no bounds checks
        for seq, (relative, event_type, status, tags, agent_id, team_id, metadata) in enumerate(events, start=1):
            if relative >= limit:
                break
            # occurred_at: mostly UTC, some as local time with an offset.
            r = rnd()
            if r < OFFSET_RATE:
                if r < offset_plus:
                    local, fractions = origin + relative + 2 * HOUR, frac_plus2
                else:
                    local, fractions = origin + relative - 5 * HOUR, frac_minus5
            else:
                local, fractions = origin + relative, frac_z
            seconds = local // 1000
            occurred_at = days_table[seconds // 86400] + hms[seconds % 86400] + fractions[local % 1000]
            # ingested_at: a little later; for late deliveries hours later.
            r = rnd()
            if late_cut > r >= duplicate_cut:
                local = origin + relative + HOUR + int(rnd() * 70 * HOUR)
            else:
                local = origin + relative + 150 + int(r * 1e6) % 45_000
            seconds = local // 1000
            if event_type == snoozed:
                metadata = {"until": clock.utc(t0 + metadata["until"])}
            event = {
                "event_id": prefix + seq_text[seq],
                "conversation_id": conversation_id,
                "event_type": event_type,
                "occurred_at": occurred_at,
                "channel": channel,
                "status": status,
                "tags": tags,
                "agent_id": agent_id,
                "team_id": team_id,
                "metadata": metadata,
                "ingested_at": days_table[seconds // 86400] + hms[seconds % 86400] + frac_z[local % 1000],
            }
            yield event
            if r < duplicate_cut:
                # Delivered twice: an exact copy, or the same event re-sent later.
                duplicate = dict(event)
                if rnd() < 0.7:
                    duplicate["ingested_at"] = clock.utc(base_ms + local + SECOND + int(rnd() * 2 * HOUR))
                yield duplicate


OUTPUT_SUFFIXES = (".jsonl", ".jsonl.gz", ".csv", ".csv.gz", ".parquet")


def write_events(path: Path, events: Iterable[dict]) -> int:
    """Write events as JSONL (default), CSV (`.csv`, tags and metadata as JSON text) or Parquet
    (`.parquet`, written in batches); `.gz` after `.jsonl`/`.csv` compresses. Returns rows written."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name.lower()
    if name.endswith(".parquet"):
        return _write_parquet(path, events)
    compressed = name.endswith(".gz")
    if name.removesuffix(".gz").endswith(".csv"):
        with _open_text(path, compressed) as handle:
            return _write_csv(handle, events)
    with _open_text(path, compressed) as handle:
        return _write_jsonl(handle, events)


def _open_text(path: Path, compressed: bool) -> IO[str]:
    if compressed:
        return io.TextIOWrapper(gzip.open(path, "wb", compresslevel=5), encoding="utf-8", newline="")
    return path.open("w", encoding="utf-8", newline="")


def _write_jsonl(handle: IO[str], events: Iterable[dict]) -> int:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    rows = 0
    lines: list[str] = []
    for event in events:
        lines.append(dumps(event))
        rows += 1
        if len(lines) >= 10_000:
            lines.append("")
            handle.write("\n".join(lines))
            lines = []
    if lines:
        lines.append("")
        handle.write("\n".join(lines))
    return rows


def _write_csv(handle: IO[str], events: Iterable[dict]) -> int:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(EVENT_COLUMNS)
    rows = 0
    for event in events:
        get = event.get
        tags, metadata = get("tags"), get("metadata")
        writer.writerow(
            (
                get("event_id"),
                get("conversation_id"),
                get("event_type"),
                get("occurred_at"),
                get("channel"),
                get("status"),
                "" if tags is None else dumps(tags),
                get("agent_id"),
                get("team_id"),
                "" if metadata is None else dumps(metadata),
                get("ingested_at"),
            )
        )
        rows += 1
    return rows


def _write_parquet(path: Path, events: Iterable[dict], batch_rows: int = 100_000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    schema = pa.schema([(c, pa.list_(pa.string()) if c == "tags" else pa.string()) for c in EVENT_COLUMNS])
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        iterator = iter(events)
        while True:
            batch = list(islice(iterator, batch_rows))
            if batch or not rows:  # (an empty input still gets a readable, empty file)
                columns = {c: [e.get(c) for e in batch] for c in EVENT_COLUMNS if c != "metadata"}
                columns["metadata"] = [None if (m := e.get("metadata")) is None else dumps(m) for e in batch]
                writer.write_table(pa.table(columns, schema=schema))
                rows += len(batch)
            if len(batch) < batch_rows:
                break
    return rows

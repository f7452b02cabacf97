"""The template language as pydantic models: structure, types and the contract's rules.

Catalog checks need the catalog, which arrives through pydantic's validation context:

>>> data = {"name": "first_reply", "title": "First reply", "enabled": True,
...         "start": {"event": "message.received"}, "end": [{"name": "replied", "event": "message.sent"}]}
>>> catalog = {"event_types": {"message.received", "message.sent"}}
>>> Template.model_validate(data, context=catalog).end[0].name
'replied'
>>> Template.model_validate(data, context={"event_types": {"message.received"}})
Traceback (most recent call last):
  ...
pydantic_core._pydantic_core.ValidationError: 1 validation error for Template
...
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from journey_compiler.catalog import closest_event_type

STRING_FIELDS = ("channel", "status", "agent_id", "team_id")
LIST_FIELDS = ("tags",)
METADATA_PREFIX = "metadata."
METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

POSITIVE_OPS = ("equals", "contains", "starts_with", "in", "gt", "gte", "lt", "lte", "is_set")
NEGATIVE_OPS = ("not_equals", "not_contains", "not_in", "is_not_set")
Operator = Literal[
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "is_set",
    "is_not_set",
]
NUMERIC_OPS = ("gt", "gte", "lt", "lte")
LIST_OPS = ("in", "not_in")
PRESENCE_OPS = ("is_set", "is_not_set")

Scalar = str | int | float | bool


def field_kind(field: str) -> str:
    """'string', 'list' or 'metadata': the kind decides which operators apply."""
    if field in STRING_FIELDS:
        return "string"
    if field in LIST_FIELDS:
        return "list"
    if field.startswith(METADATA_PREFIX):
        return "metadata"
    raise ValueError(field)


def _error(kind: str, message: str, key: str | None = None) -> PydanticCustomError:
    """A validation error; `key` points the message at one key of the mapping (its line)."""
    return PydanticCustomError(kind, message, {"key": key} if key else {})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """`{field, op, value}`: one test on a conversation field or event metadata."""

    field: str
    op: Operator
    value: Scalar | list[Scalar] | None = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, field: str) -> str:
        if field in STRING_FIELDS or field in LIST_FIELDS:
            return field
        if field.startswith(METADATA_PREFIX):
            keys = field[len(METADATA_PREFIX) :].split(".")
            if all(METADATA_KEY.match(key) for key in keys):
                return field
            raise _error(
                "metadata_path",
                f"'{field}' is not a valid metadata path; use metadata.<key> with keys of letters, digits and "
                "underscores, dots for nesting (e.g. metadata.rating)",
            )
        known = ", ".join(STRING_FIELDS + LIST_FIELDS) + ", metadata.<key>"
        raise _error("unknown_field", f"unknown field '{field}'; use one of {known}")

    @model_validator(mode="after")
    def _operator_fits_field_and_value(self) -> Condition:
        kind = field_kind(self.field)
        op, value = self.op, self.value
        if op in NUMERIC_OPS and kind != "metadata":
            raise _error(
                "op_for_field",
                f"operator '{op}' compares numbers and is not valid for '{self.field}'; numeric comparisons "
                "work on metadata.<key> only",
                key="op",
            )
        if op in PRESENCE_OPS:
            if value is not None:
                raise _error("value_shape", f"operator '{op}' takes no value; remove 'value'", key="value")
            return self
        if value is None:
            raise _error("value_shape", f"operator '{op}' needs a value; add 'value: ...'", key="op")
        if op in LIST_OPS:
            if not isinstance(value, list) or not value:
                raise _error(
                    "value_shape", f"operator '{op}' needs a non-empty list value, e.g. value: [a, b]", key="value"
                )
            items = value
        elif isinstance(value, list):
            raise _error(
                "value_shape", f"operator '{op}' needs a single value, not a list; use 'in' for lists", key="value"
            )
        else:
            items = [value]
        for item in items:
            if op in NUMERIC_OPS:
                if isinstance(item, bool) or not isinstance(item, (int, float)):
                    raise _error("value_shape", f"operator '{op}' needs a number value, e.g. value: 4", key="value")
            elif kind != "metadata" and not isinstance(item, str):
                raise _error(
                    "value_shape",
                    f"'{self.field}' holds text; quote the value (value: \"{json.dumps(item)}\")",
                    key="value",
                )
        return self

    def value_texts(self) -> list[str]:
        """The value(s) as the text they are compared with: JSON's spelling for numbers and booleans."""
        items: Sequence[Scalar | None] = self.value if isinstance(self.value, list) else (self.value,)
        return [item if isinstance(item, str) else json.dumps(item) for item in items]


class AnyOf(_Strict):
    """Holds when one of the listed conditions holds."""

    any: list[ConditionNode] = Field(min_length=1)


class AllOf(_Strict):
    """Holds when every listed condition holds."""

    all: list[ConditionNode] = Field(min_length=1)


def _condition_kind(value: Any) -> str:
    if isinstance(value, dict):
        if "any" in value:
            return "any"
        if "all" in value:
            return "all"
    return "condition"


ConditionNode = Annotated[
    Annotated[Condition, Tag("condition")] | Annotated[AnyOf, Tag("any")] | Annotated[AllOf, Tag("all")],
    Discriminator(_condition_kind),
]


class Trigger(_Strict):
    """An event type plus conditions that must all hold."""

    event: str
    conditions: list[ConditionNode] = Field(default_factory=list)

    @field_validator("event")
    @classmethod
    def _event_in_catalog(cls, event: str, info: ValidationInfo) -> str:
        event_types = (info.context or {}).get("event_types")
        if event_types is not None and event not in event_types:
            hint = closest_event_type(event, event_types)
            fix = f"did you mean '{hint}'?" if hint else "add it to seeds/event_catalog.csv or use a catalog type"
            raise _error("unknown_event", f"unknown event type '{event}'; {fix}")
        return event


NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class Step(Trigger):
    """A named trigger: a milestone or an end condition."""

    name: str = Field(pattern=NAME_PATTERN)
    target_hours: float | None = Field(default=None, gt=0)


class Toggle(_Strict):
    at: datetime
    enabled: bool

    @field_validator("at")
    @classmethod
    def _utc(cls, at: datetime) -> datetime:
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class Template(_Strict):
    """One journey template: the whole YAML file."""

    name: str = Field(pattern=NAME_PATTERN)
    title: str
    description: str = ""
    timeout_hours: float | None = Field(default=None, gt=0)
    reentry: bool = True
    enabled: bool = True
    toggles: list[Toggle] = Field(default_factory=list)
    start: Trigger
    milestones: list[Step] = Field(default_factory=list)
    end: list[Step] = Field(min_length=1)

    @field_validator("end", mode="before")
    @classmethod
    def _end_present(cls, end: Any) -> Any:
        if end is None or end == []:
            raise _error("no_end", "a template needs at least one end condition under 'end:'")
        return end

    @model_validator(mode="after")
    def _names_unique(self) -> Template:
        for section in ("milestones", "end"):
            seen: set[str] = set()
            for index, step in enumerate(getattr(self, section)):
                if step.name in seen:
                    raise _error(
                        "duplicate_name",
                        f"{section}[{index}]: duplicate {section[:-1] if section == 'milestones' else 'end'} name "
                        f"'{step.name}'; give each one its own name",
                        key=f"{section}.{index}.name",
                    )
                seen.add(step.name)
        return self

    @model_validator(mode="after")
    def _toggles_consistent(self) -> Template:
        for index in range(1, len(self.toggles)):
            if self.toggles[index].at <= self.toggles[index - 1].at:
                raise _error(
                    "toggles_order",
                    f"toggles[{index}] is not later than toggles[{index - 1}]; list toggles oldest first, "
                    "one per moment",
                    key=f"toggles.{index}.at",
                )
        if self.toggles and self.toggles[-1].enabled != self.enabled:
            raise _error(
                "toggles_enabled",
                f"the last toggle says enabled: {str(self.toggles[-1].enabled).lower()} but the template says "
                f"enabled: {str(self.enabled).lower()}; they must agree (the last toggle is the state now)",
                key="enabled",
            )
        return self

    # ---- derived data the compiler and the reference both need ----

    def version(self) -> str:
        """A hash of the definition: changes when anything that affects journeys changes."""
        canonical = json.dumps(self.model_dump(mode="json", warnings=False), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def enabled_intervals(self) -> list[tuple[datetime | None, datetime | None]]:
        """Half-open [from, to) intervals in which the template is enabled; None is unbounded."""
        if not self.toggles:
            return [(None, None)] if self.enabled else []
        intervals: list[tuple[datetime | None, datetime | None]] = []
        opened_at: datetime | None = None
        state = not self.toggles[0].enabled
        for toggle in self.toggles:
            if toggle.enabled == state:
                continue
            if toggle.enabled:
                opened_at = toggle.at
            else:
                intervals.append((opened_at, toggle.at))
            state = toggle.enabled
        if state:
            intervals.append((opened_at, None))
        return intervals


AnyOf.model_rebuild()
AllOf.model_rebuild()

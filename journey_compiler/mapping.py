"""The mapping file of `journeys import`: how a process-mining event log becomes our events.

A mapping is one YAML file. It names the source columns (CSV headers, or XES attribute keys:
event attributes by their key, trace attributes as `case:<key>`) that hold the conversation,
the time, the event id and the activity; says which catalog event type each activity becomes;
and which columns fill agent_id, team_id, channel, status, tags and metadata:

```yaml
conversation_id: case:concept:name        # or {column: ..., prefix: "helpdesk-"}
event_id: {generate: true}                 # or a column: {column: id}
timestamp: {column: time:timestamp, format: "%Y-%m-%d %H:%M:%S%z", timezone: Europe/Rome}
activity: concept:name
activities:
  Take in charge ticket: conversation.assigned
  Resolve ticket:
    event_type: conversation.status_changed
    status: resolved
    metadata: {to_status: resolved}
unmapped: reject                           # or {keep_as: conversation.status_changed}
agent_id: org:resource                     # also team_id, channel, status: a column or {value: ...}
tags: [{column: priority, prefix: "priority:"}, {column: labels, split: ";"}]   # or tags: <column>
metadata:
  product: product                         # or {column: ..., type: integer} or {value: ...}
```

Validation is the template loader's: pydantic models with unknown keys forbidden, every error
mapped to `file:line:column: where: what; fix` with ruamel.yaml's positions (the helpers of
`journey_compiler.loader` are reused). Checks that need the source (a column that is not in
the CSV header) are made by the importer with `column_errors`, at the same positions.
"""

from __future__ import annotations

import codecs
import difflib
import types
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from journey_compiler.catalog import closest_event_type, load_catalog
from journey_compiler.loader import (
    TemplateError,
    TemplateValidationFailed,
    error_message,
    load_yaml_mapping,
    path_text,
    plain_data,
    position_of,
)
from journey_compiler.template import METADATA_KEY

Scalar = str | int | float | bool


class MappingValidationFailed(TemplateValidationFailed):
    """The mapping file is invalid (or names columns the source lacks); carries every error."""


def _error(kind: str, message: str, at: tuple[Any, ...] = ()) -> PydanticCustomError:
    """A validation error; `at` points it at a key below the validated value (for its line)."""
    return PydanticCustomError(kind, message, {"at": at} if at else {})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _column_name(column: Any) -> Any:
    if isinstance(column, str) and not column.strip():
        raise _error("empty_column", "the column name is empty; give the source column's name")
    return column


def _shorthand(data: Any, key: str, shape: str) -> Any:
    """`x: name` is short for `x: {key: name}`; anything else but a mapping is an error."""
    if isinstance(data, str):
        return {key: data}
    if not isinstance(data, dict):
        raise _error("shape", f"expected {shape}, got {data!r}")
    return data


def _check_event_type(event_type: str, info: ValidationInfo) -> str:
    event_types = (info.context or {}).get("event_types")
    if event_types is not None and event_type not in event_types:
        hint = closest_event_type(event_type, event_types)
        fix = f"did you mean '{hint}'?" if hint else "use a type of seeds/event_catalog.csv or add it there"
        raise _error("unknown_event", f"unknown event type '{event_type}'; {fix}")
    return event_type


def _check_metadata_keys(metadata: dict[str, Any]) -> dict[str, Any]:
    for key in metadata:
        if not METADATA_KEY.match(key):
            raise _error(
                "metadata_key",
                f"'{key}' is not a valid metadata key; use letters, digits and underscores, not starting "
                "with a digit (templates read it as metadata.<key>)",
                at=(key,),
            )
    return metadata


class SourceOptions(_Strict):
    """How to read the source file; the format is taken from its name unless given."""

    format: Literal["auto", "csv", "xes"] = "auto"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str) -> str:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _error(
                "encoding", f"unknown text encoding '{encoding}'; use e.g. utf-8, utf-8-sig or latin-1"
            ) from None
        return encoding


class ColumnRef(_Strict):
    """A column holding an identifier, with an optional prefix to keep ids of logs apart."""

    column: str
    prefix: str = ""

    _name = field_validator("column")(_column_name)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return _shorthand(data, "column", "a column name or {column: ..., prefix: ...}")


class EventIdSpec(_Strict):
    """The event id: a source column, or `generate: true` for a stable id derived from the row."""

    column: str | None = None
    generate: bool = False

    _name = field_validator("column")(_column_name)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return _shorthand(data, "column", "a column name, {column: ...} or {generate: true}")

    @model_validator(mode="after")
    def _one_source(self) -> EventIdSpec:
        if self.column is not None and self.generate:
            raise _error(
                "event_id_source", "give either 'column' or 'generate: true', not both; remove one", at=("generate",)
            )
        if self.column is None and not self.generate:
            raise _error(
                "event_id_source",
                "say where event ids come from: 'column: <name>' or 'generate: true' (a stable id derived from "
                "conversation, activity, time and the ordinal of identical rows)",
            )
        return self


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


class TimestampSpec(_Strict):
    """The time column; `format` is a strptime format (ISO 8601 when absent); `timezone` is
    the zone of values without an offset (values with an offset keep theirs)."""

    column: str
    format: str | None = None
    timezone: str = "UTC"

    _name = field_validator("column")(_column_name)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return _shorthand(data, "column", "a column name or {column: ..., format: ..., timezone: ...}")

    @field_validator("format")
    @classmethod
    def _valid_format(cls, fmt: str | None) -> str | None:
        if fmt is None:
            return fmt
        sample = datetime(2001, 2, 3, 4, 5, 6, 7000, tzinfo=UTC)
        try:
            if "%" not in fmt:
                raise ValueError("it has no % directive")
            datetime.strptime(sample.strftime(fmt), fmt)
        except ValueError as problem:
            raise _error(
                "time_format",
                f"'{fmt}' is not a usable strptime format ({problem}); use directives such as "
                "%Y-%m-%d %H:%M:%S, or remove 'format' to read ISO 8601",
            ) from None
        return fmt

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
        hint = difflib.get_close_matches(name, sorted(_time_zones()), n=1, cutoff=0.6)
        fix = f"did you mean '{hint[0]}'?" if hint else "use an IANA name such as UTC or Europe/Rome"
        raise _error("time_zone", f"unknown time zone '{name}'; {fix}")

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class FieldSpec(_Strict):
    """agent_id, team_id, channel or status: a column (with an optional prefix) or a fixed value."""

    column: str | None = None
    value: str | None = None
    prefix: str = ""

    _name = field_validator("column")(_column_name)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return _shorthand(data, "column", "a column name, {column: ...} or {value: ...}")

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        _column_or_value(self.column, self.value)
        if self.value is not None and self.prefix:
            raise _error("prefix", "'prefix' applies to a column; put it into the fixed value", at=("prefix",))
        return self


class TagSpec(_Strict):
    """Tags from a column (split on `split` when it holds several) or a fixed tag."""

    column: str | None = None
    value: str | None = None
    split: str | None = Field(default=None, min_length=1)
    prefix: str = ""

    _name = field_validator("column")(_column_name)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return _shorthand(data, "column", "a column name, {column: ..., split: ..., prefix: ...} or {value: ...}")

    @model_validator(mode="after")
    def _one_source(self) -> TagSpec:
        _column_or_value(self.column, self.value)
        for key in ("split", "prefix"):
            if self.value is not None and getattr(self, key):
                raise _error(key, f"'{key}' applies to a column, not to a fixed tag; remove it", at=(key,))
        return self


class MetadataSpec(_Strict):
    """One metadata key: a column's value (as text, or converted to `type`) or a fixed value."""

    column: str | None = None
    value: Scalar | None = None
    type: Literal["string", "integer", "number", "boolean"] = "string"

    _name = field_validator("column")(_column_name)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return _shorthand(data, "column", "a column name, {column: ..., type: ...} or {value: ...}")

    @model_validator(mode="after")
    def _one_source(self) -> MetadataSpec:
        _column_or_value(self.column, self.value)
        if self.value is not None and "type" in self.model_fields_set:
            raise _error("type", "'type' applies to a column; a fixed value keeps its YAML type", at=("type",))
        return self


def _column_or_value(column: Any, value: Any) -> None:
    if column is not None and value is not None:
        raise _error("field_source", "give either 'column' or 'value', not both; remove one", at=("value",))
    if column is None and value is None:
        raise _error("field_source", "give 'column: <source column>' or a fixed 'value: ...'")


class ActivityMap(_Strict):
    """What one source activity becomes: a catalog event type, fixed metadata, a fixed status."""

    event_type: str
    metadata: dict[str, Scalar] = Field(default_factory=dict)
    status: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        return _shorthand(data, "event_type", "an event type or {event_type: ..., metadata: {...}, status: ...}")

    @field_validator("event_type")
    @classmethod
    def _in_catalog(cls, event_type: str, info: ValidationInfo) -> str:
        return _check_event_type(event_type, info)

    @field_validator("metadata", mode="before")
    @classmethod
    def _scalars(cls, metadata: Any) -> Any:
        if isinstance(metadata, dict):
            _check_metadata_keys(metadata)
            for key, value in metadata.items():
                if value is None or isinstance(value, (dict, list)) or not isinstance(value, (str, int, float, bool)):
                    raise _error(
                        "metadata_value",
                        f"metadata '{key}' must be a text, number or true/false, got {value!r}; give one value",
                        at=(key,),
                    )
        return metadata


class Unmapped(_Strict):
    """What happens to an activity `activities` does not list: rejected, or kept as one type."""

    keep_as: str | None = None

    @field_validator("keep_as")
    @classmethod
    def _in_catalog(cls, event_type: str | None, info: ValidationInfo) -> str | None:
        return None if event_type is None else _check_event_type(event_type, info)

    @property
    def rejects(self) -> bool:
        return self.keep_as is None


class Mapping(_Strict):
    """One mapping file."""

    description: str = ""
    source: SourceOptions = Field(default_factory=SourceOptions)
    conversation_id: ColumnRef
    event_id: EventIdSpec
    timestamp: TimestampSpec
    activity: str
    activities: dict[str, ActivityMap] = Field(default_factory=dict)
    unmapped: Unmapped = Field(default_factory=Unmapped)
    channel: FieldSpec | None = None
    status: FieldSpec | None = None
    agent_id: FieldSpec | None = None
    team_id: FieldSpec | None = None
    tags: list[TagSpec] = Field(default_factory=list)
    metadata: dict[str, MetadataSpec] = Field(default_factory=dict)

    _activity_name = field_validator("activity")(_column_name)

    @field_validator("unmapped", mode="before")
    @classmethod
    def _policy(cls, unmapped: Any) -> Any:
        if unmapped == "reject":
            return {}
        if isinstance(unmapped, dict):
            return unmapped
        raise _error(
            "unmapped_policy",
            f"{unmapped!r} is not a policy for unmapped activities; use 'reject' or {{keep_as: <event type>}}",
        )

    @field_validator("activities", mode="before")
    @classmethod
    def _activity_names(cls, activities: Any) -> Any:
        if isinstance(activities, dict):
            for name in activities:
                if not str(name).strip():
                    raise _error(
                        "activity_name", "an activity name is empty; write the activity as the source spells it"
                    )
        return activities

    @field_validator("tags", mode="before")
    @classmethod
    def _one_tag_column(cls, tags: Any) -> Any:
        return [tags] if isinstance(tags, (str, dict)) else tags

    @field_validator("metadata", mode="before")
    @classmethod
    def _keys(cls, metadata: Any) -> Any:
        return _check_metadata_keys(metadata) if isinstance(metadata, dict) else metadata

    def column_references(self) -> list[tuple[tuple[Any, ...], str]]:
        """(location in the mapping, source column) for every column the mapping reads."""
        refs: list[tuple[tuple[Any, ...], str]] = [
            (("conversation_id", "column"), self.conversation_id.column),
            (("timestamp", "column"), self.timestamp.column),
            (("activity",), self.activity),
        ]
        if self.event_id.column is not None:
            refs.append((("event_id", "column"), self.event_id.column))
        for name in ("channel", "status", "agent_id", "team_id"):
            spec = getattr(self, name)
            if spec is not None and spec.column is not None:
                refs.append(((name, "column"), spec.column))
        for index, tag in enumerate(self.tags):
            if tag.column is not None:
                refs.append((("tags", index, "column"), tag.column))
        for key, spec in self.metadata.items():
            if spec.column is not None:
                refs.append((("metadata", key, "column"), spec.column))
        return refs


@dataclass(frozen=True)
class LoadedMapping:
    """A valid mapping, with its YAML document kept for positioned messages about it later."""

    path: Path
    mapping: Mapping
    document: CommentedMap

    def error(self, location: tuple[Any, ...] | list[Any], message: str) -> TemplateError:
        """A `file:line:column: where: message` about the node at `location` (or its nearest parent)."""
        existing = _existing(self.document, list(location))
        line, column = position_of(self.document, existing)
        return TemplateError(self.path, line, column, path_text(existing), message)

    def column_errors(self, columns: list[str], source: Path | str) -> list[TemplateError]:
        """Errors for every column the mapping reads that is not among the source's `columns`."""
        available = list(columns)
        errors = []
        for location, column in self.mapping.column_references():
            if column in available:
                continue
            hint = difflib.get_close_matches(column, available, n=1, cutoff=0.5)
            fix = f"did you mean '{hint[0]}'?" if hint else "use one of: " + ", ".join(available)
            errors.append(self.error(location, f"column '{column}' is not in {source}; {fix}"))
        return errors


def load_mapping(path: Path | str, project_dir: Path | str = ".") -> LoadedMapping:
    """Read and validate a mapping file; raises MappingValidationFailed with every error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as problem:
        raise MappingValidationFailed(
            [TemplateError(path, 1, 1, "", f"cannot read the mapping file ({problem.strerror}); check the path")]
        ) from None
    event_types = set(load_catalog(Path(project_dir)))
    loaded, errors = parse_mapping(text, path, event_types)
    if errors:
        raise MappingValidationFailed(errors)
    assert loaded is not None
    return loaded


def parse_mapping(
    text: str, display_path: Path, event_types: set[str] | None
) -> tuple[LoadedMapping | None, list[TemplateError]]:
    """Parse and validate one mapping's text; returns the mapping or its errors."""
    document, errors = load_yaml_mapping(
        text,
        display_path,
        "a mapping file is a YAML mapping (conversation_id:, event_id:, timestamp:, activity:, "
        "activities:, ...); see examples/helpdesk/mapping.yml",
    )
    if document is None:
        return None, errors
    try:
        mapping = Mapping.model_validate(plain_data(document), context={"event_types": event_types})
    except ValidationError as failure:
        return None, _locate_all(failure.errors(), document, display_path)
    return LoadedMapping(display_path, mapping, document), []


def _locate_all(errors: list[ErrorDetails], document: CommentedMap, display_path: Path) -> list[TemplateError]:
    """Positioned messages; an unknown key that is a typo of a missing one is reported once."""
    located: list[TemplateError] = []
    typo_fixes: set[tuple[Any, ...]] = set()
    hints: dict[int, str | None] = {}
    for index, error in enumerate(errors):
        if error["type"] == "extra_forbidden":
            location = tuple(error["loc"])
            allowed = _allowed_keys(location[:-1])
            matches = difflib.get_close_matches(str(location[-1]), allowed, n=1, cutoff=0.6)
            hints[index] = matches[0] if matches else None
            if matches:
                typo_fixes.add((*location[:-1], matches[0]))
    for index, error in enumerate(errors):
        location = tuple(error["loc"])
        if error["type"] == "missing" and location in typo_fixes:
            continue
        if error["type"] == "extra_forbidden":
            parent = list(location[:-1])
            hint = hints[index]
            if hint:
                message = f"unknown key '{location[-1]}'; did you mean '{hint}'?"
            else:
                choices = ", ".join(_allowed_keys(location[:-1]))
                message = f"unknown key '{location[-1]}'; remove it or use one of: {choices}"
            line, column = position_of(document, list(location))
            located.append(TemplateError(display_path, line, column, path_text(_existing(document, parent)), message))
            continue
        full = list(location) + list((error.get("ctx") or {}).get("at", ()))
        existing = _existing(document, full)
        line, column = position_of(document, existing)
        if error["type"] in _CUSTOM_KINDS:
            message = error["msg"]
        elif error["type"] in ("string_too_short", "string_too_long"):
            message = f"{error['msg'].lower()}, got {error['input']!r}; fix the value"
        else:
            message = error_message(error)
        if error["type"] == "missing":
            message = f"required key '{location[-1]}' is missing; add it"
            existing = _existing(document, list(location[:-1]))
        located.append(TemplateError(display_path, line, column, path_text(existing), message))
    return located


# kinds raised by this module: their message is complete as written
_CUSTOM_KINDS = {
    "empty_column",
    "shape",
    "unknown_event",
    "metadata_key",
    "encoding",
    "event_id_source",
    "time_format",
    "time_zone",
    "prefix",
    "split",
    "type",
    "field_source",
    "metadata_value",
    "unmapped_policy",
    "activity_name",
}


def _existing(document: Any, location: list[Any]) -> list[Any]:
    """The longest prefix of `location` that exists in the YAML (shorthands have no inner keys)."""
    node = document
    found: list[Any] = []
    for part in location:
        if (isinstance(node, CommentedMap) and part in node) or (
            isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            break
        found.append(part)
    return found


def _allowed_keys(location: tuple[Any, ...]) -> list[str]:
    """The keys the model at `location` accepts, for 'did you mean' hints on unknown keys."""
    current: Any = Mapping
    for part in location:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` as X."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        models = [arg for arg in typing.get_args(annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if models:
            return models[0]
    return annotation

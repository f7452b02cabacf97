"""Read template files and turn every problem into `file:line:column: where: what; fix`.

ruamel.yaml's round-trip loader keeps each key's position; pydantic reports each error's
path; this module joins the two so a message points at the exact line to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from journey_compiler.catalog import load_catalog
from journey_compiler.template import Template

TEMPLATES_DIR = Path("journeys")
CONDITION_TAGS = ("condition", "any", "all")  # pydantic's tags for the condition union


@dataclass(frozen=True)
class TemplateError:
    path: Path
    line: int
    column: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.path}:{self.line}:{self.column}: {where}{self.message}"


@dataclass(frozen=True)
class LoadedTemplate:
    path: Path
    template: Template


class TemplateValidationFailed(Exception):
    """Raised when any template is invalid; carries every error of every file."""

    def __init__(self, errors: list[TemplateError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def template_files(project_dir: Path) -> list[Path]:
    folder = Path(project_dir) / TEMPLATES_DIR
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def load_templates(project_dir: Path, files: list[Path] | None = None) -> list[LoadedTemplate]:
    """Every template of the project (or only `files`), validated against the project's catalog;
    raises TemplateValidationFailed with all errors."""
    project_dir = Path(project_dir)
    event_types = set(load_catalog(project_dir))
    loaded: list[LoadedTemplate] = []
    errors: list[TemplateError] = []
    for path in template_files(project_dir) if files is None else _existing(files):
        display = path.relative_to(project_dir) if path.is_relative_to(project_dir) else path
        template, file_errors = parse_template(path.read_text(encoding="utf-8"), display, event_types)
        errors.extend(file_errors)
        if template is not None:
            loaded.append(LoadedTemplate(display, template))
    errors.extend(_duplicate_names(loaded, project_dir))
    if errors:
        raise TemplateValidationFailed(errors)
    return loaded


def _existing(files: list[Path]) -> list[Path]:
    """The named template files, each checked to exist, so a typo is one clear message."""
    for path in files:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such template file; name a .yml file, e.g. journeys/returns.yml")
    return [Path(path).resolve() for path in files]


def parse_template(text: str, display_path: Path, event_types: set[str]) -> tuple[Template | None, list[TemplateError]]:
    """Parse and validate one template's text; returns the template or its errors."""
    document, errors = load_yaml_mapping(
        text, display_path, "a template is a YAML mapping (name:, title:, start:, end:, ...)"
    )
    if document is None:
        return None, errors
    try:
        return Template.model_validate(plain_data(document), context={"event_types": event_types}), []
    except ValidationError as failure:
        return None, [_locate(error, document, display_path) for error in failure.errors()]


def load_yaml_mapping(
    text: str, display_path: Path, not_a_mapping: str
) -> tuple[CommentedMap | None, list[TemplateError]]:
    """Round-trip YAML (positions kept), or a positioned syntax error; `not_a_mapping` is the
    message when the document is not a mapping."""
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        return None, [TemplateError(display_path, line, column, "", f"YAML syntax error: {problem}; fix the syntax")]
    if not isinstance(document, CommentedMap):
        return None, [TemplateError(display_path, 1, 1, "", not_a_mapping)]
    return document, []


def plain_data(node: Any) -> Any:
    """ruamel's round-trip nodes as plain dicts and lists, so pydantic sees ordinary data."""
    if isinstance(node, dict):
        return {str(key): plain_data(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain_data(item) for item in node]
    if hasattr(node, "isoformat") or isinstance(node, (bool, int, float, str)) or node is None:
        return node if not isinstance(node, str) else str(node)
    return node


def _locate(error: ErrorDetails, document: CommentedMap, display_path: Path) -> TemplateError:
    """Map a pydantic error to the YAML position of the node it is about."""
    location = list(error["loc"])
    key = (error.get("ctx") or {}).get("key")
    if key:
        location.extend(int(part) if part.isdigit() else part for part in key.split("."))
    if error["type"] == "extra_forbidden":
        unknown = location[-1]
        location_path = path_text(location[:-1])
        message = f"unknown key '{unknown}'; remove it or check its spelling"
        line, column = position_of(document, location)
        return TemplateError(display_path, line, column, location_path, message)
    line, column = position_of(document, location)
    return TemplateError(display_path, line, column, path_text(location), error_message(error))


def error_message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"required key '{error['loc'][-1]}' is missing; add it"
    if kind == "string_pattern_mismatch":
        return f"'{error['input']}' is not a valid name; use lowercase letters, digits and underscores, starting with a letter"
    if kind.startswith(("literal_error",)):
        return f"'{error['input']}' is not allowed; expected {error['ctx']['expected']}"
    if kind in ("greater_than", "greater_than_equal"):
        return f"{error['input']!r} must be greater than {error['ctx'].get('gt', 0):g}; give a positive number of hours"
    if kind.endswith(("_type", "_parsing")):
        return f"{error['msg'].lower()}, got {error['input']!r}; fix the value"
    return error["msg"].removeprefix("Value error, ")


def path_text(location: list[Any]) -> str:
    text = ""
    previous: Any = None
    for part in location:
        is_union_tag = isinstance(previous, int) and part in CONDITION_TAGS
        previous = part
        if isinstance(part, int):
            text += f"[{part}]"
        elif is_union_tag:
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def position_of(document: CommentedMap, location: list[Any]) -> tuple[int, int]:
    """1-based line and column of the deepest node on the path that exists in the YAML."""
    node: Any = document
    line, column = 1, 1
    for part in location:
        if isinstance(node, CommentedMap) and part in node:
            line, column = node.lc.key(part)
            line, column = line + 1, column + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, column = node.lc.item(part)
            line, column = line + 1, column + 1
            node = node[part]
        # pydantic's union tags ('condition', 'any', 'all') are not YAML keys: skip them
    return line, column


def _duplicate_names(loaded: list[LoadedTemplate], project_dir: Path) -> list[TemplateError]:
    first_seen: dict[str, Path] = {}
    errors: list[TemplateError] = []
    for item in loaded:
        name = item.template.name
        if name in first_seen:
            line, column = _name_position(project_dir, item.path)
            errors.append(
                TemplateError(
                    item.path,
                    line,
                    column,
                    "name",
                    f"duplicate template name '{name}' (also in {first_seen[name]}); template names must be unique",
                )
            )
        else:
            first_seen[name] = item.path
    return errors


def _name_position(project_dir: Path, path: Path) -> tuple[int, int]:
    full = path if path.is_absolute() else Path(project_dir) / path
    document = YAML(typ="rt").load(full.read_text(encoding="utf-8"))
    return position_of(document, ["name"])

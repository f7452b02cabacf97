"""The JSON Schema of the template format, for editors (yaml-language-server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from journey_compiler.catalog import load_catalog
from journey_compiler.template import Template

SCHEMA_FILE = "journey-template.schema.json"


def template_json_schema(project_dir: Path) -> dict[str, Any]:
    """pydantic's schema of Template, with event types limited to the catalog."""
    schema = Template.model_json_schema()
    event_types = sorted(load_catalog(project_dir))
    for definition in schema.get("$defs", {}).values():
        event = definition.get("properties", {}).get("event")
        if event is not None:
            event["enum"] = event_types
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Journey Tracker template"
    return schema

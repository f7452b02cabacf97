"""The event catalog: the seed that lists every event type a template may name."""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from pathlib import Path

CATALOG_SEED = Path("seeds") / "event_catalog.csv"


@dataclass(frozen=True)
class CatalogEntry:
    event_type: str
    event_group: str
    description: str
    metadata_keys: tuple[str, ...]


def load_catalog(project_dir: Path) -> dict[str, CatalogEntry]:
    """Read the catalog seed, so templates are validated against the same data dbt loads."""
    path = Path(project_dir) / CATALOG_SEED
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: event catalog seed not found; run from the dbt project directory or pass --project-dir"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["event_type"]: CatalogEntry(
                event_type=row["event_type"],
                event_group=row["event_group"],
                description=row["description"],
                metadata_keys=tuple(k for k in (row.get("metadata_keys") or "").split("|") if k),
            )
            for row in csv.DictReader(handle)
        }


def closest_event_type(name: str, event_types: list[str] | set[str]) -> str | None:
    """The catalog name a typo most likely meant, for 'did you mean' hints."""
    matches = difflib.get_close_matches(name, sorted(event_types), n=1, cutoff=0.6)
    return matches[0] if matches else None

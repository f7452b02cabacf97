"""What a dbt build is doing, told to a person: phases and model names, on a terminal or in a log.

dbt says little until it has parsed the project (~20 s on a cold start), then names nodes by
their unique ids (tests end in a hash). This turns its events into plain `DbtStep`s and shows
them: a live bar on a terminal, one plain line per phase under cron or CI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


@dataclass(frozen=True)
class DbtStep:
    """One thing dbt did: `parsed` (the selected nodes are known: `total`) or `node` (one finished)."""

    kind: str
    name: str = ""
    resource_type: str = ""
    status: str = ""
    total: int = 0


def node_label(unique_id: str) -> str:
    """A node's readable name: `model.pkg.journeys` -> `journeys`, `test.pkg.not_null_x.3f2a` -> `not_null_x`.

    >>> node_label("test.journey_tracker.not_null_journeys_journey_id.329172c4f3")
    'not_null_journeys_journey_id'
    >>> node_label("model.journey_tracker.journeys")
    'journeys'
    """
    parts = unique_id.split(".")
    if parts[0] == "test" and len(parts) >= 4:
        return parts[2]
    return parts[-1]


class BuildProgress:
    """Shows a dbt build's steps on `console`; use as a context manager around the build."""

    def __init__(self, console: Console, title: str = "dbt build") -> None:
        self.console = console
        self.title = title
        self.live = console.is_terminal
        self.started = time.monotonic()
        self.done = 0
        self.failed = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> BuildProgress:
        self._phase(f"{self.title}: reading the project")
        if self.live:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(f"{self.title}: reading the project", total=None)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
        if kind is None:
            failed = f", {self.failed:,} failed" if self.failed else ""
            self._phase(
                f"{self.title}: {self.done:,} nodes done{failed} in {time.monotonic() - self.started:.0f} s",
                always=True,
            )

    def __call__(self, step: DbtStep) -> None:
        if step.kind == "parsed":
            self._phase(f"{self.title}: building {step.total:,} nodes")
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, total=step.total, description=f"{self.title}: building")
        elif step.kind == "node":
            self.done += 1
            self.failed += step.status in {"error", "fail"}
            if self._progress is not None and self._task is not None:
                self._progress.update(
                    self._task, advance=1, description=f"{self.title}: {step.resource_type} {step.name} {step.status}"
                )

    def _phase(self, line: str, always: bool = False) -> None:
        """One plain line per phase when nobody watches a bar (cron, CI, a pipe); on a terminal only the end."""
        if not self.live or always:
            self.console.print(Text(line), soft_wrap=True)

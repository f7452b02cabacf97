"""Run dbt through its Python API (dbtRunner) against the project's committed profile."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from journey_compiler.progress import DbtStep, node_label

DEFAULT_DATABASE = Path("target") / "journeys.duckdb"


@dataclass(frozen=True)
class BuildOptions:
    project_dir: Path
    database: Path
    as_of: str | None = None
    full_refresh: bool = False
    target: str | None = None
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extra_vars: tuple[tuple[str, object], ...] = ()
    target_path: Path | None = None


class DbtFailed(RuntimeError):
    """dbt finished with errors or failing tests."""


class AsOfError(ValueError):
    """An --as-of value that is not a timestamp."""


AS_OF_FORMAT = "use an ISO 8601 timestamp, e.g. 2026-09-20T12:00:00Z or 2026-09-20 14:00:00+02:00 (no offset means UTC)"


def as_of_for_dbt(text: str | None) -> str | None:
    """The as-of time as dbt gets it: UTC, 'YYYY-MM-DD HH:MM:SS[.ffffff]', offsets converted.

    Parsed here because dbt renders a var's text as Jinja: only this normalised form, digits
    and separators, ever reaches it.
    """
    if text is None or text == "":
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise AsOfError(f"--as-of {text!r} is not a timestamp; {AS_OF_FORMAT}") from None
    return moment.isoformat(sep=" ", timespec="microseconds" if moment.microsecond else "seconds")


def database_path(project_dir: Path, database: Path | None) -> Path:
    """The DuckDB file: --database, else $JOURNEYS_DATABASE, else target/journeys.duckdb in the project."""
    if database is not None:
        return Path(database).resolve()
    from_env = os.environ.get("JOURNEYS_DATABASE")
    if from_env:
        return Path(from_env).resolve()
    return (Path(project_dir) / DEFAULT_DATABASE).resolve()


@contextmanager
def _environment(database: Path) -> Iterator[None]:
    saved = os.environ.get("JOURNEYS_DATABASE")
    os.environ["JOURNEYS_DATABASE"] = str(database)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("JOURNEYS_DATABASE", None)
        else:
            os.environ["JOURNEYS_DATABASE"] = saved


def dbt_args(command: str, options: BuildOptions) -> list[str]:
    project = str(Path(options.project_dir).resolve())
    variables: dict[str, object] = dict(options.extra_vars)
    as_of = as_of_for_dbt(options.as_of)
    if as_of:
        variables["journeys_as_of"] = as_of
    args = [command, "--project-dir", project, "--profiles-dir", project, "--quiet"]
    target_path = options.target_path or Path(project) / "target"
    args += ["--target-path", str(target_path), "--log-path", str(Path(target_path) / "logs")]
    if "DBT_LOG_LEVEL" not in os.environ:
        # no console log: DbtFailed says what failed, and the traceback dbt prints for an error it
        # cannot handle (a database another process holds) buries that; the file log keeps it all
        args += ["--log-level", "none"]
    if "DBT_LOG_LEVEL_FILE" not in os.environ:
        # dbt's default debug file log costs about a second per run; DBT_LOG_LEVEL_FILE=debug brings it back
        args += ["--log-level-file", "info"]
    if variables:
        args += ["--vars", json.dumps(variables)]
    if options.full_refresh and command in ("build", "run", "seed"):
        args.append("--full-refresh")
    if options.target:
        args += ["--target", options.target]
    for selector in options.select:
        args += ["--select", selector]
    for selector in options.exclude:
        args += ["--exclude", selector]
    return args


def run_dbt(
    command: str,
    options: BuildOptions,
    on_step: Callable[[DbtStep], None] | None = None,
    extra_args: tuple[str, ...] = (),
):
    """Invoke dbt in-process; `on_step` hears when the selected nodes are known and as each finishes."""
    from dbt.cli.main import dbtRunner

    announced = False

    def callback(event) -> None:
        nonlocal announced
        if on_step is None:
            return
        name = event.info.name
        if name == "LogStartLine" and not announced:
            announced = True
            on_step(DbtStep("parsed", total=int(event.data.total)))
        elif name == "NodeFinished":
            node = event.data.node_info
            on_step(
                DbtStep(
                    "node", name=node_label(node.unique_id), resource_type=node.resource_type, status=node.node_status
                )
            )

    with _environment(options.database):
        try:
            result = dbtRunner(callbacks=[callback]).invoke([*dbt_args(command, options), *extra_args])
        finally:
            _release_duckdb()
    if result.exception is not None:
        raise DbtFailed(f"dbt {command} could not run: {result.exception}")
    if not result.success:
        raise DbtFailed(f"dbt {command} failed:\n" + _failures(result))
    return result


def _release_duckdb() -> None:
    """dbt-duckdb keeps its database open for the life of the process; close it so the file
    can be read, attached or rebuilt by the caller (and by the next dbt invocation)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _failures(result) -> str:
    lines = []
    for node_result in getattr(result.result, "results", []) or []:
        status = str(node_result.status)
        if status in ("error", "fail", "runtime error"):
            lines.append(f"  {node_result.node.unique_id}: {status}: {node_result.message}")
    return "\n".join(lines) or "  (see target/logs/dbt.log)"

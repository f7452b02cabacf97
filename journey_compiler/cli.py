"""The `journeys` command: validate, compile, run, demo and friends.

Every command works on the dbt project in the current directory, as dbt does;
`--project-dir` points elsewhere.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.text import Text

from journey_compiler import compiler, environment, ingest, report_command, runner, summary
from journey_compiler.loader import TemplateValidationFailed, load_templates
from journey_compiler.progress import BuildProgress
from journey_compiler.schema import SCHEMA_FILE, template_json_schema
from journey_compiler.terminal import plain_console, styled

app = typer.Typer(
    help="Journey Tracker: measure how conversations move through journey templates.", no_args_is_help=True
)
# plain: ids, paths and titles from data print as they are, never as rich markup (terminal.py)
console = plain_console()
errors = plain_console(stderr=True)

ProjectDir = Annotated[Path, typer.Option("--project-dir", help="The dbt project (default: current directory).")]
Database = Annotated[
    Path | None,
    typer.Option("--database", help="DuckDB file (default: $JOURNEYS_DATABASE or target/journeys.duckdb)."),
]


def _templates_or_exit(project_dir: Path, files: list[Path] | None = None):
    try:
        return [item.template for item in load_templates(project_dir, files)]
    except TemplateValidationFailed as failure:
        for error in failure.errors:
            errors.print(str(error), markup=False, highlight=False)
        errors.print(styled(f"{len(failure.errors)} error(s); nothing was compiled.", "red"))
        raise typer.Exit(1) from None
    except FileNotFoundError as error:
        errors.print(styled(error, "red"))
        raise typer.Exit(2) from None


def _generate_or_exit(templates) -> list[compiler.GeneratedFile]:
    try:
        return compiler.generate(templates)
    except compiler.ForeignJinja as error:
        errors.print(str(error), markup=False, highlight=False)
        raise typer.Exit(1) from None


def _as_of_or_exit(as_of: str | None) -> str | None:
    """--as-of parsed here, so dbt only ever gets a normalised UTC timestamp (never text it would render)."""
    try:
        return runner.as_of_for_dbt(as_of)
    except runner.AsOfError as error:
        errors.print(str(error), markup=False, highlight=False)
        raise typer.Exit(2) from None


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"journeys {version('journey-tracker')}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    show_version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Journey Tracker: measure how conversations move through journey templates."""


@app.command()
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Template files to check (default: every file in journeys/).")
    ] = None,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Check templates (every one in journeys/, or the FILES named); print every error of every file."""
    templates = _templates_or_exit(project_dir, files or None)
    console.print(f"{len(templates)} template(s) valid: {', '.join(t.name for t in templates)}")


@app.command("compile")
def compile_command(
    project_dir: ProjectDir = Path("."),
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the committed generated files are stale.")] = False,
) -> None:
    """Turn the templates into dbt models under models/intermediate/generated/."""
    templates = _templates_or_exit(project_dir)
    files = _generate_or_exit(templates)
    if check:
        stale = compiler.stale_files(project_dir, files)
        if stale:
            for path in stale:
                errors.print(f"stale: {path}")
            errors.print(
                styled("Generated models differ from the templates; run `journeys compile` and commit.", "red")
            )
            raise typer.Exit(1) from None
        console.print("Generated models are up to date.")
        return
    written = compiler.write(project_dir, files)
    console.print(f"Compiled {len(templates)} template(s); {len(written)} file(s) changed.")


@app.command()
def schema(
    project_dir: ProjectDir = Path("."),
    out: Annotated[Path | None, typer.Option(help="Where to write (default journey-template.schema.json).")] = None,
) -> None:
    """Write the JSON Schema of the template format, for editors."""
    path = out or Path(project_dir) / SCHEMA_FILE
    path.write_text(
        json.dumps(template_json_schema(project_dir), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    console.print(f"Wrote {path}")


@app.command()
def run(
    events: Annotated[
        list[Path] | None, typer.Option("--events", help="Event file (JSONL, CSV or Parquet); repeatable.")
    ] = None,
    project_dir: ProjectDir = Path("."),
    database: Database = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Compute journey state as of this time: ISO 8601, e.g. 2026-09-20T12:00:00Z; no offset means UTC.",
        ),
    ] = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild every table from all events.")] = False,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Import every --events file as a process-mining log with this mapping first."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop before loading anything when an input check fails.")
    ] = False,
    target: Annotated[
        str | None,
        typer.Option("--target", help="profiles.yml target (default duckdb); spark loads into and builds on Spark."),
    ] = None,
) -> None:
    """Check and load event files into the raw table, build every model with dbt, check the outputs, print a summary."""
    as_of = _as_of_or_exit(as_of)
    events = events or []
    if mapping is not None:
        imported_dir = Path(project_dir) / "target" / "imported"
        imported_dir.mkdir(parents=True, exist_ok=True)
        events = [_import(mapping, source, imported_dir / f"{_stem(source)}.jsonl", project_dir) for source in events]
    build(project_dir, database, events, as_of, full_refresh, strict=strict, target=target)


@app.command()
def check(
    events: Annotated[list[Path], typer.Option("--events", help="Event file to check; repeatable.")],
    project_dir: ProjectDir = Path("."),
    database: Database = None,
    future_tolerance_hours: Annotated[
        float, typer.Option(help="How far in the future an occurred_at may be before it fails.")
    ] = 24.0,
    expected_rows: Annotated[
        int | None, typer.Option(help="Usual batch size (default: the median of earlier loads).")
    ] = None,
) -> None:
    """Run the input checks (great-expectations) on event files without loading them."""
    report = _check_inputs(project_dir, database, events, future_tolerance_hours, expected_rows)
    if not report.ok:
        raise typer.Exit(1) from None


def _check_inputs(
    project_dir: Path,
    database: Path | None,
    events: list[Path],
    future_tolerance_hours: float = 24.0,
    expected_rows: int | None = None,
):
    from journey_compiler import quality
    from journey_compiler.catalog import load_catalog

    for path in events:
        if not path.exists():
            errors.print(styled(f"{path}: no such event file", "red"))
            raise typer.Exit(2) from None
    report = quality.check_event_files(
        events,
        set(load_catalog(project_dir)),
        Path(project_dir) / quality.QUALITY_DIR,
        future_tolerance_hours=future_tolerance_hours,
        expected_rows=expected_rows,
        database=runner.database_path(project_dir, database),
    )
    report.render(console)
    return report


def _check_outputs(project_dir: Path, database: Path) -> None:
    from journey_compiler import quality

    try:
        report = quality.check_outputs(database, Path(project_dir) / quality.QUALITY_DIR)
    except quality.QualityError as error:
        errors.print(styled(error, "red"))
        raise typer.Exit(1) from None
    report.render(console)
    if not report.ok:
        errors.print(styled("The built tables break the output checks; see the report above.", "red"))
        raise typer.Exit(1) from None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".xes"):
        name = name.removesuffix(suffix)
    return name


def _import(mapping: Path, source: Path, out: Path, project_dir: Path) -> Path:
    from journey_compiler.importer import SourceError, import_log

    try:
        report = import_log(mapping, source, out, project_dir)
    except TemplateValidationFailed as failure:
        for error in failure.errors:
            errors.print(str(error), markup=False, highlight=False)
        raise typer.Exit(1) from None
    except (SourceError, FileNotFoundError) as error:
        errors.print(styled(error, "red"))
        raise typer.Exit(2) from None
    console.print(
        f"Imported {source}: {report.rows_read:,} rows read, {report.events_written:,} events written, "
        f"{report.rows_rejected:,} rejected ({report.conversations:,} conversations) -> {out}"
    )
    for reason, count in sorted(report.rejected.items()):
        console.print(f"  rejected, {reason}: {count:,} (rows kept in {report.rejected_path})")
    for activity, count in report.unmapped_activities.most_common():
        console.print(f"  unmapped activity {activity!r}: {count:,}")
    for warning in report.warnings:
        console.print(styled(f"  {warning}", "yellow"))
    return out


@app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="Process-mining log: CSV or XES, optionally gzipped.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file (YAML) from the log to our events.")],
    out: Annotated[Path, typer.Option("--out", help="JSONL file of events to write.")],
    project_dir: ProjectDir = Path("."),
) -> None:
    """Convert a process-mining event log into events of the contract's format."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _import(mapping, source, out, project_dir)


def _exit_if_known(error: BaseException, database: Path) -> None:
    """A known failure to use the database ends the command with its one line (environment.explain), exit 2."""
    line = environment.explain(error, database)
    if line is not None:
        errors.print(styled(line, "red"))
        raise typer.Exit(environment.EXIT_CODE) from None


def _database_failures_in_one_line(function):
    """Another process holding the database, a read-only place: one line, not pages of traceback."""

    @functools.wraps(function)
    def guarded(project_dir: Path, database: Path | None, *args, **kwargs):
        try:
            return function(project_dir, database, *args, **kwargs)
        except (duckdb.Error, OSError) as error:
            _exit_if_known(error, runner.database_path(project_dir, database))
            raise

    return guarded


@_database_failures_in_one_line
def build(
    project_dir: Path,
    database: Path | None,
    events: list[Path],
    as_of: str | None,
    full_refresh: bool,
    strict: bool = False,
    target: str | None = None,
) -> Path:
    templates = _templates_or_exit(project_dir)
    stale = compiler.stale_files(project_dir, _generate_or_exit(templates))
    if stale:
        errors.print(styled("Generated models are stale; run `journeys compile` first.", "red"))
        raise typer.Exit(1) from None
    database = runner.database_path(project_dir, database)
    if target in (None, "duckdb"):
        environment.check_writable(database)  # before minutes of checks: another run may hold it
    if events:
        checked = _check_inputs(project_dir, database, events)
        if strict and not checked.ok:
            errors.print(styled("--strict: input checks failed; nothing was loaded.", "red"))
            raise typer.Exit(1) from None
    if target is not None and target != "duckdb":
        # another warehouse (docs/warehouses.md): the summary and output checks read DuckDB
        from journey_compiler import spark_ingest

        spark_ingest.run_on_spark(project_dir, events, as_of, full_refresh, target, console, _dbt_build_with_progress)
        return database
    report = ingest.load_event_files(database, events)
    for file_load in report.files:
        note = " (already loaded; skipped)" if file_load.skipped_as_already_loaded else ""
        console.print(f"Read {file_load.rows:,} rows from {file_load.path}{note}")
        if file_load.unknown_columns:
            console.print(
                styled(
                    f"  ignored columns not in the contract: {', '.join(sorted(file_load.unknown_columns))}", "yellow"
                )
            )
    options = runner.BuildOptions(project_dir=project_dir, database=database, as_of=as_of, full_refresh=full_refresh)
    _dbt_build_with_progress(options)
    summary.print_summary(console, database, full_refresh=full_refresh)
    _check_outputs(project_dir, database)
    return database


def _dbt_build_with_progress(options: runner.BuildOptions) -> None:
    try:
        with BuildProgress(console) as progress:
            runner.run_dbt("build", options, on_step=progress)
    except runner.DbtFailed as failure:
        _exit_if_known(failure, options.database)
        errors.print(Text(str(failure), style="red"), highlight=False)
        raise typer.Exit(1) from None


@app.command()
def generate(
    conversations: Annotated[int, typer.Option(help="How many conversations.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same events.")] = 7,
    out: Annotated[Path, typer.Option(help="Output file (.jsonl, .csv or .parquet).")] = Path(
        "target/demo_events.jsonl"
    ),
) -> None:
    """Make realistic synthetic support conversations over every catalog event type."""
    from journey_compiler.generate import OUTPUT_SUFFIXES, generate_events, write_events

    if not out.name.lower().endswith(OUTPUT_SUFFIXES):
        errors.print(
            f"{out}: unknown output format; name a file ending in {', '.join(OUTPUT_SUFFIXES)}",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(2) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = write_events(out, generate_events(conversations, seed))
    console.print(f"Wrote {rows:,} events for {conversations:,} conversations to {out}")


@app.command()
def demo(
    project_dir: ProjectDir = Path("."),
    conversations: Annotated[int, typer.Option(help="How many demo conversations.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Generate demo data, build everything on the embedded DuckDB, print the summary."""
    from journey_compiler.generate import generate_events, write_events

    target = Path(project_dir) / "target"
    target.mkdir(parents=True, exist_ok=True)
    # the default database, so `journeys report` and `dbt docs generate` find the demo as written
    database = runner.database_path(project_dir, None)
    database.parent.mkdir(parents=True, exist_ok=True)
    for stale in (database, database.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    events_file = target / "demo_events.jsonl"
    rows = write_events(events_file, generate_events(conversations, seed))
    console.print(f"Generated {rows:,} demo events for {conversations:,} conversations in {events_file}")
    build(project_dir, database, [events_file], None, True)
    console.print(f"HTML report: {report_command.write_html_report(database, target / 'demo_report.html')}")


@app.command()
def report(
    project_dir: ProjectDir = Path("."),
    database: Database = None,
    template: Annotated[str | None, typer.Option("--template", help="Only this template.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only journeys started on or after this date (YYYY-MM-DD, UTC).")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report with charts to this file.")
    ] = None,
) -> None:
    """Show the journeys as pictures: funnel, slowest step, drop-outs, stalls and daily trend per template."""
    code = report_command.report_command(
        console, errors, runner.database_path(project_dir, database), template, since, html
    )
    if code:
        raise typer.Exit(code)


if __name__ == "__main__":
    app()

"""`journeys report`: the metric marts as pictures.

`load_report(database, template=None, since=None)` reads what a report shows, per template,
into plain dataclasses; `render_terminal(console, report)` draws it with rich (funnel bars,
the slowest transition, where timed-out journeys dropped out, the top stalled open journeys,
the daily trend as a sparkline); `journey_compiler.report_html.write_html(report, path)` writes
the same as one self-contained HTML file with charts.

Without `since` every number comes straight from the marts (journey_funnel,
journey_step_durations, journey_dropoffs, journey_completion_curve, journey_time_to_complete,
journey_daily, journey_stalls). With `since` the journeys started before that date (UTC; the
daily trend by its reporting-time-zone date) are left out, so the funnel, step durations,
drop-offs and Kaplan-Meier curve are recomputed from the per-journey intermediate tables the
marts are built on (int_journey_steps, int_journey_transitions, int_journey_completion_times,
int_journey_breakdowns) with the marts' definitions; over the whole range they give the marts'
numbers (tests/test_report.py checks it). Stall flags keep their historical p90 over all
journeys: "slower than usual" is judged against the full history.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console, Group, JustifyMethod
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from journey_compiler.queries import one_row, scalar
from journey_compiler.terminal import cells, styled

BREAKDOWN_DIMENSIONS = ("channel", "team")
TOP_STALLED = 25
TERMINAL_TOP_STALLED = 5
PERCENTILES = ("p50", "p75", "p90", "p95")


class ReportError(Exception):
    """The database cannot give a report (missing, not built, unknown template, bad date)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


# ------------------------------------------------------------------------------------ data


@dataclass
class FunnelStep:
    step_index: int
    step_kind: str
    step_name: str
    journeys_started: int
    journeys_reached: int
    journeys_reached_in_order: int
    median_seconds_from_start: float | None

    @property
    def share(self) -> float | None:
        return self.journeys_reached / self.journeys_started if self.journeys_started else None

    @property
    def in_order_share(self) -> float | None:
        return self.journeys_reached_in_order / self.journeys_started if self.journeys_started else None


@dataclass
class Transition:
    from_step_index: int
    from_step_name: str
    to_step_name: str
    transition_name: str
    journeys: int
    p50_seconds: float | None
    p75_seconds: float | None
    p90_seconds: float | None
    p95_seconds: float | None
    max_seconds: float | None
    target_seconds: float | None
    is_bottleneck: bool = False


@dataclass
class DropoffStep:
    step_index: int
    step_name: str
    journeys: int
    outcome_journeys: int

    @property
    def share(self) -> float | None:
        return self.journeys / self.outcome_journeys if self.outcome_journeys else None


@dataclass
class DailyPoint:
    start_date: date
    journeys_started: int
    journeys_completed: int
    journeys_timed_out: int
    journeys_open: int
    is_mature: bool
    reporting_time_zone: str = "UTC"

    @property
    def completion_rate(self) -> float | None:
        return self.journeys_completed / self.journeys_started if self.journeys_started else None


@dataclass
class BreakdownRow:
    dimension: str
    value: str
    journeys: int
    completed: int
    timed_out: int
    open: int
    median_seconds_to_complete: float | None

    @property
    def completion_share(self) -> float | None:
        return self.completed / self.journeys if self.journeys else None


@dataclass
class Stall:
    conversation_id: str
    channel: str | None
    team_id: str | None
    agent_id: str | None
    started_at: datetime
    current_step_name: str
    next_step_name: str
    waiting_seconds: float
    next_transition_p90_seconds: float | None
    next_step_target_seconds: float | None
    seconds_since_start: float
    stall_reason: str


@dataclass
class TemplateReport:
    name: str
    title: str
    description: str
    timeout_hours: float | None
    funnel: list[FunnelStep] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    timed_out_dropoffs: list[DropoffStep] = field(default_factory=list)
    skipped_milestones: list[DropoffStep] = field(default_factory=list)
    curve_seconds: list[float] = field(default_factory=list)
    curve_completed: list[float] = field(default_factory=list)
    km_median_seconds: float | None = None
    daily: list[DailyPoint] = field(default_factory=list)
    breakdowns: dict[str, list[BreakdownRow]] = field(default_factory=dict)
    stalls: list[Stall] = field(default_factory=list)
    stalled_total: int = 0
    open_total_at_as_of: int = 0

    @property
    def journeys(self) -> int:
        return self.funnel[0].journeys_started if self.funnel else 0

    @property
    def completed(self) -> int:
        return self.funnel[-1].journeys_reached if self.funnel else 0

    @property
    def timed_out(self) -> int:
        return self.timed_out_dropoffs[0].outcome_journeys if self.timed_out_dropoffs else 0

    @property
    def open(self) -> int:
        return self.journeys - self.completed - self.timed_out

    @property
    def bottleneck(self) -> Transition | None:
        return next((transition for transition in self.transitions if transition.is_bottleneck), None)


@dataclass
class Report:
    database: Path
    as_of_at: datetime | None
    since: date | None
    templates: list[TemplateReport]
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))


def load_report(database: Path, template: str | None = None, since: date | None = None) -> Report:
    database = Path(database)
    if not database.exists():
        raise ReportError(
            f"{database}: no such database; build it first with `journeys run` or `journeys demo`.", exit_code=2
        )
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        missing = sorted({"journey_templates", "journey_funnel", "journey_stalls", "int_journey_steps"} - tables)
        if missing:
            raise ReportError(f"{database} has no {', '.join(missing)}; build it with `journeys run` first.")
        known = connection.execute(
            "select template_name, title, description, timeout_hours from main.journey_templates order by template_name"
        ).fetchall()
        if template is not None and template not in {row[0] for row in known}:
            names = ", ".join(row[0] for row in known) or "none"
            raise ReportError(f"unknown template {template!r}; the database has: {names}")
        as_of = scalar(connection, "select max(as_of_at) from main.int_metrics_as_of")
        source = _Source(connection, since)
        templates = [
            _load_template(source, TemplateReport(name, title or name, description or "", timeout_hours))
            for name, title, description, timeout_hours in known
            if template is None or name == template
        ]
    return Report(database=database, as_of_at=as_of, since=since, templates=templates)


class _Source:
    """Rows of one template, from the marts, or recomputed over journeys started since a date."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, since: date | None):
        self.connection = connection
        self.since = since
        self.since_at = datetime(since.year, since.month, since.day) if since else None

    def rows(self, sql: str, *parameters: Any, **named: Any) -> list[dict[str, Any]]:
        cursor = self.connection.execute(sql, named or list(parameters))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def funnel(self, template: str) -> list[dict[str, Any]]:
        """One row per dimension (all, channel, team), value and step."""
        dimensions = ("all", *BREAKDOWN_DIMENSIONS)
        if self.since is None:
            return self.rows(
                "select dimension, dimension_value, step_index, step_kind, step_name, journeys_started,"
                " journeys_reached, journeys_reached_in_order, closed_journeys_started, median_seconds_from_start"
                " from main.journey_funnel where template_name = ? and dimension in (?, ?, ?)"
                " order by dimension, dimension_value, step_index",
                template,
                *dimensions,
            )
        return self.rows(
            """
            select breakdowns.dimension, breakdowns.dimension_value, steps.step_index, steps.step_kind,
                   steps.step_name, count(*) as journeys_started,
                   sum(case when steps.reached then 1 else 0 end) as journeys_reached,
                   sum(case when steps.reached_in_order_path then 1 else 0 end) as journeys_reached_in_order,
                   sum(case when steps.is_closed then 1 else 0 end) as closed_journeys_started,
                   quantile_cont(steps.seconds_from_start, 0.5) as median_seconds_from_start
            from main.int_journey_steps as steps
            inner join main.int_journey_breakdowns as breakdowns on steps.journey_id = breakdowns.journey_id
            where steps.template_name = ? and steps.started_at >= ? and breakdowns.dimension in (?, ?, ?)
            group by all
            order by breakdowns.dimension, breakdowns.dimension_value, steps.step_index
            """,
            template,
            self.since_at,
            *dimensions,
        )

    def transitions(self, template: str) -> list[dict[str, Any]]:
        columns = (
            "from_step_index, from_step_name, to_step_name, transition_name, journeys, p50_seconds,"
            " p75_seconds, p90_seconds, p95_seconds, max_seconds, target_seconds, is_bottleneck"
        )
        if self.since is None:
            return self.rows(
                f"select {columns} from main.journey_step_durations"
                " where template_name = ? and dimension = 'all' order by from_step_index",
                template,
            )
        rows = self.rows(
            """
            select transitions.from_step_index, transitions.from_step_name, transitions.to_step_name,
                   transitions.transition_name,
                   sum(case when transitions.is_measured then 1 else 0 end) as journeys,
                   quantile_cont(transitions.transition_seconds, 0.5) as p50_seconds,
                   quantile_cont(transitions.transition_seconds, 0.75) as p75_seconds,
                   quantile_cont(transitions.transition_seconds, 0.9) as p90_seconds,
                   quantile_cont(transitions.transition_seconds, 0.95) as p95_seconds,
                   max(transitions.transition_seconds) as max_seconds,
                   max(transitions.to_step_target_seconds) as target_seconds
            from main.int_journey_transitions as transitions
            inner join main.journeys on transitions.journey_id = journeys.journey_id
            where transitions.template_name = ? and journeys.started_at >= ?
            group by all
            order by transitions.from_step_index
            """,
            template,
            self.since_at,
        )
        # the bottleneck as journey_step_durations flags it: highest p50, then p90, then the earlier step
        measured = [row for row in rows if row["journeys"]]
        slowest = min(
            measured, key=lambda row: (-row["p50_seconds"], -row["p90_seconds"], row["from_step_index"]), default=None
        )
        for row in rows:
            row["is_bottleneck"] = row is slowest
        return rows

    def dropoffs(self, template: str) -> list[dict[str, Any]]:
        if self.since is None:
            return self.rows(
                "select outcome, step_index, step_name, journeys, outcome_journeys from main.journey_dropoffs"
                " where template_name = ? order by outcome, step_index",
                template,
            )
        return self.rows(
            """
            with steps as (
                select * from main.int_journey_steps where template_name = $template
            ),
            template_steps as (
                select distinct step_index, step_kind, step_name from steps
            ),
            in_range as (
                select * from steps where started_at >= $since_at
            ),
            totals as (
                select count(distinct case when status = 'timed_out' then journey_id end) as timed_out,
                       count(distinct case when status = 'completed' then journey_id end) as completed
                from in_range
            ),
            furthest as (
                select journey_id, max(step_index) as step_index
                from in_range where status = 'timed_out' and reached group by journey_id
            ),
            timed_out_counts as (
                select step_index, count(*) as journeys from furthest group by step_index
            ),
            skipped_counts as (
                select step_index, count(*) as journeys from in_range
                where status = 'completed' and skipped group by step_index
            )
            select 'timed_out' as outcome, template_steps.step_index, template_steps.step_name,
                   coalesce(timed_out_counts.journeys, 0) as journeys, totals.timed_out as outcome_journeys
            from template_steps cross join totals
            left join timed_out_counts on template_steps.step_index = timed_out_counts.step_index
            where template_steps.step_kind <> 'end'
            union all
            select 'completed', template_steps.step_index, template_steps.step_name,
                   coalesce(skipped_counts.journeys, 0), totals.completed
            from template_steps cross join totals
            left join skipped_counts on template_steps.step_index = skipped_counts.step_index
            where template_steps.step_kind = 'milestone'
            order by 1, 2
            """,
            template=template,
            since_at=self.since_at,
        )

    def curve(self, template: str) -> tuple[list[float], list[float], float | None]:
        """(t seconds, completion probability, Kaplan-Meier median seconds)."""
        if self.since is None:
            rows = self.connection.execute(
                "select t_seconds, completion_probability from main.journey_completion_curve"
                " where template_name = ? order by t_seconds",
                [template],
            ).fetchall()
            median = self.connection.execute(
                "select km_median_seconds from main.journey_time_to_complete where template_name = ?", [template]
            ).fetchone()
            return [row[0] for row in rows], [row[1] for row in rows], median[0] if median else None
        observations = self.connection.execute(
            """
            select times.observed_seconds, times.is_completed
            from main.int_journey_completion_times as times
            inner join main.journeys on times.journey_id = journeys.journey_id
            where times.template_name = ? and journeys.started_at >= ?
            """,
            [template, self.since_at],
        ).fetchall()
        return kaplan_meier(observations)

    def daily(self, template: str) -> list[dict[str, Any]]:
        return self.rows(
            "select start_date, journeys_started, journeys_completed, journeys_timed_out, journeys_open, is_mature,"
            " reporting_time_zone"
            " from main.journey_daily where template_name = ? and dimension = 'all'"
            " and start_date >= coalesce(?, start_date) order by start_date",
            template,
            self.since,
        )

    def stalls(self, template: str) -> tuple[list[dict[str, Any]], int, int]:
        """(the most stalled open journeys, how many are stalled, how many are open)."""
        where = "template_name = ? and started_at >= coalesce(?, started_at)"
        rows = self.rows(
            "select conversation_id, channel, team_id, agent_id, started_at, current_step_name, next_step_name,"
            " waiting_seconds, next_transition_p90_seconds, next_step_target_seconds, seconds_since_start,"
            f" stall_reason from main.journey_stalls where {where} and is_stalled"
            " order by waiting_seconds desc, conversation_id limit ?",
            template,
            self.since_at,
            TOP_STALLED,
        )
        stalled, open_ = one_row(
            self.connection,
            f"select count(*) filter (where is_stalled), count(*) from main.journey_stalls where {where}",
            [template, self.since_at],
        )
        return rows, stalled, open_


def kaplan_meier(observations: Iterable[tuple[float, bool]]) -> tuple[list[float], list[float], float | None]:
    """The curve of journey_completion_curve: completions at each observed time, censored
    journeys at risk at their own time; t = 0 first. Returns (times, 1 - survival, median)."""
    by_time: dict[float, list[int]] = {0.0: [0, 0]}
    for seconds, completed in observations:
        counts = by_time.setdefault(float(seconds), [0, 0])
        counts[0 if completed else 1] += 1
    at_risk = sum(completions + censored for completions, censored in by_time.values())
    if at_risk == 0:
        return [], [], None
    survival = 1.0
    times: list[float] = []
    completed_share: list[float] = []
    median = None
    for seconds in sorted(by_time):
        completions, censored = by_time[seconds]
        if completions:
            survival = 0.0 if completions == at_risk else survival * (1 - completions / at_risk)
        times.append(seconds)
        completed_share.append(1 - survival)
        if median is None and survival <= 0.5 + 1e-12:  # exactly one half, up to rounding
            median = seconds
        at_risk -= completions + censored
    return times, completed_share, median


def _load_template(source: _Source, report: TemplateReport) -> TemplateReport:
    name = report.name
    funnel_rows = source.funnel(name)
    report.funnel = [
        FunnelStep(
            row["step_index"],
            row["step_kind"],
            row["step_name"],
            row["journeys_started"],
            row["journeys_reached"],
            row["journeys_reached_in_order"],
            row["median_seconds_from_start"],
        )
        for row in funnel_rows
        if row["dimension"] == "all"
    ]
    end_index = max((step.step_index for step in report.funnel), default=None)
    for dimension in BREAKDOWN_DIMENSIONS:
        rows = {}
        for row in funnel_rows:
            if row["dimension"] == dimension and row["step_index"] == end_index:
                completed = row["journeys_reached"]
                closed = row["closed_journeys_started"]
                rows[row["dimension_value"]] = BreakdownRow(
                    dimension,
                    row["dimension_value"],
                    row["journeys_started"],
                    completed,
                    closed - completed,
                    row["journeys_started"] - closed,
                    row["median_seconds_from_start"],
                )
        report.breakdowns[dimension] = sorted(rows.values(), key=lambda item: (-item.journeys, item.value))
    report.transitions = [Transition(**row) for row in source.transitions(name)]
    for row in source.dropoffs(name):
        step = DropoffStep(row["step_index"], row["step_name"], row["journeys"], row["outcome_journeys"])
        (report.timed_out_dropoffs if row["outcome"] == "timed_out" else report.skipped_milestones).append(step)
    report.curve_seconds, report.curve_completed, report.km_median_seconds = source.curve(name)
    report.daily = [DailyPoint(**row) for row in source.daily(name)]
    stalls, report.stalled_total, report.open_total_at_as_of = source.stalls(name)
    report.stalls = [Stall(**row) for row in stalls]
    return report


# ----------------------------------------------------------------------------- formatting


def format_duration(seconds: float | None) -> str:
    """42s, 12m, 3.4h, 2.1d: short and readable, for tables and labels."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 48 * 3600:
        hours = seconds / 3600
        return f"{hours:.1f}h" if hours < 10 else f"{hours:.0f}h"
    return f"{seconds / 86400:.1f}d"


def format_share(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}" if share >= 0.1 or share == 0 else f"{share:.1%}"


SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, scaled from the smallest to the largest; blank for None."""
    present = [value for value in values if value is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    characters = []
    for value in values:
        if value is None:
            characters.append(" ")
        else:
            level = 0 if span == 0 else round((value - low) / span * (len(SPARK_BLOCKS) - 1))
            characters.append(SPARK_BLOCKS[level])
    return "".join(characters)


def bar(share: float | None, width: int) -> str:
    """A horizontal bar of `width` cells at most, in eighths of a cell."""
    if not share:
        return ""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])


# ------------------------------------------------------------------------------- terminal


def render_terminal(console: Console, report: Report) -> None:
    scope = f"journeys started since {report.since.isoformat()}" if report.since else "all journeys"
    as_of = report.as_of_at.strftime("%Y-%m-%d %H:%M UTC") if report.as_of_at else "–"
    console.print(Text.assemble(("Journey report", "bold"), f"  {report.database}  ·  as of {as_of}  ·  {scope}"))
    if not report.templates:
        console.print(styled("No templates in the database."))
    elif report.since is None and not any(template.journeys for template in report.templates):
        # an empty first run (no accepted events yet) is not an error: say what to do
        console.print(
            styled(
                "No journeys yet: no accepted event has started one. Load events with `journeys run --events FILE`.",
                "yellow",
            )
        )
        return
    for template in report.templates:
        console.print(_template_panel(template))


def _template_panel(template: TemplateReport) -> Panel:
    parts: list[Any] = []
    if template.journeys == 0:
        parts.append(Text("No journeys in range.", style="dim"))
    else:
        parts.append(
            Text.assemble(
                (f"{template.journeys:,}", "bold"),
                " journeys: ",
                (f"{template.completed:,} completed ({format_share(template.completed / template.journeys)})", "green"),
                ", ",
                (f"{template.timed_out:,} timed out", "red"),
                ", ",
                (f"{template.open:,} open", "cyan"),
                f"  ·  median to complete {format_duration(template.km_median_seconds)} (Kaplan–Meier)"
                if template.km_median_seconds is not None
                else "",
            )
        )
        for section in (_funnel_table, _slowest_transition, _dropoff_table, _stall_table, _daily_trend):
            part = section(template)
            if part is not None:
                parts += [Text(""), part]
    # Panel parses string titles as markup: titles and descriptions are data, so Text
    subtitle = styled(template.description) if template.description else None
    return Panel(
        Group(*[part for part in parts if part is not None]),
        title=Text.assemble(styled(template.title, "bold"), f" ({template.name})"),
        title_align="left",
        subtitle=subtitle,
        subtitle_align="left",
        padding=(0, 1),
    )


def _funnel_table(template: TemplateReport) -> Group:
    table = Table(box=None, pad_edge=False)
    table.add_column("step")
    table.add_column("", width=32, no_wrap=True)
    table.add_column("journeys", justify="right")
    table.add_column("share", justify="right")
    table.add_column("in order", justify="right")
    for step in template.funnel:
        style = "green" if step.step_kind == "end" else "blue"
        table.add_row(
            *cells(
                step.step_name,
                Text(bar(step.share, 30), style=style),
                f"{step.journeys_reached:,}",
                format_share(step.share),
                format_share(step.in_order_share),
            )
        )
    return _titled('Funnel: journeys reaching each step (any order; "in order": every earlier step first)', table)


def _titled(title: str, body: Any) -> Group:
    return Group(Text(title, style="bold"), body)


def _slowest_transition(template: TemplateReport) -> Any:
    slowest = template.bottleneck
    if slowest is None:
        return Text("Slowest transition: nothing measured yet.", style="dim")
    table = Table(box=None, pad_edge=False)
    justified: tuple[tuple[str, JustifyMethod], ...] = (
        ("transition", "left"),
        ("journeys", "right"),
        ("p50", "right"),
        ("p90", "right"),
        ("target", "right"),
        ("", "left"),
    )
    for column, justify in justified:
        table.add_column(column, justify=justify)
    for transition in template.transitions:
        marker = Text("◀ slowest", style="bold yellow") if transition.is_bottleneck else Text("")
        style = "bold" if transition.is_bottleneck else None
        name = f"{transition.from_step_name} → {transition.to_step_name}"
        table.add_row(
            *cells(
                Text(name, style=style or ""),
                f"{transition.journeys:,}",
                format_duration(transition.p50_seconds),
                format_duration(transition.p90_seconds),
                format_duration(transition.target_seconds),
                marker,
            )
        )
    return _titled(
        f"Slowest transition: {slowest.from_step_name} → {slowest.to_step_name}, "
        f"p50 {format_duration(slowest.p50_seconds)}, p90 {format_duration(slowest.p90_seconds)} "
        "(target: hours from the start)",
        table,
    )


def _dropoff_table(template: TemplateReport) -> Any:
    total = template.timed_out
    if total == 0:
        return Text(
            "Timed out: none" + ("" if template.timeout_hours else " (the template has no timeout)") + ".", style="dim"
        )
    table = Table(box=None, pad_edge=False)
    table.add_column("last step")
    table.add_column("", width=22, no_wrap=True)
    table.add_column("journeys", justify="right")
    table.add_column("share", justify="right")
    biggest = max(template.timed_out_dropoffs, key=lambda step: step.journeys)
    for step in template.timed_out_dropoffs:
        style = "bold red" if step is biggest else "red"
        table.add_row(
            *cells(
                step.step_name, Text(bar(step.share, 20), style=style), f"{step.journeys:,}", format_share(step.share)
            )
        )
    return _titled(f"Where the {total:,} timed-out journeys dropped out (the last step they reached)", table)


def _stall_table(template: TemplateReport) -> Any:
    if not template.stalls:
        return Text(f"Stalled now: none of {template.open_total_at_as_of:,} open journeys.", style="dim")
    table = Table(box=None, pad_edge=False)
    justified: tuple[tuple[str, JustifyMethod], ...] = (
        ("conversation", "left"),
        ("waiting at", "left"),
        ("for", "left"),
        ("waiting", "right"),
        ("usual p90", "right"),
        ("team", "left"),
        ("why", "left"),
    )
    for column, justify in justified:
        table.add_column(column, justify=justify)
    for stall in template.stalls[:TERMINAL_TOP_STALLED]:
        table.add_row(
            *cells(
                stall.conversation_id,
                stall.current_step_name,
                stall.next_step_name,
                Text(format_duration(stall.waiting_seconds), style="bold"),
                format_duration(stall.next_transition_p90_seconds),
                stall.team_id or "–",
                stall.stall_reason.replace("_", " "),
            )
        )
    return _titled(
        f"Stalled now: {template.stalled_total:,} of {template.open_total_at_as_of:,} open journeys "
        f"(top {min(TERMINAL_TOP_STALLED, len(template.stalls))} by waiting time)",
        table,
    )


def _daily_trend(template: TemplateReport) -> Any:
    if not template.daily:
        return None
    first, last = template.daily[0].start_date, template.daily[-1].start_date
    started = [point.journeys_started for point in template.daily]
    rates = [point.completion_rate for point in template.daily]
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column("")
    table.add_column("", no_wrap=True)
    table.add_column("")
    table.add_row(
        *cells("started per day", Text(sparkline(started), style="blue"), f"{min(started):,}–{max(started):,}")
    )
    present = [rate for rate in rates if rate is not None]
    table.add_row(
        *cells(
            "completed (share)",
            Text(sparkline(rates), style="green"),
            f"{format_share(min(present))}–{format_share(max(present))}" if present else "–",
        )
    )
    immature = sum(1 for point in template.daily if not point.is_mature)
    note = f"; {immature} not yet mature" if immature else ""
    return _titled(
        f"Daily trend by day of start, {first:%Y-%m-%d} → {last:%Y-%m-%d} ({len(template.daily)} days{note})", table
    )


# ------------------------------------------------------------------------------------ CLI


def parse_since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(f"--since {text!r}: not a date; write it as YYYY-MM-DD") from None

"""`journeys report --html FILE`: one self-contained HTML file with charts, per template.

Charts are plotly figures; plotly.js (shipped inside the plotly wheel) is inlined once in the
page head, so the file opens offline and loads nothing from the network. Per template: the
funnel, step-duration percentiles, where journeys dropped out, the Kaplan–Meier completion
curve, the daily trend, breakdowns by channel and team, and the stalled-now table.

Every chart is a `div.plotly-graph-div` inside a `figure.chart` with a `data-chart` name; the
browser test (tests/test_report.py) checks each one rendered.
"""

from __future__ import annotations

import html
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from journey_compiler.report import (
    Report,
    TemplateReport,
    format_duration,
    format_share,
)

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
COMPLETED = "#009E73"
TIMED_OUT = "#D55E00"
OPEN = "#56B4E9"
PRIMARY = "#0072B2"
SKIPPED = "#E69F00"
LIGHT = "#9ecae1"
PERCENTILE_COLOURS = {"p50": "#c6dbef", "p75": "#6baed6", "p90": "#2171b5", "p95": "#08306b"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
CHART_HEIGHT = 380
MAX_BREAKDOWN_VALUES = 12
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


def write_html(report: Report, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path


def render_html(report: Report) -> str:
    sections = "\n".join(_template_section(template) for template in report.templates)
    toc = "".join(f'<a href="#t-{_e(t.name)}">{_e(t.title)}</a>' for t in report.templates)
    as_of = report.as_of_at.strftime("%Y-%m-%d %H:%M UTC") if report.as_of_at else "–"
    scope = f"journeys started since {report.since.isoformat()}" if report.since else "all journeys"
    empty = "" if report.templates else "<p class=note>No templates in the database.</p>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Journey report · as of {_e(as_of)}</title>
<style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
<script type="text/javascript">{PLOT_SCRIPT}</script>
</head>
<body>
<header>
  <h1>Journey report</h1>
  <p class="meta">As of <b>{_e(as_of)}</b> · {_e(scope)} · database <code>{_e(str(report.database))}</code>
  · generated {_e(report.generated_at.isoformat(sep=" "))}</p>
  <nav>{toc}</nav>
</header>
<main>
{empty}
{sections}
</main>
<footer>Journey Tracker · charts drawn with plotly.js, inlined: this file works offline.</footer>
</body>
</html>
"""


CSS = (
    """
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --card: #ffffff; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font-family: """
    + FONT
    + """; color: var(--ink); background: var(--bg); font-size: 14px; }
header { background: #102a43; color: #f0f4f8; padding: 20px 32px 12px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header .meta { margin: 0 0 12px; color: #bcccdc; }
header code { color: #f0f4f8; }
nav a { display: inline-block; margin: 0 8px 8px 0; padding: 4px 12px; border-radius: 999px; background: #243b53;
        color: #f0f4f8; text-decoration: none; }
nav a:hover { background: #334e68; }
main { padding: 8px 32px 32px; max-width: 1600px; margin: 0 auto; }
section.template { margin-top: 28px; }
section.template > h2 { font-size: 20px; margin: 0; }
section.template > h2 small { color: var(--muted); font-weight: normal; font-size: 14px; }
p.description { color: var(--muted); margin: 4px 0 12px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 16px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.kpi .value { font-size: 22px; font-weight: 600; margin-top: 2px; }
.kpi .sub { color: var(--muted); font-size: 12px; }
.kpi.completed .value { color: #007a5a; }
.kpi.timed_out .value, .kpi.stalled .value { color: #b34700; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 1100px) { .charts { grid-template-columns: minmax(0, 1fr); } }
figure.chart { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px;
               min-width: 0; }
figure.chart.wide { grid-column: 1 / -1; }
figure.chart figcaption { color: var(--muted); font-size: 12px; padding: 0 8px 4px; }
.table-card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
              margin-top: 16px; overflow-x: auto; }
.table-card h3 { margin: 0 0 8px; font-size: 16px; }
table.stalls { border-collapse: collapse; width: 100%; font-size: 13px; }
table.stalls th, table.stalls td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line);
                                   white-space: nowrap; }
table.stalls th { color: var(--muted); font-weight: 600; font-size: 12px; }
table.stalls td.num, table.stalls th.num { text-align: right; font-variant-numeric: tabular-nums; }
.reason { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; background: #ffe8d9;
          color: #8a3a00; }
p.note { color: var(--muted); }
footer { color: var(--muted); text-align: center; padding: 16px; font-size: 12px; }
"""
)


# --------------------------------------------------------------------------------- layout


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _template_section(template: TemplateReport) -> str:
    head = (
        f'<section class="template" id="t-{_e(template.name)}">'
        f"<h2>{_e(template.title)} <small>{_e(template.name)}</small></h2>"
        f'<p class="description">{_e(template.description)}</p>'
    )
    if template.journeys == 0:
        return head + '<p class="note">No journeys in range.</p></section>'
    charts = [
        _chart(
            template,
            "funnel",
            _funnel_figure(template),
            "Reached in any order; the lighter bar counts journeys that reached every earlier step first.",
        ),
        _chart(
            template,
            "durations",
            _durations_figure(template),
            "Time from one step to the next, over journeys that reached both in this order.",
        ),
        _chart(
            template,
            "dropoffs",
            _dropoffs_figure(template),
            "Left: timed-out journeys by the furthest step they reached. Right: completed journeys by "
            "milestone skipped (a journey can skip several).",
        ),
        _chart(
            template,
            "completion_curve",
            _completion_curve_figure(template),
            "Kaplan–Meier estimate: open journeys count as censored at the as-of time, timed-out ones at "
            "their deadline, so slow journeys still in flight are not ignored.",
        ),
        _chart(
            template,
            "daily",
            _daily_figure(template),
            "Journeys by the day they started and how they ended up; shaded days are not yet mature "
            "(some journeys are still open or within their timeout).",
            wide=True,
        ),
        _chart(
            template,
            "breakdowns",
            _breakdowns_figure(template),
            "Journeys by the start event's channel and team, with the share completed.",
            wide=True,
        ),
    ]
    return (
        head
        + _kpis(template)
        + '<div class="charts">'
        + "".join(charts)
        + "</div>"
        + _stalls_table(template)
        + "</section>"
    )


def _kpis(template: TemplateReport) -> str:
    journeys = template.journeys
    slowest = template.bottleneck
    cards = [
        ("", "Journeys", f"{journeys:,}", ""),
        ("completed", "Completed", f"{template.completed:,}", format_share(template.completed / journeys)),
        ("timed_out", "Timed out", f"{template.timed_out:,}", format_share(template.timed_out / journeys)),
        ("", "Open", f"{template.open:,}", format_share(template.open / journeys)),
        ("stalled", "Stalled now", f"{template.stalled_total:,}", f"of {template.open_total_at_as_of:,} open"),
        (
            "",
            "Median time to complete",
            format_duration(template.km_median_seconds),
            "Kaplan–Meier" if template.km_median_seconds is not None else "not reached: under half complete",
        ),
    ]
    if slowest is not None:
        cards.append(
            (
                "",
                "Slowest step",
                f"p50 {format_duration(slowest.p50_seconds)}",
                f"{slowest.from_step_name} → {slowest.to_step_name} · p90 {format_duration(slowest.p90_seconds)}",
            )
        )
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi {kind}"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>'
            f'<div class="sub">{_e(sub)}</div></div>'
            for kind, label, value, sub in cards
        )
        + "</div>"
    )


def _chart(template: TemplateReport, name: str, figure: go.Figure, caption: str, wide: bool = False) -> str:
    """A figure's div and its spec as JSON; PLOT_SCRIPT draws every one once the page has laid out,
    so each chart takes the width its card really has."""
    div_id = f"chart-{template.name}-{name}"
    spec = figure.to_json().replace("<", "\\u003c")  # no "</script>" inside the script element
    return (
        f'<figure class="chart{" wide" if wide else ""}" data-chart="{_e(name)}" '
        f'data-template="{_e(template.name)}">'
        f'<div id="{_e(div_id)}" class="plotly-graph-div" style="height:{CHART_HEIGHT}px; width:100%;"></div>'
        f'<script type="application/json" class="chart-spec" data-for="{_e(div_id)}">{spec}</script>'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


PLOT_SCRIPT = (
    "\n"
    "document.addEventListener('DOMContentLoaded', function () {\n"
    f"  var config = {json.dumps(PLOTLY_CONFIG)};\n"
    "  document.querySelectorAll('script.chart-spec').forEach(function (element) {\n"
    "    var spec = JSON.parse(element.textContent);\n"
    "    Plotly.newPlot(element.dataset.for, spec.data, spec.layout, config);\n"
    "  });\n"
    "});\n"
)


def _stalls_table(template: TemplateReport) -> str:
    title = f"Stalled now: {template.stalled_total:,} of {template.open_total_at_as_of:,} open journeys"
    if template.stalled_total > len(template.stalls):
        title += f" (the {len(template.stalls)} waiting longest)"
    if not template.stalls:
        return (
            f'<div class="table-card" data-table="stalls"><h3>{_e(title)}</h3>'
            '<p class="note">Nothing is stalled.</p></div>'
        )
    headers = [
        ("conversation", ""),
        ("channel", ""),
        ("team", ""),
        ("agent", ""),
        ("started (UTC)", ""),
        ("waiting at", ""),
        ("waiting for", ""),
        ("waiting", "num"),
        ("usual p90", "num"),
        ("open for", "num"),
        ("target", "num"),
        ("why", ""),
    ]
    rows = []
    for stall in template.stalls:
        cells = [
            (stall.conversation_id, ""),
            (stall.channel or "–", ""),
            (stall.team_id or "–", ""),
            (stall.agent_id or "–", ""),
            (stall.started_at.strftime("%Y-%m-%d %H:%M"), ""),
            (stall.current_step_name, ""),
            (stall.next_step_name, ""),
            (format_duration(stall.waiting_seconds), "num"),
            (format_duration(stall.next_transition_p90_seconds), "num"),
            (format_duration(stall.seconds_since_start), "num"),
            (format_duration(stall.next_step_target_seconds), "num"),
        ]
        row = "".join(f'<td class="{kind}">{_e(value)}</td>' for value, kind in cells)
        row += f'<td><span class="reason">{_e(stall.stall_reason.replace("_", " "))}</span></td>'
        rows.append(f"<tr>{row}</tr>")
    head = "".join(f'<th class="{kind}">{_e(name)}</th>' for name, kind in headers)
    return (
        f'<div class="table-card" data-table="stalls"><h3>{_e(title)}</h3>'
        f'<table class="stalls"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


# --------------------------------------------------------------------------------- charts


def _layout(figure: go.Figure, title: str, **extra: Any) -> go.Figure:
    layout: dict[str, Any] = {
        "template": "plotly_white",
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": FONT, "size": 12, "color": "#1f2933"},
        "margin": {"l": 10, "r": 20, "t": 56, "b": 50},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "right",
            "x": 1,
            "traceorder": "normal",
        },
        "hoverlabel": {"font": {"family": FONT}},
    }
    figure.update_layout(**(layout | extra))
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)
    return figure


def _count_axis(largest: float) -> dict[str, Any]:
    """A journeys axis: whole numbers with thousands separators, from zero."""
    if largest <= 0:
        return {"range": [0, 1], "dtick": 1, "tickformat": ",d"}
    return {"rangemode": "tozero", "tickformat": ",d", **({"dtick": 1} if largest <= 6 else {})}


def _time_unit(max_seconds: float | None) -> tuple[float, str]:
    """The unit a time axis reads best in: minutes, hours or days."""
    if not max_seconds or max_seconds < 2 * 3600:
        return 60.0, "minutes"
    if max_seconds < 96 * 3600:
        return 3600.0, "hours"
    return 86400.0, "days"


def _no_data(figure: go.Figure, message: str, **position: Any) -> None:
    figure.add_annotation(
        text=message,
        showarrow=False,
        font={"size": 13, "color": "#616e7c"},
        xref=position.get("xref", "paper"),
        yref=position.get("yref", "paper"),
        x=position.get("x", 0.5),
        y=position.get("y", 0.5),
    )


def _funnel_figure(template: TemplateReport) -> go.Figure:
    steps = template.funnel
    names = [step.step_name for step in steps]
    figure = go.Figure()
    figure.add_bar(
        name="reached (any order)",
        y=names,
        x=[step.journeys_reached for step in steps],
        orientation="h",
        marker_color=[COMPLETED if step.step_kind == "end" else PRIMARY for step in steps],
        text=[f"{step.journeys_reached:,} · {format_share(step.share)}" for step in steps],
        textposition="auto",
        insidetextanchor="end",
        hovertemplate="%{y}: %{x:,} journeys reached it<extra></extra>",
    )
    figure.add_bar(
        name="reached in order",
        y=names,
        x=[step.journeys_reached_in_order for step in steps],
        orientation="h",
        marker_color=LIGHT,
        text=[format_share(step.in_order_share) for step in steps],
        textposition="auto",
        hovertemplate="%{y}: %{x:,} journeys reached it and every earlier step in order<extra></extra>",
    )
    _layout(
        figure,
        f"Funnel: journeys reaching each step (of {template.journeys:,} started)",
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
    )
    figure.update_yaxes(autorange="reversed", title_text="Step")
    figure.update_xaxes(title_text="Journeys (count)", **_count_axis(template.journeys))
    return figure


def _durations_figure(template: TemplateReport) -> go.Figure:
    transitions = template.transitions
    measured = [t for t in transitions if t.journeys]
    divisor, unit = _time_unit(max((t.p95_seconds or 0 for t in measured), default=None))
    labels = [f"{t.from_step_name} → {t.to_step_name}" + (" ⚑ slowest" if t.is_bottleneck else "") for t in transitions]
    figure = go.Figure()
    for percentile in ("p50", "p75", "p90", "p95"):
        values = [getattr(t, f"{percentile}_seconds") for t in transitions]
        figure.add_bar(
            name=percentile,
            y=labels,
            x=[None if v is None else v / divisor for v in values],
            orientation="h",
            marker_color=PERCENTILE_COLOURS[percentile],
            customdata=[[format_duration(v), f"{t.journeys:,}"] for v, t in zip(values, transitions, strict=True)],
            hovertemplate=f"%{{y}}<br>{percentile}: %{{customdata[0]}} (%{{customdata[1]}} journeys)<extra></extra>",
        )
    _layout(figure, "Time between steps: percentiles", barmode="group", bargap=0.2)
    figure.update_yaxes(autorange="reversed", title_text="Transition")
    figure.update_xaxes(title_text=f"Time between steps ({unit})", rangemode="tozero")
    if not measured:
        _no_data(figure, "No transition measured yet")
    return figure


def _dropoffs_figure(template: TemplateReport) -> go.Figure:
    figure = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=(
            f"Timed out ({template.timed_out:,}): last step reached",
            f"Completed ({template.completed:,}): milestones skipped",
        ),
    )
    timed_out = template.timed_out_dropoffs
    figure.add_bar(
        name="timed out",
        x=[s.step_name for s in timed_out],
        y=[s.journeys for s in timed_out],
        marker_color=TIMED_OUT,
        text=[f"{s.journeys:,} · {format_share(s.share)}" for s in timed_out],
        textposition="auto",
        hovertemplate="%{x}: %{y:,} timed-out journeys got no further<extra></extra>",
        row=1,
        col=1,
    )
    skipped = template.skipped_milestones
    figure.add_bar(
        name="skipped",
        x=[s.step_name for s in skipped],
        y=[s.journeys for s in skipped],
        marker_color=SKIPPED,
        text=[f"{s.journeys:,} · {format_share(s.share)}" for s in skipped],
        textposition="auto",
        hovertemplate="%{x}: skipped by %{y:,} completed journeys<extra></extra>",
        row=1,
        col=2,
    )
    _layout(figure, "Where journeys drop out", showlegend=False)
    figure.update_layout(margin={"t": 76})
    figure.update_annotations(font_size=12)
    figure.update_xaxes(title_text="Step")
    figure.update_yaxes(
        title_text="Journeys (count)", row=1, col=1, **_count_axis(max((s.journeys for s in timed_out), default=0))
    )
    figure.update_yaxes(row=1, col=2, **_count_axis(max((s.journeys for s in skipped), default=0)))
    if template.timed_out == 0:
        reason = "No timed-out journeys" if template.timeout_hours else "No timeout in this template"
        _no_data(figure, reason, xref="x domain", yref="y domain")
    if not skipped:
        _no_data(figure, "No milestones", xref="x2 domain", yref="y2 domain")
    elif template.completed and not any(s.journeys for s in skipped):
        _no_data(figure, "No milestone skipped", xref="x2 domain", yref="y2 domain")
    return figure


def _completion_curve_figure(template: TemplateReport) -> go.Figure:
    seconds, completed = template.curve_seconds, template.curve_completed
    horizon = max(seconds, default=0.0)
    if template.timeout_hours:
        horizon = min(horizon, template.timeout_hours * 3600) if horizon else template.timeout_hours * 3600
    divisor, unit = _time_unit(horizon)
    figure = go.Figure()
    figure.add_scatter(
        name="completed by then",
        x=[s / divisor for s in seconds],
        y=completed,
        mode="lines",
        line={"shape": "hv", "color": COMPLETED, "width": 2.5},
        fill="tozeroy",
        fillcolor="rgba(0,158,115,0.12)",
        hovertemplate=f"%{{x:.1f}} {unit} after the start: %{{y:.1%}} completed<extra></extra>",
    )
    figure.add_hline(y=0.5, line={"dash": "dot", "color": "#9aa5b1", "width": 1})
    if template.km_median_seconds is not None:
        figure.add_vline(x=template.km_median_seconds / divisor, line={"dash": "dash", "color": "#334e68", "width": 1})
        figure.add_annotation(
            x=template.km_median_seconds / divisor,
            y=0.5,
            xanchor="left",
            yanchor="top",
            text=f" median {format_duration(template.km_median_seconds)}",
            showarrow=False,
            font={"color": "#334e68"},
        )
    elif seconds:
        figure.add_annotation(
            x=1,
            xref="paper",
            y=0.5,
            xanchor="right",
            yanchor="bottom",
            showarrow=False,
            text="median not reached: under half are estimated to complete",
            font={"color": "#334e68"},
        )
    _layout(figure, "Time to complete (Kaplan–Meier)", showlegend=False)
    figure.update_yaxes(title_text="Completed (share of journeys)", tickformat=".0%", range=[0, 1.02])
    figure.update_xaxes(title_text=f"Time since the journey started ({unit})", rangemode="tozero")
    if not seconds:
        _no_data(figure, "No journeys")
    return figure


def _daily_figure(template: TemplateReport) -> go.Figure:
    days = template.daily
    dates = [point.start_date.isoformat() for point in days]
    zone = days[0].reporting_time_zone if days else "UTC"
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    for name, colour, values in (
        ("completed", COMPLETED, [p.journeys_completed for p in days]),
        ("timed out", TIMED_OUT, [p.journeys_timed_out for p in days]),
        ("open", OPEN, [p.journeys_open for p in days]),
    ):
        figure.add_bar(
            name=name,
            x=dates,
            y=values,
            marker_color=colour,
            hovertemplate=f"%{{x}}: %{{y:,}} {name}<extra></extra>",
            secondary_y=False,
        )
    # every calendar day on the line, so it breaks where no journey started instead of bridging the gap
    rates = {p.start_date: p.completion_rate for p in days}
    span = (days[-1].start_date - days[0].start_date).days + 1 if days else 0
    every_day = [days[0].start_date + timedelta(days=n) for n in range(span)]
    figure.add_scatter(
        name="completion rate",
        x=[d.isoformat() for d in every_day],
        y=[rates.get(d) for d in every_day],
        mode="lines+markers",
        connectgaps=False,
        line={"color": "#102a43", "width": 2},
        marker={"size": 5},
        hovertemplate="%{x}: %{y:.0%} completed<extra></extra>",
        secondary_y=True,
    )
    for number, (first, last) in enumerate(_immature_runs(days)):
        figure.add_vrect(
            x0=f"{(first - timedelta(days=1)).isoformat()}T12:00:00",
            x1=f"{last.isoformat()}T12:00:00",
            fillcolor="#bcccdc",
            opacity=0.3,
            line_width=0,
            layer="below",
            annotation_text="not yet mature" if number == 0 else "",
            annotation_position="top left",
            annotation_font_color="#616e7c",
        )
    _layout(figure, "Daily trend: journeys started per day and how they ended", barmode="stack", bargap=0.15)
    figure.update_layout(margin={"r": 80})
    figure.update_xaxes(title_text=f"Day the journey started ({zone})", type="date")
    figure.update_yaxes(
        title_text="Journeys started (count)",
        secondary_y=False,
        **_count_axis(max((p.journeys_started for p in days), default=0)),
    )
    figure.update_yaxes(
        title_text="Completed (share of started)",
        tickformat=".0%",
        range=[0, 1.05],
        tickmode="linear",
        tick0=0,
        dtick=0.25,
        showgrid=False,
        secondary_y=True,
    )
    if not days:
        _no_data(figure, "No journeys")
    return figure


def _immature_runs(days: list) -> list[tuple[date, date]]:
    """Runs of consecutive immature days, as (first, last)."""
    runs: list[list[date]] = []
    for point in days:
        if point.is_mature:
            continue
        if runs and point.start_date - runs[-1][1] == timedelta(days=1):
            runs[-1][1] = point.start_date
        else:
            runs.append([point.start_date, point.start_date])
    return [(first, last) for first, last in runs]


def _breakdowns_figure(template: TemplateReport) -> go.Figure:
    dimensions = list(template.breakdowns)
    figure = make_subplots(
        rows=1,
        cols=len(dimensions),
        horizontal_spacing=0.14,
        subplot_titles=[f"By {dimension}" for dimension in dimensions],
    )
    for column, dimension in enumerate(dimensions, start=1):
        rows = template.breakdowns[dimension][:MAX_BREAKDOWN_VALUES]
        labels = [row.value for row in rows]
        for name, colour, attribute in (
            ("completed", COMPLETED, "completed"),
            ("timed out", TIMED_OUT, "timed_out"),
            ("open", OPEN, "open"),
        ):
            figure.add_bar(
                name=name,
                y=labels,
                x=[getattr(row, attribute) for row in rows],
                orientation="h",
                marker_color=colour,
                legendgroup=name,
                showlegend=column == 1,
                customdata=[
                    [row.journeys, format_share(row.completion_share), format_duration(row.median_seconds_to_complete)]
                    for row in rows
                ],
                hovertemplate=(
                    f"{dimension} %{{y}}: %{{x:,}} {name} of %{{customdata[0]:,}}"
                    "<br>completed %{customdata[1]} · median time to complete %{customdata[2]}"
                    "<extra></extra>"
                ),
                row=1,
                col=column,
            )
        figure.add_scatter(
            x=[row.journeys for row in rows],
            y=labels,
            mode="text",
            showlegend=False,
            hoverinfo="skip",
            text=[f"  {format_share(row.completion_share)} done" for row in rows],
            textposition="middle right",
            textfont={"size": 11, "color": "#334e68"},
            row=1,
            col=column,
        )
        largest = max((row.journeys for row in rows), default=0)
        figure.update_xaxes(
            title_text="Journeys (count)", tickformat=",d", range=[0, largest * 1.3 or 1], row=1, col=column
        )
        # at least five slots, so one or two values do not turn into slabs
        figure.update_yaxes(range=[max(len(rows), 5) - 0.5, -0.5], title_text=dimension.capitalize(), row=1, col=column)
        if len(template.breakdowns[dimension]) > MAX_BREAKDOWN_VALUES:
            figure.layout.annotations[column - 1].text += f" (largest {MAX_BREAKDOWN_VALUES})"
    _layout(figure, "Breakdowns: outcome by the start event's channel and team", barmode="stack", bargap=0.25)
    figure.update_layout(margin={"t": 84}, legend={"y": 1.1})
    figure.update_annotations(font_size=12)
    return figure

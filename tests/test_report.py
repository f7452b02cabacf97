"""`journeys report`: the terminal report, the self-contained HTML report, and that HTML rendered
in real headless Chromium.

One build holds everything: the journeys/ templates over 300 generated conversations, through the
real path (tests/harness.py: compiler, loader, dbt), and its HTML report, the file the browser
test opens. The build is shared by the pytest-xdist workers through a lock file. `journeys demo`
runs as it is with that build standing in for its own, to check that it ends by writing the report.

The browser test starts Debian's `chromium` headless (--no-sandbox --disable-gpu, no background
networking, a fresh profile) and drives it over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on the browser's fd 3, answers on fd 4, NUL-separated JSON),
with the standard library only. It records console errors, uncaught exceptions, log errors and
every request the page makes, waits until every chart has drawn, and saves a full-page screenshot
as target/report_screenshot.png for a person to look at. `make test` installs Chromium when it is
missing (`make chromium-installed`); without it the test is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import io
import json
import math
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from rich.console import Console
from typer.testing import CliRunner

from journey_compiler import cli
from journey_compiler.cli import app
from journey_compiler.generate import generate_events
from journey_compiler.report import load_report, render_terminal, sparkline
from journey_compiler.report_command import write_html_report
from journey_compiler.report_html import render_html
from tests.harness import PROJECT_ROOT, build

CHARTS = ("funnel", "durations", "dropoffs", "completion_curve", "daily", "breakdowns")
SCREENSHOT = PROJECT_ROOT / "target" / "report_screenshot.png"


# ------------------------------------------------------------------------------ the build


@dataclasses.dataclass
class Demo:
    database: Path
    html: Path


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The journeys/ templates over 300 generated conversations, built once for all xdist workers
    through the real path (tests/harness.py), and its HTML report."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "report-demo"
    root.mkdir(exist_ok=True)
    database, html = root / "journeys.duckdb", root / "report.html"
    with (shared / "report-demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not html.exists():
            yaml = YAML(typ="safe")
            templates = [yaml.load(path.read_text(encoding="utf-8"))
                         for path in sorted((PROJECT_ROOT / "journeys").glob("*.yml"))]
            build(templates, list(generate_events(300, 5)), None, root)
            write_html_report(database, html)
    return Demo(database, html)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["report", *args], terminal_width=120)


# ------------------------------------------------------------------------------- terminal


def test_demo_ends_by_writing_the_html_report(demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`journeys demo` as it runs, but with the build already done (the fixture's database)."""
    def prebuilt(project_dir: Path, database: Path, *args: Any, **kwargs: Any) -> Path:
        shutil.copyfile(demo.database, database)
        return database

    monkeypatch.setattr(cli, "build", prebuilt)
    result = CliRunner().invoke(app, ["demo", "--project-dir", str(tmp_path), "--conversations", "20"])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "target" / "demo_report.html").resolve()
    assert f"HTML report: {written}" in result.output.replace("\n", "")
    assert written.stat().st_size > 1_000_000
    assert [div_id for div_id, _ in _specs(written.read_text(encoding="utf-8"))] == [
        div_id for div_id, _ in _specs(demo.html.read_text(encoding="utf-8"))]


def test_terminal_report_shows_every_part_per_template(demo: Demo) -> None:
    result = invoke("--database", str(demo.database))
    assert result.exit_code == 0, result.output
    out = result.output
    report = load_report(demo.database)
    assert [t.name for t in report.templates] == ["first_response", "new_customer_onboarding", "returns"]
    for template in report.templates:
        assert f"({template.name})" in out
        assert f"{template.journeys:,} journeys" in out
        for step in template.funnel:
            assert step.step_name in out
        slowest = template.bottleneck
        assert slowest is not None
        assert f"Slowest transition: {slowest.from_step_name} → {slowest.to_step_name}" in out
    assert out.count("◀ slowest") == 3
    assert "█" in out  # funnel bars
    assert "timed-out journeys dropped out" in out
    assert "Stalled now:" in out
    assert "started per day" in out
    daily = report.templates[0].daily
    assert sparkline([point.journeys_started for point in daily]) in out


def test_terminal_report_filters_by_template_and_date(demo: Demo) -> None:
    result = invoke("--database", str(demo.database), "--template", "returns")
    assert result.exit_code == 0, result.output
    assert "(returns)" in result.output and "(first_response)" not in result.output

    whole = load_report(demo.database)
    first_day = min(point.start_date for t in whole.templates for point in t.daily)
    later = first_day + timedelta(days=15)
    result = invoke("--database", str(demo.database), "--since", later.isoformat())
    assert result.exit_code == 0, result.output
    assert f"journeys started since {later.isoformat()}" in result.output
    since = load_report(demo.database, since=later)
    for before, after in zip(whole.templates, since.templates):
        assert 0 < after.journeys < before.journeys
        assert after.completed <= before.completed and after.timed_out <= before.timed_out
        assert all(point.start_date >= later for point in after.daily)
        assert all(stall.started_at.date() >= later for stall in after.stalls)
        assert after.stalled_total <= before.stalled_total


def test_since_recomputes_the_marts_numbers(demo: Demo) -> None:
    """With --since the metrics are recomputed from the per-journey tables; from before the first
    journey they must equal the marts', number for number."""
    from_marts = load_report(demo.database)
    recomputed = load_report(demo.database, since=date(2000, 1, 1))
    for marts, again in zip(from_marts.templates, recomputed.templates):
        assert _close(dataclasses.asdict(marts), dataclasses.asdict(again)), marts.name


def _close(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_close(left[key], right[key]) for key in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(_close(a, b) for a, b in zip(left, right))
    return left == right


def test_report_errors_are_plain_messages(demo: Demo, tmp_path: Path) -> None:
    missing = invoke("--database", str(tmp_path / "nope.duckdb"))
    assert missing.exit_code == 2 and "no such database" in missing.output
    unknown = invoke("--database", str(demo.database), "--template", "nope")
    assert unknown.exit_code == 1 and "unknown template 'nope'" in unknown.output
    assert "returns" in unknown.output
    bad_date = invoke("--database", str(demo.database), "--since", "yesterday")
    assert bad_date.exit_code == 1 and "not a date" in bad_date.output


def test_report_prints_markup_in_data_literally(demo: Demo) -> None:
    """Titles, descriptions, step names, conversation ids and teams are data: `[/x]` in them is
    printed as it is on any console (also one that reads markup), and in the HTML page."""
    report = load_report(demo.database, template="returns")
    template = report.templates[0]
    assert template.stalls and template.timed_out_dropoffs and template.transitions
    template.title, template.description = "Returns [/x] :smile:", "closes [/x], opens [bold]"
    template.funnel[0].step_name = "[/funnel]"
    template.transitions[0].from_step_name = "[/from]"
    template.timed_out_dropoffs[0].step_name = "[/dropped]"
    template.stalls[0].conversation_id, template.stalls[0].team_id = "[/bold]", "[red]"
    literal = ("Returns [/x] :smile: (returns)", "closes [/x], opens [bold]", "[/funnel]", "[/from] →",
               "[/dropped]", "[/bold]", "[red]")
    out = io.StringIO()
    render_terminal(Console(file=out, width=300), report)
    for text in literal:
        assert text in out.getvalue(), text
    page = render_html(report)
    for text in ("Returns [/x] :smile:", "closes [/x], opens [bold]", "[/bold]", "[red]"):
        assert text in page, text
    assert "[/funnel]" in json.dumps([spec for _, spec in _specs(page)])  # chart labels


# ----------------------------------------------------------------------------------- HTML


def _specs(page: str) -> list[tuple[str, dict[str, Any]]]:
    found = re.findall(r'<script type="application/json" class="chart-spec" data-for="([^"]+)">(.*?)</script>',
                       page, flags=re.S)
    return [(div_id, json.loads(spec)) for div_id, spec in found]


def test_html_is_self_contained_with_titled_labelled_charts(demo: Demo, tmp_path: Path) -> None:
    page = demo.html.read_text(encoding="utf-8")
    # nothing to fetch: no external script, style, image or font; plotly.js is inline
    assert not re.search(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=""", page, flags=re.I)
    assert not re.search(r"""@import|url\(\s*['"]?(https?:)?//""", page.split("<script", 1)[0])
    assert len(re.findall(r"<script\b", page)) == 2 + 6 * 3  # plotly.js, the drawing script, 18 specs
    assert "plotly.js v" in page[:page.index("</head>")]

    report = load_report(demo.database)
    specs = _specs(page)
    assert [div_id for div_id, _ in specs] == [f"chart-{t.name}-{chart}" for t in report.templates for chart in CHARTS]
    units = ("(count)", "(minutes)", "(hours)", "(days)", "(share of")
    for div_id, spec in specs:
        layout = spec["layout"]
        assert layout["title"]["text"], div_id
        axes = {name: axis for name, axis in layout.items() if re.fullmatch(r"[xy]axis\d*", name)}
        assert axes, div_id
        titles = [axis.get("title", {}).get("text", "") for axis in axes.values()]
        assert any(title for title in titles), div_id
        assert any(unit in title for title in titles for unit in units), (div_id, titles)
        assert spec["data"], div_id
    for template in report.templates:
        assert f'id="t-{template.name}"' in page
        assert page.count(f'data-template="{template.name}"') == len(CHARTS)
    assert page.count('data-table="stalls"') == 3

    # the same file from the CLI, filtered to one template
    out = tmp_path / "sub" / "returns.html"
    result = invoke("--database", str(demo.database), "--template", "returns", "--html", str(out))
    assert result.exit_code == 0, result.output
    assert str(out.resolve()) in result.output.replace("\n", "")
    assert [div_id for div_id, _ in _specs(out.read_text(encoding="utf-8"))] == [f"chart-returns-{c}" for c in CHARTS]


def test_html_escapes_what_the_data_says(demo: Demo) -> None:
    report = load_report(demo.database, template="returns")
    report.templates[0].description = "<script>alert(1)</script>"
    report.templates[0].breakdowns["team"][0].value = "</script><b>x"
    page = render_html(report)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "</script><b>x" not in page
    spec = dict(_specs(page))["chart-returns-breakdowns"]
    assert "</script><b>x" in json.dumps(spec["data"])


# -------------------------------------------------------------------------------- browser


CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
    "--remote-debugging-pipe",
)

# Every chart's figure: drawn by plotly (js-plotly-plot), its SVG's size, traces given and drawn.
RENDER_CHECK = """
JSON.stringify([...document.querySelectorAll('figure.chart')].map(figure => {
  const plot = figure.querySelector('.plotly-graph-div');
  const svg = plot && plot.querySelector('svg.main-svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const card = figure.getBoundingClientRect();
  return {
    chart: figure.dataset.chart, template: figure.dataset.template,
    plotted: !!(plot && plot.classList.contains('js-plotly-plot')),
    width: box.width, height: box.height, card_width: card.width,
    traces: plot && plot.data ? plot.data.length : 0,
    drawn: plot ? plot.querySelectorAll('g.trace').length : 0,
    marks: plot ? plot.querySelectorAll('.trace path, .trace text').length : 0,
    title: plot ? ((plot.querySelector('.gtitle') || {}).textContent || '') : '',
  };
}))
"""


class Chromium:
    """Headless Chromium over the DevTools protocol on a pipe; standard library only."""

    def __init__(self, executable: str, profile: Path, log: Path, width: int = 1440, height: int = 900):
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire_fds() -> None:  # in the child, before exec: fd 3 reads our commands, fd 4 takes answers
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, preexec_fn=wire_fds, pass_fds=(3, 4),
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.log = log
        self.width, self.height = width, height
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._last_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict[str, Any]:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._last_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        seen = next((event for event in self.events if event.get("method") == method), None)
        deadline = time.monotonic() + timeout
        while seen is None:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method:
                seen = event
        return seen

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"Chromium did not answer in time; its log: {self.log}")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe:\n"
                                       + self.log.read_text(errors="replace")[-3000:])
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()


def render_in_chromium(executable: str, page: Path, screenshot: Path, work: Path,
                       timeout: float = 60.0) -> dict[str, Any]:
    """Open `page`, wait until every chart has drawn, save a full-page screenshot; return the
    charts' state, console errors, the URLs the page requested and how long it took."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=work))
    browser = Chromium(executable, profile, work / "chromium.log")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": browser.width, "height": browser.height, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        started = time.monotonic()
        browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired", timeout=timeout)
        charts: list[dict[str, Any]] = []
        while time.monotonic() - started < timeout:
            value = browser.send("Runtime.evaluate", {"expression": RENDER_CHECK, "returnByValue": True},
                                 session=session)["result"]["value"]
            charts = json.loads(value)
            if charts and all(c["plotted"] and c["width"] > 0 and c["height"] > 0 and c["traces"]
                              and c["drawn"] >= c["traces"] for c in charts):
                break
            time.sleep(0.2)
        render_seconds = time.monotonic() - started
        size = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        }, session=session, timeout=timeout)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        stalls_rows = browser.send("Runtime.evaluate", {
            "expression": "document.querySelectorAll('table.stalls tbody tr').length", "returnByValue": True,
        }, session=session)["result"]["value"]
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    errors, requests = [], []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            requests.append(params["request"]["url"])
    return {"charts": charts, "errors": errors, "requests": requests, "render_seconds": render_seconds,
            "page_height": size["height"], "stalls_rows": stalls_rows}


@pytest.fixture(scope="module")
def chromium() -> str:
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; `make test` installs it (make chromium-installed)")
        pytest.skip("chromium is not installed; run `make chromium-installed`")
    return executable


def test_html_report_renders_in_headless_chromium(demo: Demo, chromium: str, tmp_path: Path) -> None:
    result = render_in_chromium(chromium, demo.html, SCREENSHOT, tmp_path)
    assert result["errors"] == []
    # nothing fetched but the page itself and plotly's inline images: it works offline
    assert result["requests"][0] == demo.html.resolve().as_uri()
    assert all(url.startswith("data:") for url in result["requests"][1:]), result["requests"]
    charts = result["charts"]
    assert [(c["template"], c["chart"]) for c in charts] == [
        (template, chart) for template in ("first_response", "new_customer_onboarding", "returns")
        for chart in CHARTS
    ]
    for chart in charts:
        where = f"{chart['template']}/{chart['chart']}"
        assert chart["plotted"], where
        assert chart["width"] > 300 and chart["height"] > 300, (where, chart)
        assert chart["width"] <= chart["card_width"], (where, chart)  # fits its card
        assert chart["drawn"] >= chart["traces"] > 0, (where, chart)
        assert chart["marks"] > 0, (where, chart)
        assert chart["title"], where
    assert result["stalls_rows"] > 0
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 100_000
    print(f"rendered {len(charts)} charts in {result['render_seconds']:.1f} s; screenshot {SCREENSHOT}")

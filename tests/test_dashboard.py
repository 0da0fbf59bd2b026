"""``agentwrap dashboard``: one self-contained HTML file, checked in real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import time

import pytest
from click.testing import CliRunner

import agentwrap
from agentwrap.cli import _build_cli
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent

from ._chromium import browser_page
from ._history import DAY, generate

CHARTS = ["runs-over-time", "latency", "tokens", "warnings-over-time", "releases", "prompts", "waterfall"]


@pytest.fixture(scope="module")
def page():
    with browser_page() as p:
        yield p


@pytest.fixture(scope="module")
def dashboard_file(tmp_path_factory, server):
    """A history of 2,000 runs plus one real instrumented airline run (with its spans)."""
    import openai

    tmp_path = tmp_path_factory.mktemp("dashboard")
    path = tmp_path / "runs.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        # two weeks up to now, so the real run below falls right after the history
        for record in generate(2000, seed=11, t0=time.time_ns() - 14 * DAY - 3600 * 10**9):
            handle.write(json.dumps(record) + "\n")
    agentwrap.instrument(file=str(path), capture_content=True, log_summaries=False)
    server.enqueue(*AIRLINE_SCRIPT())
    with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client:
        with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
            run_airline_agent(client)
    agentwrap.uninstrument()
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        _build_cli(),
        ["dashboard", "--from", str(path), "-o", str(out), "--run", run.trace_id[:12]],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return out, run


def test_dashboard_is_one_self_contained_file(dashboard_file):
    out, _ = dashboard_file
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # nothing is loaded from anywhere: no scripts, stylesheets, images or fonts by URL
    assert not re.search(r"""<(script|link|img|iframe)\b|src=|href=|@import|url\(""", html)


def test_dashboard_renders_in_chromium_without_console_errors(page, dashboard_file, tmp_path):
    out, run = dashboard_file
    page.goto(out.as_uri())
    assert page.errors == []
    sections = page.evaluate(
        """Object.fromEntries([...document.querySelectorAll('section[data-chart]')].map(s => [
            s.dataset.chart,
            {svgs: s.querySelectorAll('svg').length,
             bars: s.querySelectorAll('rect.bar').length,
             width: Math.round(s.querySelector('svg')?.getBoundingClientRect().width || 0)}
        ]))"""
    )
    assert list(sections) == CHARTS
    for name, found in sections.items():
        assert found["svgs"] >= 1 and found["bars"] >= 1 and found["width"] > 200, (name, found)
    # The waterfall is the chosen run's spans: the root, four LLM calls and three tool calls.
    names = page.evaluate(
        "[...document.querySelectorAll('[data-chart=waterfall] rect.span title')]"
        ".map(t => t.textContent.split(':')[0])"
    )
    assert names[0] == "invoke_agent airline-agent"
    assert names.count("chat qwen-3.5-72b-instruct") == 4 and names.count("execute_tool search_flights") == 3
    assert run.trace_id in page.evaluate("document.querySelector('[data-chart=waterfall] h2').textContent")
    # The releases side by side: one bar per release in each metric's chart.
    labels = page.evaluate("[...document.querySelectorAll('[data-chart=releases] svg')][0].textContent")
    for release in ("v1.4.1", "v1.4.2", "v1.5.0", "(none)"):
        assert release in labels
    shot = tmp_path / "dashboard.png"
    page.screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    if os.environ.get("AGENTWRAP_DASHBOARD_PNG"):  # how docs/dashboard.png is made
        with open(os.environ["AGENTWRAP_DASHBOARD_PNG"], "wb") as handle:
            handle.write(data)


def test_the_console_check_catches_errors(page, tmp_path):
    # The same check on a page that does log an error: it must not pass silently.
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><script>console.error('boom'); undefinedCall();</script></body></html>"
    )
    page.goto(bad.as_uri())
    assert any("boom" in e for e in page.errors)
    assert any("undefinedCall" in e for e in page.errors)

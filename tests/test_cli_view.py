"""``agentwrap view``: trace trees from the JSONL file, filters, warnings in place, colour."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import agentwrap
from agentwrap._events import emit_warning
from agentwrap.cli import _build_cli
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.testing import Reply, Usage

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def runs_file(tmp_path, server, openai_client):
    """Two runs in one JSONL file: a warned airline run (v1.4.2) and a plain one (v2.0)."""
    path = tmp_path / "runs.jsonl"
    agentwrap.instrument(file=str(path), capture_content=True, log_summaries=False)
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name="airline-agent", release="v1.4.2") as airline:
        run_airline_agent(openai_client)
        third = airline.tools[2]
        emit_warning(
            "demo.marker", {"tool_name": "search_flights", "repeat_count": 3}, span=third.span, run=airline
        )
    server.enqueue(Reply(text="hello", usage=Usage(10, 2)))
    with agentwrap.run(name="greeter", release="v2.0") as greeter:
        openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    agentwrap.uninstrument()
    return path, airline, greeter


def _view(*args: str) -> str:
    result = CliRunner().invoke(_build_cli(), ["view", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_view_shows_every_run_as_a_tree(runs_file):
    path, airline, greeter = runs_file
    out = _view(str(path))
    assert f"Trace {airline.trace_id}  run=airline-agent" in out
    assert f"Trace {greeter.trace_id}  run=greeter" in out
    assert out.count("execute_tool search_flights") == 3
    assert "tokens=120→15" in out and "→ no_flights_found" in out


def test_view_marks_the_warning_under_the_span_where_it_happened(runs_file):
    path, _, _ = runs_file
    lines = _view(str(path)).splitlines()
    [warning] = [i for i, line in enumerate(lines) if "⚠ demo.marker" in line]
    assert "tool_name=search_flights repeat_count=3" in lines[warning]
    tool_lines = [i for i, line in enumerate(lines) if "execute_tool search_flights" in line]
    final_chat = next(i for i in range(tool_lines[2] + 1, len(lines)) if "chat qwen" in lines[i])
    assert tool_lines[2] < warning < final_chat  # under the third search, one level deeper
    indent = lambda s: len(s) - len(s.lstrip(" │├└─"))  # noqa: E731
    assert indent(lines[warning]) > indent(lines[tool_lines[2]])


@pytest.mark.parametrize(
    ("args", "shown", "hidden"),
    [
        (["--run", "greeter"], "run=greeter", "run=airline-agent"),
        (["--release", "v1.4.2"], "run=airline-agent", "run=greeter"),
        (["--warnings"], "run=airline-agent", "run=greeter"),
    ],
)
def test_view_filters(runs_file, args, shown, hidden):
    path, _, _ = runs_file
    out = _view(str(path), *args)
    assert shown in out and hidden not in out


def test_view_filters_by_trace_id_prefix(runs_file):
    path, airline, greeter = runs_file
    out = _view(str(path), "--trace", greeter.trace_id[:8])
    assert greeter.trace_id in out and airline.trace_id not in out
    assert _view(str(path), "--run", "nobody").strip() == "no matching runs"


def test_view_is_plain_when_piped_and_coloured_on_request(runs_file):
    path, _, _ = runs_file
    piped = _view(str(path))
    assert not ANSI.search(piped)
    coloured = _view(str(path), "--color")
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured).splitlines()[0] == piped.splitlines()[0]
    # the warning is yellow, tool spans cyan
    assert re.search(r"\x1b\[33m⚠ demo\.marker", coloured)
    assert re.search(r"\x1b\[36mexecute_tool search_flights", coloured)


def test_demo_points_at_view_report_and_dashboard_which_work_on_its_output(tmp_path):
    path = tmp_path / "demo" / "runs.jsonl"
    result = CliRunner().invoke(
        _build_cli(), ["demo", "--file", str(path), "--quiet"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    tail = result.output.splitlines()[-3:]
    assert tail[0].split(":", 1)[1].strip() == f"agentwrap view {path}"
    assert tail[1].split(":", 1)[1].strip() == f"agentwrap report --from {path}"
    assert (
        tail[2].split(":", 1)[1].strip() == f"agentwrap dashboard --from {path} -o agentwrap-dashboard.html"
    )
    viewed = _view(str(path))
    assert "run=airline-agent" in viewed and viewed.count("execute_tool search_flights") == 3
    out = tmp_path / "dash.html"
    made = CliRunner().invoke(_build_cli(), ["dashboard", "--from", str(path), "-o", str(out)])
    assert made.exit_code == 0, made.output
    html = out.read_text(encoding="utf-8")
    assert "1 runs" in html and html.count('class="bar span"') == 8  # the run's waterfall
    report = CliRunner().invoke(_build_cli(), ["report", "--from", str(path), "--json"])
    [group] = json.loads(report.output)["groups"]
    assert (group["runs"], group["turns_per_run"], group["same_tool_retries_per_run"]) == (1, 4.0, 2.0)

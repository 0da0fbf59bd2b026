"""The benchmark harness itself runs (its numbers are never asserted: no timed tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_overhead_harness_runs_and_writes_its_table(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "benchmarks.overhead",
        "--quick",
        "--scenarios",
        "openai-chat-sync",
        "--variants",
        "bare,agentwrap",
        "--transports",
        "inproc",
        "--reps",
        "2",
        "--calls",
        "10",
        "--warmup",
        "10",
        "--silent",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "overhead.md").read_text(encoding="utf-8")
    assert "| openai-chat-sync | agentwrap |" in table
    rows = {row["variant"]: row for row in json.loads((tmp_path / "overhead.json").read_text())["rows"]}
    assert set(rows) == {"bare", "agentwrap"}
    # agentwrap was timed (not reported as uninstrumented) and its spans were checked:
    # one chat span per call, and the tool span each answer's tool call opens.
    assert "note" not in rows["agentwrap"], rows["agentwrap"]
    assert rows["agentwrap"]["spans_per_call"] >= 2.0
    assert rows["agentwrap"]["tool_spans_per_call"] >= 0.9
    assert rows["bare"]["spans_per_call"] == 0


def test_insitu_profiler_runs_and_times_the_hot_path() -> None:
    command = [sys.executable, "-m", "benchmarks.insitu", "--calls", "30", "--top", "50"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    timed = {line.split()[-1] for line in done.stdout.splitlines()[1:]}
    # The places every non-streaming chat call goes through were timed (calls > 0).
    assert {"_stainless:StainlessCalls.begin", "_call:Call.finish", "_tools:start_tool"} <= timed

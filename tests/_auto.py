"""Helpers for tests that run a program in a subprocess under AGENTWRAP_AUTO_INSTRUMENT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any AGENTWRAP_/OTEL_ variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTWRAP_", "OTEL_", "OPENAI_"))}
    env["AGENTWRAP_RAISE_INTERNAL_ERRORS"] = "1"  # our bugs must fail the test, not hide
    env["AGENTWRAP_LOG_SUMMARIES"] = "0"
    env["AGENTWRAP_STORE"] = "off"
    env.update(extra)
    return env


def run_python(
    args: list[str], env: dict[str, str], timeout: float = 60, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run the test's interpreter (the venv's, where the start-up hook is installed)."""
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT, **kwargs
    )


def start_python(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start the test's interpreter in the background (use as a context manager)."""
    return subprocess.Popen(
        [sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every record of a JSONL file (empty if it does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def summaries(path: Path) -> list[dict[str, Any]]:
    """The run.summary records of a JSONL file, in the order written."""
    return [r for r in read_jsonl(path) if r.get("type") == "run.summary"]


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary without what differs between two runs of one program (ids and timings)."""
    return {
        "tools": [(c["tool"], c["args"], c["result"]) for c in summary["sequence_of_tool_calls"]],
        "selected": summary["selected_tool_calls"],
        "timings": len(summary["timing_of_each_tool_calls"]),
        "usage": list(summary["token_usage_of_each_tool_call"].values()),
        "retries": summary["number_of_same_tool_retries"],
        "turns": summary["total_number_of_turns"],
        "prompt": summary["hash_of_prompt"],
        "release": summary["release_version"],
        "model": summary["llm_model"],
    }

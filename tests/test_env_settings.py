"""Settings from the environment, in real programs: a bad value costs one warning line on the
``agentwrap`` logger, is ignored, and everything else is still traced."""

from __future__ import annotations

import pytest

from tests._auto import clean_env, read_jsonl, run_python

# The program configures logging (one line per record, logger name first) and makes two calls.
PROGRAM = """
import logging
logging.basicConfig(format="%(name)s %(levelname)s %(message)s")
{setup}
import openai
client = openai.OpenAI(max_retries=0)
messages = [{{"role": "user", "content": "task"}}]
for _ in range(2):
    client.chat.completions.create(model="m", messages=messages)
    messages += [{{"role": "assistant", "content": "ok"}}, {{"role": "user", "content": "more"}}]
"""

SETUPS = {
    "env-var hook": "",
    "instrument()": "import agentwrap\nagentwrap.instrument(implicit_runs=True)",
}


def _run(
    server, tmp_path, setup: str, program: str = PROGRAM, **variables: str
) -> tuple[list[str], list[dict]]:
    out = tmp_path / "out.jsonl"
    env = clean_env(
        OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test", AGENTWRAP_FILE=str(out), **variables
    )
    if setup == "env-var hook":
        env["AGENTWRAP_AUTO_INSTRUMENT"] = "1"
    proc = run_python(["-c", program.format(setup=SETUPS[setup])], env)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.splitlines(), read_jsonl(out)


def _traced(records: list[dict]) -> None:
    """Both calls traced under one run, and its summary written."""
    names = sorted(r["name"] for r in records if r.get("type") == "span")
    assert names == ["chat m", "chat m", "invoke_agent"]
    [summary] = [r for r in records if r.get("type") == "run.summary"]
    assert summary["summarized_metadata"]["total_number_of_turns"] == 2


@pytest.mark.parametrize("setup", list(SETUPS))
def test_unknown_otel_exporters_give_one_line_each(server, tmp_path, setup):
    stderr, records = _run(
        server,
        tmp_path,
        setup,
        OTEL_TRACES_EXPORTER="bogus",
        OTEL_METRICS_EXPORTER="bogus",
        OTEL_LOGS_EXPORTER="otlp-ish,none",
    )
    assert len(stderr) == 3, "\n".join(stderr)
    by_variable = {line.split("=")[0].split()[-1]: line for line in stderr}
    assert set(by_variable) == {"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"}
    for line in by_variable.values():
        assert line.startswith("agentwrap WARNING agentwrap: "), line
        assert "ignored" in line and "otlp" in line and "none" in line, line
    assert (
        "'bogus'" in by_variable["OTEL_TRACES_EXPORTER"] and "console" in by_variable["OTEL_TRACES_EXPORTER"]
    )
    assert "'otlp-ish'" in by_variable["OTEL_LOGS_EXPORTER"]
    _traced(records)


def test_a_known_exporter_beside_an_unknown_one_still_exports(server, tmp_path):
    stderr, records = _run(server, tmp_path, "env-var hook", OTEL_TRACES_EXPORTER="console,bogus")
    warnings = [line for line in stderr if line.startswith("agentwrap ")]
    assert len(warnings) == 1 and "'bogus'" in warnings[0], "\n".join(stderr)
    assert sum('"name": "chat m"' in line for line in stderr) == 2  # the console exporter's spans
    _traced(records)


BAD_VARIABLES = {
    "AGENTWRAP_MAX_TURNS=-1": ({"AGENTWRAP_MAX_TURNS": "-1"}, ["max_turns", "whole number >= 0"]),
    "AGENTWRAP_MAX_TURNS=abc": ({"AGENTWRAP_MAX_TURNS": "abc"}, ["max_turns", "whole number >= 0"]),
    "AGENTWRAP_THRESHOLDS=bogus=3": ({"AGENTWRAP_THRESHOLDS": "bogus=3"}, ["unknown threshold", "bogus"]),
    "AGENTWRAP_BUDGET_MODE=strict": ({"AGENTWRAP_BUDGET_MODE": "strict"}, ["'observe' or 'enforce'"]),
    "AGENTWRAP_CAPTURE_CONTENT=maybe": ({"AGENTWRAP_CAPTURE_CONTENT": "maybe"}, ["capture_content"]),
    "AGENTWRAP_IMPLICIT_IDLE_SECONDS=soon": ({"AGENTWRAP_IMPLICIT_IDLE_SECONDS": "soon"}, ["> 0"]),
}


@pytest.mark.parametrize("setup", list(SETUPS))
@pytest.mark.parametrize("case", list(BAD_VARIABLES))
def test_a_bad_variable_is_one_line_and_everything_else_is_traced(server, tmp_path, setup, case):
    variables, words = BAD_VARIABLES[case]
    # A good variable beside the bad one still applies.
    stderr, records = _run(server, tmp_path, setup, AGENTWRAP_RELEASE="v9", **variables)
    [variable] = variables
    assert len(stderr) == 1, "\n".join(stderr)  # no traceback, at start-up or per call
    [line] = stderr
    assert line.startswith(f"agentwrap WARNING agentwrap: {variable}={variables[variable]!r} is ignored: ")
    for word in words:
        assert word in line, (word, line)
    _traced(records)
    [summary] = [r for r in records if r.get("type") == "run.summary"]
    assert summary["summarized_metadata"]["release_version"] == "v9"
    assert summary["termination"]["max_steps"] is None  # AGENTWRAP_MAX_TURNS ignored: unbounded


def test_thresholds_keep_their_good_items(server, tmp_path):
    same_request_twice = PROGRAM.replace("    messages += ", "    # messages += ")
    stderr, records = _run(
        server,
        tmp_path,
        "instrument()",
        same_request_twice,
        AGENTWRAP_THRESHOLDS="bogus=3, repeated_request=2",
    )
    [line] = stderr
    assert "AGENTWRAP_THRESHOLDS='bogus=3, repeated_request=2' has items ignored: 'bogus=3'" in line
    # repeated_request=2 applies: the second identical request is flagged.
    events = [r["name"] for r in records if r.get("type") == "event"]
    assert "llm.repeated_request" in events

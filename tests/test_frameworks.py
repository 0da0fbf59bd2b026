"""Real agent frameworks, unchanged, observed with only AGENTWRAP_AUTO_INSTRUMENT=1.

Each app in tests/framework_apps/ runs tool-using agent conversations (Paris, then Rome) in
a subprocess against the fake LLM server; the JSONL file must hold one run per conversation,
its tool span and a summary. The apps start together (their imports dominate the time).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentwrap.testing import FakeLLMServer, RecordedRequest, Reply, ToolCall, Usage
from tests._auto import ROOT, clean_env, read_jsonl, start_python

APPS = ROOT / "tests" / "framework_apps"
FRAMEWORKS = {
    "openai-agents": ["openai_agents_app.py"],
    "pydantic-ai": ["pydantic_ai_app.py"],
    "langgraph": ["langgraph_app.py"],
    "litellm": ["litellm_app.py"],  # completion(), acompletion(), then its own HTTP (Anthropic)
}
RUNS = {"litellm": 6}


def _items(body: dict[str, Any]) -> list[Any]:
    if "messages" in body:
        return list(body["messages"])
    raw = body.get("input")
    return [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw or [])


def _weather_model(request: RecordedRequest) -> Reply:
    """Asks for get_weather(city) once, then answers with what the tool said."""
    items = _items(request.body or {})
    results = [
        i
        for i in items
        if i.get("role") == "tool"
        or i.get("type") == "function_call_output"
        or any(isinstance(c, dict) and c.get("type") == "tool_result" for c in i.get("content") or [])
    ]
    if results:
        return Reply(text="It is sunny.", usage=Usage(40, 5))
    [city] = re.findall(r"weather in (\w+)", str(items))
    return Reply(tool_calls=[ToolCall("get_weather", {"city": city})], usage=Usage(30, 7))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Any, Path]]]:
    folder = tmp_path_factory.mktemp("frameworks")
    with FakeLLMServer() as server:
        server.responder = _weather_model
        started = {}
        for name, args in FRAMEWORKS.items():
            out = folder / f"{name}.jsonl"
            env = clean_env(
                AGENTWRAP_AUTO_INSTRUMENT="1",
                AGENTWRAP_FILE=str(out),
                AGENTWRAP_CAPTURE_CONTENT="1",
                OPENAI_BASE_URL=server.base_url,
                OPENAI_API_KEY="sk-test",
                FAKE_ANTHROPIC_BASE_URL=server.anthropic_base_url,
                OPENAI_AGENTS_DISABLE_TRACING="1",  # the Agents SDK would upload its own traces
                LITELLM_LOCAL_MODEL_COST_MAP="True",  # litellm would fetch its price list
            )
            started[name] = (start_python([str(APPS / args[0]), *args[1:]], env), out)
        results = {}
        for name, (proc, out) in started.items():
            with proc:
                stdout, stderr = proc.communicate(timeout=120)
            results[name] = ((proc.returncode, stdout, stderr), out)
        yield results


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_framework_runs_tool_spans_and_summaries(outputs, framework):
    (returncode, stdout, stderr), out = outputs[framework]
    assert returncode == 0, stderr
    runs = RUNS.get(framework, 2)
    assert stdout.splitlines() == ["It is sunny."] * runs
    records = read_jsonl(out)
    summaries = [r for r in records if r["type"] == "run.summary"]
    spans = [r for r in records if r["type"] == "span"]
    assert len(summaries) == runs, [s["summarized_metadata"] for s in summaries]
    cities = []
    for record in summaries:
        summary = record["summarized_metadata"]
        assert summary["total_number_of_turns"] == 2
        assert summary["selected_tool_calls"] == ["get_weather"]
        [call] = summary["sequence_of_tool_calls"]
        cities.append(call["args"]["city"])
        assert call["result"] == f"{call['args']['city']}: sunny"
        assert summary["number_of_same_tool_retries"] == 0
        assert summary["llm_model"] == "gpt-4o-mini"
        assert list(summary["token_usage_of_each_tool_call"].values()) == [
            {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37}
        ]
        # The run's spans: its root, two LLM calls and the tool span between them.
        mine = [s for s in spans if s["trace_id"] == summary["trace_id"]]
        [root] = [s for s in mine if s["name"] == "invoke_agent"]
        assert root["attributes"]["agentwrap.run.implicit"] == "conversation"
        [tool] = [s for s in mine if s["name"] == "execute_tool get_weather"]
        assert tool["span_id"] == call["span_id"] and tool["parent_span_id"] == root["span_id"]
        chats = [s for s in mine if s["attributes"].get("gen_ai.operation.name") == "chat"]
        assert len(chats) == 2 and all(c["parent_span_id"] == root["span_id"] for c in chats)
    assert sorted(cities) == sorted(["Paris", "Rome"] * (runs // 2))

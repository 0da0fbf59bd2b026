"""A long run keeps bounded records: its first and last turns and tool calls, and totals of all.

The cap (``agentwrap._bounded.RECORDS_KEPT``, 1000 by default) is set to 2 here so that a
short agent loop crosses it; the summary's totals must still count every call.
"""

from __future__ import annotations

import pytest

import agentwrap
from agentwrap import _bounded
from agentwrap.testing import Reply, ToolCall, Usage

STEPS = 7
NAMES = [f"tool_{i % 3}" for i in range(STEPS)]
ARGS = [{"i": i % 2} for i in range(STEPS)]


def _loop(server, client) -> agentwrap.Run:
    server.enqueue(
        *(
            Reply(tool_calls=[ToolCall(NAMES[i], ARGS[i])], usage=Usage(10 * (i + 1), i + 1))
            for i in range(STEPS)
        ),
        Reply(text="done", usage=Usage(100, 7)),
    )
    with agentwrap.run(name="long") as run:
        messages: list[dict] = [{"role": "user", "content": "go"}]
        for step in range(STEPS + 1):
            response = client.chat.completions.create(model="m", messages=messages)
            message = response.choices[0].message
            if not message.tool_calls:
                break
            messages.append(message.model_dump(exclude_none=True))
            messages.append({"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": f"r{step}"})
    return run


def test_past_the_cap_the_summary_keeps_first_and_last_tool_calls_and_counts_all(
    server, openai_client, captured_content, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_bounded, "RECORDS_KEPT", 2)
    seen: list[tuple[int, int]] = []

    def sizes(records):
        seen.append((len(records.llm_calls), len(records.tool_calls)))
        return ()

    agentwrap.register_detector(sizes, name="sizes")
    try:
        run = _loop(server, openai_client)
    finally:
        agentwrap.unregister_detector("sizes")
    [record] = [r for r in captured_content.records if r.get("type") == "run.summary"]
    summary = record["summarized_metadata"]
    tools = captured_content.spans_named("execute_tool")
    span_ids = [format(s.context.span_id, "016x") for s in sorted(tools, key=lambda s: s.start_time)]
    kept = span_ids[:2] + span_ids[-2:]

    assert [c["span_id"] for c in summary["sequence_of_tool_calls"]] == kept
    assert [c["tool"] for c in summary["sequence_of_tool_calls"]] == NAMES[:2] + NAMES[-2:]
    assert [c["result"] for c in summary["sequence_of_tool_calls"]] == ["r0", "r1", "r5", "r6"]
    assert list(summary["timing_of_each_tool_calls"]) == kept
    assert list(summary["token_usage_of_each_tool_call"]) == kept
    assert record["tool_calls_dropped"] == STEPS - 4
    # Totals count every call, dropped or not.
    assert summary["total_number_of_turns"] == STEPS + 1
    assert summary["selected_tool_calls"] == ["tool_0", "tool_1", "tool_2"]
    keys = list(zip(NAMES, [a["i"] for a in ARGS], strict=True))
    assert summary["number_of_same_tool_retries"] == len(keys) - len(set(keys))
    assert summary["llm_model"] is not None
    assert record["usage"]["input_tokens"] == sum(10 * (i + 1) for i in range(STEPS)) + 100
    assert record["usage"]["output_tokens"] == sum(i + 1 for i in range(STEPS)) + 7
    assert record["termination"]["steps_taken"] == STEPS + 1
    # The run's own lists are bounded the same way; their len() is the count of all.
    assert len(run.tools) == STEPS and run.tools.dropped == STEPS - 4
    assert len(run.turns) == STEPS + 1 and len(list(run.turns)) == 4
    assert run.tools[0].span_id == kept[0] and run.tools[-1].span_id == kept[-1]
    with pytest.raises(IndexError):
        run.tools[3]  # noqa: B018 - a dropped record
    # Detectors see the kept records.
    assert seen == [(4, 4)]
    root = captured_content.spans_named("invoke_agent")[0]
    [event] = [e for e in root.events if e.name == "run.summary"]
    assert event.attributes["agentwrap.run.tool_calls"] == STEPS


def test_below_the_cap_nothing_is_dropped(server, openai_client, captured_content) -> None:
    run = _loop(server, openai_client)
    [record] = [r for r in captured_content.records if r.get("type") == "run.summary"]
    assert "tool_calls_dropped" not in record
    assert [c["tool"] for c in record["summarized_metadata"]["sequence_of_tool_calls"]] == NAMES
    assert len(run.tools) == STEPS and run.tools.dropped == 0 and len(list(run.tools)) == STEPS
    assert [t.name for t in run.tools] == NAMES

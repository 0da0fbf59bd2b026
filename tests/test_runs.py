"""Runs: root spans, tool spans derived from the conversation, and the seed-schema summary."""

from __future__ import annotations

import asyncio
import json
import logging

import openai
import pytest

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, FINAL_ANSWER, run_airline_agent
from agentwrap.testing import Reply, ToolCall, Usage, capture

from .conftest import API_KEY


def _hex(span_id: int) -> str:
    return format(span_id, "016x")


def test_airline_run_summary_matches_the_seed(server, openai_client, captured_content):
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
        answer = run_airline_agent(openai_client)
    assert answer == FINAL_ANSWER

    [summary] = captured_content.summaries
    assert summary is run.summary
    assert tuple(summary) == agentwrap.SUMMARY_FIELDS
    tools = captured_content.spans_named("execute_tool")
    assert [t.name for t in tools] == ["execute_tool search_flights"] * 3
    tool_ids = [_hex(t.context.span_id) for t in tools]
    assert summary["sequence_of_tool_calls"] == [
        {
            "span_id": sid,
            "tool": "search_flights",
            "args": {"origin": "JFK", "dest": "LAX"},
            "result": "no_flights_found",
        }
        for sid in tool_ids
    ]
    assert summary["selected_tool_calls"] == ["search_flights"]
    assert list(summary["timing_of_each_tool_calls"]) == tool_ids
    for sid, tool in zip(tool_ids, tools, strict=True):
        seconds = float(summary["timing_of_each_tool_calls"][sid].rstrip("s"))
        assert seconds == pytest.approx((tool.end_time - tool.start_time) / 1e9, abs=0.006)
        assert seconds >= 0.11  # the demo tool sleeps 0.12 s between request and result
    assert summary["token_usage_of_each_tool_call"] == {
        tool_ids[0]: {"prompt_tokens": 120, "completion_tokens": 15, "total_tokens": 135},
        tool_ids[1]: {"prompt_tokens": 150, "completion_tokens": 15, "total_tokens": 165},
        tool_ids[2]: {"prompt_tokens": 180, "completion_tokens": 15, "total_tokens": 195},
    }
    assert summary["number_of_same_tool_retries"] == 2
    assert summary["total_number_of_turns"] == 4  # four LLM calls: three asked for tools, one answered
    assert summary["release_version"] == "v1.4.2"
    assert summary["llm_model"] == "qwen-3.5-72b-instruct"
    assert summary["hash_of_prompt"].startswith("sha256-")
    [root] = captured_content.spans_named("invoke_agent")
    assert summary["trace_id"] == format(root.context.trace_id, "032x")
    assert float(summary["overall_latency"].rstrip("s")) == pytest.approx(
        (root.end_time - root.start_time) / 1e9, abs=0.011
    )


def test_span_tree_and_tool_span_timing(server, openai_client, captured_content):
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name="airline-agent"):
        run_airline_agent(openai_client)
    [root] = captured_content.spans_named("invoke_agent")
    chats = captured_content.spans_named("chat")
    tools = captured_content.spans_named("execute_tool")
    assert root.name == "invoke_agent airline-agent"
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert all(s.parent.span_id == root.context.span_id for s in chats + tools)
    assert len({s.context.trace_id for s in chats + tools + [root]}) == 1
    for i, tool in enumerate(tools):
        # From the end of the call that asked for it to the start of the call that answered it.
        assert tool.start_time == chats[i].end_time
        assert tool.end_time == chats[i + 1].start_time
        attrs = tool.attributes
        assert attrs["gen_ai.operation.name"] == "execute_tool"
        assert attrs["gen_ai.tool.name"] == "search_flights"
        # The id is the one the harness sent back with the result (request i + 1).
        sent = [m["tool_call_id"] for m in server.requests[i + 1].body["messages"] if m["role"] == "tool"]
        assert attrs["gen_ai.tool.call.id"] == sent[-1]
        assert json.loads(attrs["gen_ai.tool.call.arguments"]) == {"origin": "JFK", "dest": "LAX"}
        assert attrs["gen_ai.tool.call.result"] == "no_flights_found"
    # The summary is an event on the root span, never usage attributes (no double counting).
    assert [e.name for e in root.events] == ["run.summary"]
    assert not any(k.startswith("gen_ai.usage") for k in root.attributes)
    assert json.loads(root.events[0].attributes["agentwrap.run.summary"])["number_of_same_tool_retries"] == 2


def test_tool_result_is_truncated(server, openai_client):
    long = "x" * 500
    server.enqueue(Reply(tool_calls=[ToolCall("fetch", {"u": 1}, id="c1")]), Reply(text="done"))
    with capture(capture_content=True, result_max_chars=40) as cap:
        with agentwrap.run() as run:
            openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}])
            openai_client.chat.completions.create(
                model="m",
                messages=[
                    {"role": "user", "content": "go"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "fetch", "arguments": '{"u": 1}'},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "c1", "content": long},
                ],
            )
    result = run.summary["sequence_of_tool_calls"][0]["result"]
    assert len(result) == 40 and result.endswith("…") and result.startswith("xxx")
    assert cap.spans_named("execute_tool")[0].attributes["gen_ai.tool.call.result"] == result


def test_parallel_tool_calls_share_usage_without_double_counting(server, openai_client, captured):
    server.enqueue(
        Reply(
            tool_calls=[ToolCall("a", {"i": 1}), ToolCall("b", {"i": 2}), ToolCall("a", {"i": 1})],
            usage=Usage(100, 31),
        ),
    )
    with agentwrap.run() as run:
        openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}])
    usage = list(run.summary["token_usage_of_each_tool_call"].values())
    assert sum(u["prompt_tokens"] for u in usage) == 100
    assert sum(u["completion_tokens"] for u in usage) == 31
    assert run.summary["number_of_same_tool_retries"] == 1  # a(i=1) twice
    assert run.summary["selected_tool_calls"] == ["a", "b"]
    # No results were sent back: the tool spans end with the run, marked as such.
    tools = captured.spans_named("execute_tool")
    assert len(tools) == 3 and all(t.attributes["agentwrap.tool.call.result_missing"] for t in tools)


async def _agent(client, index: int) -> dict:
    async with agentwrap.run(name=f"agent-{index}") as run:
        messages = [{"role": "user", "content": f"task {index}"}]
        for step in range(index % 3 + 1):
            response = await client.chat.completions.create(
                model=f"model-{index}", messages=messages, tools=[]
            )
            call = response.choices[0].message.tool_calls[0]
            messages.append(response.choices[0].message.model_dump(exclude_none=True))
            await asyncio.sleep(0.001 * (index % 5))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": f"r{index}.{step}"})
        final = await client.chat.completions.create(model=f"model-{index}", messages=messages)
        assert final.choices[0].message.content == f"done {index}"
    return run.summary


async def test_twenty_concurrent_runs_keep_separate_summaries(server, captured_content):
    def responder(request):
        body = request.body
        index = int(body["model"].split("-")[1])
        tool_msgs = [m for m in body["messages"] if m["role"] == "tool"]
        if len(tool_msgs) < index % 3 + 1:
            return Reply(
                tool_calls=[ToolCall(f"tool_{index}", {"step": len(tool_msgs)})],
                usage=Usage(10 + index, 2),
                delay=0.002,
            )
        return Reply(text=f"done {index}", usage=Usage(50, 5))

    server.responder = responder
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
    summaries = await asyncio.gather(*(_agent(client, i) for i in range(20)))
    await client.close()
    assert len(captured_content.summaries) == 20
    roots = {s.attributes["agentwrap.run.name"]: s for s in captured_content.spans_named("invoke_agent")}
    for index, summary in enumerate(summaries):
        steps = index % 3 + 1
        assert summary["total_number_of_turns"] == steps + 1
        assert summary["selected_tool_calls"] == [f"tool_{index}"]
        assert [c["args"] for c in summary["sequence_of_tool_calls"]] == [{"step": s} for s in range(steps)]
        assert [c["result"] for c in summary["sequence_of_tool_calls"]] == [
            f"r{index}.{s}" for s in range(steps)
        ]
        assert summary["number_of_same_tool_retries"] == 0
        assert summary["llm_model"] == f"model-{index}"
        assert all(
            u["prompt_tokens"] == 10 + index for u in summary["token_usage_of_each_tool_call"].values()
        )
        assert summary["trace_id"] == format(roots[f"agent-{index}"].context.trace_id, "032x")
    assert len({s["trace_id"] for s in summaries}) == 20


def test_summary_goes_to_logger_and_jsonl(server, openai_client, tmp_path, caplog):
    path = tmp_path / "out" / "runs.jsonl"
    server.enqueue(*AIRLINE_SCRIPT())
    agentwrap.instrument(file=str(path))
    with caplog.at_level(logging.INFO, logger="agentwrap"):
        with agentwrap.run(name="airline-agent", release="v9") as run:
            run_airline_agent(openai_client)
    agentwrap.uninstrument()

    [log_record] = [r for r in caplog.records if getattr(r, "event_name", None) == "run.summary"]
    assert log_record.getMessage().startswith("run.summary run_name=airline-agent total_number_of_turns=4 ")
    assert log_record.getMessage().endswith(f" trace_id={run.trace_id}")
    assert log_record.summarized_metadata == run.summary
    assert log_record.run_name == "airline-agent"

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    kinds = [line["type"] for line in lines]
    assert kinds.count("run.summary") == 1 and kinds.count("span") == 1 + 4 + 3
    [summary_line] = [line for line in lines if line["type"] == "run.summary"]
    assert summary_line["summarized_metadata"] == json.loads(json.dumps(run.summary))
    spans = [line for line in lines if line["type"] == "span"]
    assert {s["trace_id"] for s in spans} == {run.summary["trace_id"]}
    assert {s["span_id"] for s in spans} >= {c["span_id"] for c in run.summary["sequence_of_tool_calls"]}


def test_run_scope_propagates_user_exception_and_still_summarizes(server, openai_client, captured):
    with pytest.raises(KeyError):
        with agentwrap.run(name="boom"):
            openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
            raise KeyError("app bug")
    [summary] = captured.summaries
    assert summary["total_number_of_turns"] == 1
    [root] = captured.spans_named("invoke_agent")
    assert root.attributes["error.type"] == "KeyError"


def test_nested_run_records_parent(server, openai_client, captured):
    with agentwrap.run(name="parent") as parent:
        with agentwrap.run(name="child") as child:
            openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert child.parent is parent
    [child_record] = [r for r in captured.records if r.get("run_name") == "child"]
    assert child_record["parent_run_id"] == parent.run_id

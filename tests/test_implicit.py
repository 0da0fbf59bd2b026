"""Implicit runs: calls made outside any agentwrap.run() are threaded into runs."""

from __future__ import annotations

import asyncio
import threading
import time

import openai
import pytest

import agentwrap
from agentwrap.testing import Captured, Reply, ToolCall, Usage, capture
from tests.conftest import API_KEY

SYSTEM = {"role": "system", "content": "You are a careful agent."}  # shared by every conversation


def _steps(index: int) -> int:
    return index % 4 + 1


def _conversation_responder(request):
    # Conversation i asks "task i" and uses tool_i once per step, then answers "done i".
    body = request.body
    index = int(body["messages"][1]["content"].split()[1])
    results = [m for m in body["messages"] if m["role"] == "tool"]
    if len(results) < _steps(index):
        return Reply(
            tool_calls=[ToolCall(f"tool_{index}", {"step": len(results)})], usage=Usage(10 + index, 2)
        )
    return Reply(text=f"done {index}", usage=Usage(50, 5))


@pytest.fixture
def implicit(server) -> Captured:
    server.responder = _conversation_responder
    with capture(capture_content=True, implicit_runs=True) as captured:
        yield captured


def _messages(task: int) -> list[dict]:
    return [SYSTEM, {"role": "user", "content": f"task {task}"}]


def _sync_conversation(client, index: int, task: int) -> None:
    messages = _messages(task)
    while True:
        response = client.chat.completions.create(model="m", messages=messages, tools=[])
        message = response.choices[0].message
        if not message.tool_calls:
            assert message.content == f"done {task}"
            return
        messages.append(message.model_dump(exclude_none=True))
        time.sleep(0.001 * (index % 5))  # interleave
        call = message.tool_calls[0]
        messages.append({"role": "tool", "tool_call_id": call.id, "content": f"r{index}.{len(messages)}"})


async def _async_conversation(client, index: int, task: int) -> None:
    messages = _messages(task)
    while True:
        response = await client.chat.completions.create(model="m", messages=messages, tools=[])
        message = response.choices[0].message
        if not message.tool_calls:
            assert message.content == f"done {task}"
            return
        messages.append(message.model_dump(exclude_none=True))
        await asyncio.sleep(0.001 * (index % 5))
        call = message.tool_calls[0]
        messages.append({"role": "tool", "tool_call_id": call.id, "content": f"r{index}.{len(messages)}"})


def _assert_fifty_runs(captured: Captured) -> None:
    agentwrap.uninstrument()  # closes the implicit runs still open
    records = [r for r in captured.records if r.get("type") == "run.summary"]
    assert len(records) == 50
    seen_indexes = set()
    for record in records:
        summary = record["summarized_metadata"]
        [tool] = summary["selected_tool_calls"]
        task = int(tool.split("_")[1])
        results = [c["result"] for c in summary["sequence_of_tool_calls"]]
        # Every result of the run comes from one conversation (index i), and all of its steps.
        [index] = {int(r[1:].split(".")[0]) for r in results}
        seen_indexes.add(index)
        assert index % 25 == task
        assert summary["total_number_of_turns"] == _steps(task) + 1
        assert [c["args"] for c in summary["sequence_of_tool_calls"]] == [
            {"step": s} for s in range(_steps(task))
        ]
        assert summary["number_of_same_tool_retries"] == 0
        assert all(u["prompt_tokens"] == 10 + task for u in summary["token_usage_of_each_tool_call"].values())
        assert record["parent_run_id"] is None
    assert seen_indexes == set(range(50))
    roots = {format(s.context.span_id, "016x"): s for s in captured.spans_named("invoke_agent")}
    assert len(roots) == 50 and all(
        r.attributes["agentwrap.run.implicit"] == "conversation" for r in roots.values()
    )
    chats = captured.spans_named("chat")
    assert len(chats) == sum(_steps(i % 25) + 1 for i in range(50))
    by_trace = {r.context.trace_id: r for r in roots.values()}
    assert all(c.parent.span_id == by_trace[c.context.trace_id].context.span_id for c in chats)


def test_fifty_interleaved_conversations_in_threads(server, openai_client, implicit):
    # Pairs of conversations (i and i + 25) ask the very same question at the same time.
    barrier = threading.Barrier(50)

    def worker(index: int) -> None:
        barrier.wait()
        _sync_conversation(openai_client, index, index % 25)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _assert_fifty_runs(implicit)


async def test_fifty_interleaved_conversations_in_tasks(server, async_openai_client, implicit):
    await asyncio.gather(*(_async_conversation(async_openai_client, i, i % 25) for i in range(50)))
    _assert_fifty_runs(implicit)


def test_a_new_conversation_in_the_same_thread_closes_the_finished_one(server, openai_client, implicit):
    _sync_conversation(openai_client, 0, 1)
    assert implicit.summaries == []  # still open: the conversation may go on
    openai_client.chat.completions.create(model="m", messages=_messages(2), tools=[])
    [first] = implicit.summaries
    assert first["selected_tool_calls"] == ["tool_1"] and first["total_number_of_turns"] == 3
    # Its end is its last call's end, not the moment it was closed.
    [record] = [r for r in implicit.records if r.get("type") == "run.summary"]
    last_chat = implicit.spans_named("chat")[2]
    assert record["end_time_unix_nano"] == last_chat.end_time


def test_a_conversation_continued_after_a_final_answer_stays_one_run(server, openai_client, implicit):
    messages = _messages(0)  # one tool step, then "done 0"
    for turn in range(3):
        response = openai_client.chat.completions.create(model="m", messages=messages, tools=[])
        message = response.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        if message.tool_calls:
            messages.append({"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": "r0.0"})
        else:
            messages.append({"role": "user", "content": f"follow-up {turn}"})
    agentwrap.uninstrument()
    [summary] = implicit.summaries
    assert summary["total_number_of_turns"] == 3


def test_idle_runs_close_by_themselves(server, openai_client):
    server.responder = _conversation_responder
    with capture(implicit_runs=True, implicit_idle_seconds=0.1) as captured:
        messages = _messages(3)
        response = openai_client.chat.completions.create(model="m", messages=messages, tools=[])
        deadline = time.monotonic() + 10
        while not captured.summaries and time.monotonic() < deadline:
            time.sleep(0.02)
        [summary] = captured.summaries
        assert summary["total_number_of_turns"] == 1
        # The conversation goes on after the idle close: its next call opens a new run.
        messages.append(response.choices[0].message.model_dump(exclude_none=True))
        messages.append({"role": "tool", "tool_call_id": "call_x", "content": "late"})
        openai_client.chat.completions.create(model="m", messages=messages, tools=[])
    assert [s["total_number_of_turns"] for s in captured.summaries] == [1, 1]


def test_a_sub_agent_started_inside_a_tool_is_a_child_run(server, openai_client, implicit):
    messages = _messages(0)  # one tool step
    response = openai_client.chat.completions.create(model="m", messages=messages, tools=[])
    call = response.choices[0].message.tool_calls[0]
    _sync_conversation(openai_client, 7, 7)  # the tool runs another agent, same thread
    messages.append(response.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "r0.1"})
    final = openai_client.chat.completions.create(model="m", messages=messages, tools=[])
    assert final.choices[0].message.content == "done 0"
    agentwrap.uninstrument()
    records = {
        r["summarized_metadata"]["selected_tool_calls"][0]: r
        for r in implicit.records
        if r.get("type") == "run.summary"
    }
    parent, child = records["tool_0"], records["tool_7"]
    assert child["parent_run_id"] == parent["run_id"]
    assert (parent["child_runs"], parent["child_run_ids"]) == (1, [child["run_id"]])
    assert parent["summarized_metadata"]["total_number_of_turns"] == 2
    assert child["summarized_metadata"]["total_number_of_turns"] == _steps(7) + 1


def test_calls_under_an_app_span_form_one_run_per_trace(server, openai_client, implicit):
    tracer = implicit.provider.get_tracer("app")
    for request in (1, 2):
        with tracer.start_as_current_span(f"handle-request-{request}"):
            _sync_conversation(openai_client, request, request)
            _sync_conversation(openai_client, request + 10, request + 10)  # another agent, same trace
    agentwrap.uninstrument()
    records = [r for r in implicit.records if r.get("type") == "run.summary"]
    assert len(records) == 2
    apps = {s.name: s for s in implicit.spans if s.name.startswith("handle-request")}
    for record, request in zip(records, (1, 2), strict=True):
        summary = record["summarized_metadata"]
        assert summary["selected_tool_calls"] == [f"tool_{request}", f"tool_{request + 10}"]
        assert summary["total_number_of_turns"] == _steps(request) + _steps(request + 10) + 2
        app = apps[f"handle-request-{request}"]
        assert summary["trace_id"] == format(app.context.trace_id, "032x")
    roots = implicit.spans_named("invoke_agent")
    assert [r.parent.span_id for r in roots] == [
        apps["handle-request-1"].context.span_id,
        apps["handle-request-2"].context.span_id,
    ]
    assert all(r.attributes["agentwrap.run.implicit"] == "trace" for r in roots)
    # The calls keep the app's span as their parent.
    assert {c.parent.span_id for c in implicit.spans_named("chat")} == {
        a.context.span_id for a in apps.values()
    }


def _responses_responder(request):
    body = request.body
    items = body["input"] if isinstance(body["input"], list) else [{"role": "user", "content": body["input"]}]
    if any(i.get("type") == "function_call_output" for i in items) or "follow-up" in str(items):
        return Reply(text="ok", usage=Usage(30, 3))
    task = str(items[0]["content"]).split()[1]
    return Reply(tool_calls=[ToolCall(f"tool_{task}", {"q": task})], usage=Usage(20, 2))


async def test_responses_previous_response_id_threads_interleaved_conversations(server, implicit):
    server.responder = _responses_responder
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)

    async def conversation(index: int) -> None:
        first = await client.responses.create(model="m", input=f"task {index}", tools=[])
        [call] = [i for i in first.output if i.type == "function_call"]
        await asyncio.sleep(0.001 * index)
        second = await client.responses.create(
            model="m",
            previous_response_id=first.id,
            input=[{"type": "function_call_output", "call_id": call.call_id, "output": f"r{index}"}],
        )
        await client.responses.create(model="m", previous_response_id=second.id, input="a follow-up")

    # All ten in one task, interleaved: only the response ids tell them apart.
    await asyncio.gather(*(conversation(i) for i in range(10)))
    await client.close()
    agentwrap.uninstrument()
    summaries = implicit.summaries
    assert len(summaries) == 10
    assert sorted(s["selected_tool_calls"][0] for s in summaries) == sorted(f"tool_{i}" for i in range(10))
    for summary in summaries:
        index = summary["selected_tool_calls"][0].split("_")[1]
        assert summary["total_number_of_turns"] == 3
        assert [c["result"] for c in summary["sequence_of_tool_calls"]] == [f"r{index}"]


def test_implicit_runs_are_off_unless_asked(server, openai_client, captured):
    server.responder = _conversation_responder
    _sync_conversation(openai_client, 0, 0)
    agentwrap.uninstrument()
    assert captured.summaries == []


def test_a_new_trace_in_the_same_thread_closes_the_finished_trace_run(server, openai_client, implicit):
    tracer = implicit.provider.get_tracer("app")
    with tracer.start_as_current_span("request-1"):
        _sync_conversation(openai_client, 1, 1)
    assert implicit.summaries == []  # the app's span ended, but the run waits for what comes next
    with tracer.start_as_current_span("request-2"):
        openai_client.chat.completions.create(model="m", messages=_messages(2), tools=[])
        [first] = implicit.summaries  # a new trace in this thread: the finished one is over
    assert first["selected_tool_calls"] == ["tool_1"]
    assert first["total_number_of_turns"] == _steps(1) + 1

"""The OpenAI Responses API over real HTTP: create, stream, the stream() helper, parse, tools."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("openai.resources.responses", reason="the Responses API needs openai>=1.66")

import openai  # noqa: E402
import pydantic  # noqa: E402
from opentelemetry.trace import StatusCode  # noqa: E402

import agentwrap  # noqa: E402
from agentwrap.testing import ErrorReply, Reply, ToolCall, Usage  # noqa: E402

from ._openai_compat import attrs  # noqa: E402

TOOLS = [
    {
        "type": "function",
        "name": "lookup",
        "description": "Look a word up.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        "strict": False,
    }
]


class City(pydantic.BaseModel):
    name: str
    country: str


def test_create_records_the_responses_attributes(server, openai_client, captured):
    usage = Usage(40, 12, cache_read_input_tokens=30, reasoning_tokens=5)
    server.enqueue(Reply(text="Bonjour", usage=usage, model="gpt-5-2026-01-01"))
    response = openai_client.responses.create(
        model="gpt-5",
        input="Say hello in French",
        instructions="Be brief.",
        tools=TOOLS,
        temperature=0.3,
        max_output_tokens=64,
        text={"format": {"type": "json_object"}},
        extra_body={"service_tier": "flex"},  # openai 1.66 has no service_tier argument yet
    )
    assert response.output_text == "Bonjour"
    [span] = captured.spans
    found = attrs(span)
    assert span.name == "chat gpt-5"
    assert found["gen_ai.operation.name"] == "chat"
    assert found["openai.api.type"] == "responses"
    assert found["gen_ai.request.temperature"] == 0.3
    assert found["gen_ai.request.max_tokens"] == 64
    assert found["openai.request.service_tier"] == "flex"
    assert found["gen_ai.output.type"] == "json"
    assert found["gen_ai.response.id"] == response.id
    assert found["gen_ai.response.model"] == "gpt-5-2026-01-01"
    assert found["gen_ai.response.finish_reasons"] == ("stop",)
    assert found["openai.response.service_tier"] == "default"
    assert found["gen_ai.usage.input_tokens"] == 40  # OpenAI's input total already includes cache
    assert found["gen_ai.usage.output_tokens"] == 12
    assert found["gen_ai.usage.cache_read.input_tokens"] == 30
    assert found["gen_ai.usage.reasoning.output_tokens"] == 5
    assert found["agentwrap.prompt.version_hash"].startswith("sha256-")
    assert "gen_ai.request.stream" not in found
    assert "gen_ai.input.messages" not in found  # no content unless asked for


def test_prompt_version_is_instructions_and_tools_and_matches_chat(server, openai_client, captured):
    chat_tools = [{"type": "function", "function": {k: v for k, v in TOOLS[0].items() if k != "type"}}]
    openai_client.responses.create(model="m", input="a", instructions="Be brief.", tools=TOOLS)
    openai_client.responses.create(model="m", input="b", instructions="Be brief.", tools=TOOLS)
    openai_client.responses.create(model="m", input="a", instructions="Be long.", tools=TOOLS)
    openai_client.chat.completions.create(
        model="m",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "a"}],
        tools=chat_tools,
    )
    first, second, third, chat = (
        attrs(s)["agentwrap.prompt.version_hash"] for s in captured.spans_named("chat")
    )
    assert first == second == chat != third
    inputs = [attrs(s)["agentwrap.prompt.hash"] for s in captured.spans_named("chat")[:3]]
    assert inputs[0] != inputs[1] != inputs[2] != inputs[0]


def test_function_calls_become_tool_spans_closed_by_function_call_output(
    server, openai_client, captured_content
):
    server.enqueue(
        Reply(tool_calls=[ToolCall("lookup", {"q": "bonjour"}, id="call_A")]), Reply(text="It means hello.")
    )
    with agentwrap.run(name="dictionary") as run:
        first = openai_client.responses.create(model="m", input="What is bonjour?", tools=TOOLS)
        [call] = [item for item in first.output if item.type == "function_call"]
        items = [{"role": "user", "content": "What is bonjour?"}, *first.output]
        items.append({"type": "function_call_output", "call_id": call.call_id, "output": "hello"})
        openai_client.responses.create(model="m", input=items, tools=TOOLS)
    [tool] = captured_content.spans_named("execute_tool")
    chats = captured_content.spans_named("chat")
    assert attrs(chats[0])["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert tool.name == "execute_tool lookup"
    assert attrs(tool)["gen_ai.tool.call.id"] == "call_A"
    assert json.loads(attrs(tool)["gen_ai.tool.call.arguments"]) == {"q": "bonjour"}
    assert attrs(tool)["gen_ai.tool.call.result"] == "hello"
    assert tool.start_time == chats[0].end_time and tool.end_time == chats[1].start_time
    assert run.summary["sequence_of_tool_calls"][0]["result"] == "hello"
    assert run.summary["total_number_of_turns"] == 2


def test_previous_response_id_runs_close_tool_spans_without_resending(
    server, openai_client, captured_content
):
    server.enqueue(
        Reply(tool_calls=[ToolCall("lookup", {"q": "a"}, id="c1"), ToolCall("lookup", {"q": "b"}, id="c2")]),
        Reply(text="done"),
    )
    with agentwrap.run() as run:
        first = openai_client.responses.create(model="m", input="look both up", tools=TOOLS, store=True)
        outputs = [
            {"type": "function_call_output", "call_id": item.call_id, "output": f"result {item.call_id}"}
            for item in first.output
            if item.type == "function_call"
        ]
        openai_client.responses.create(model="m", input=outputs, previous_response_id=first.id, tools=TOOLS)
    second = captured_content.spans_named("chat")[1]
    assert attrs(second)["gen_ai.request.previous_response.id"] == first.id
    assert server.requests[1].body["input"] == outputs  # nothing earlier was resent
    tools = captured_content.spans_named("execute_tool")
    assert [attrs(t)["gen_ai.tool.call.result"] for t in tools] == ["result c1", "result c2"]
    assert not any("agentwrap.tool.call.result_missing" in attrs(t) for t in tools)
    assert [c["result"] for c in run.summary["sequence_of_tool_calls"]] == ["result c1", "result c2"]


def test_content_capture_uses_the_conventions_forms(server, openai_client, captured_content):
    server.enqueue(Reply(text="Paris."))
    items = [
        {"role": "developer", "content": "Answer in one word."},
        {"role": "user", "content": [{"type": "input_text", "text": "Capital of France?"}]},
        {"type": "function_call", "call_id": "c0", "name": "lookup", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c0", "output": "France: Paris"},
    ]
    openai_client.responses.create(model="m", input=items, instructions="You are terse.", tools=TOOLS)
    found = attrs(captured_content.spans[0])
    assert json.loads(found["gen_ai.system_instructions"]) == [{"type": "text", "content": "You are terse."}]
    assert json.loads(found["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Answer in one word."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "c0", "name": "lookup", "arguments": "{}"}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c0", "response": "France: Paris"}]},
    ]
    assert json.loads(found["gen_ai.tool.definitions"])[0]["name"] == "lookup"
    output = json.loads(found["gen_ai.output.messages"])
    assert output == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Paris."}], "finish_reason": "stop"}
    ]


def test_stream_true_records_usage_tool_calls_and_ttft(server, openai_client, captured):
    server.enqueue(Reply(tool_calls=[ToolCall("lookup", {"q": "x"}, id="c9")], usage=Usage(20, 7)))
    with agentwrap.run() as run:
        stream = openai_client.responses.create(model="m", input="go", tools=TOOLS, stream=True)
        assert isinstance(stream, openai.Stream)
        events = [event.type for event in stream]
    assert events[0] == "response.created" and events[-1] == "response.completed"
    chat = captured.spans_named("chat")[0]
    found = attrs(chat)
    assert found["gen_ai.request.stream"] is True
    assert found["gen_ai.usage.input_tokens"] == 20 and found["gen_ai.usage.output_tokens"] == 7
    assert found["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert found["agentwrap.stream.completed"] is True
    assert 0 < found["gen_ai.response.time_to_first_chunk"] <= (chat.end_time - chat.start_time) / 1e9
    assert run.summary["selected_tool_calls"] == ["lookup"]


def test_time_to_first_chunk_skips_the_lifecycle_events(server, openai_client, captured):
    server.enqueue(Reply(text="late words"))
    read_ns = {}
    for event in openai_client.responses.create(model="m", input="go", stream=True):
        read_ns.setdefault(event.type, time.time_ns())
    [span] = captured.spans
    first_chunk_ns = span.start_time + round(attrs(span)["gen_ai.response.time_to_first_chunk"] * 1e9)
    # Marked when output_item.added was read, after the caller already had in_progress.
    assert read_ns["response.in_progress"] <= first_chunk_ns <= read_ns["response.output_item.added"]


def test_stream_helper_keeps_get_final_response(server, openai_client, captured):
    server.enqueue(Reply(text="one two three", usage=Usage(3, 3)))
    with openai_client.responses.stream(model="m", input="count") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "one two three" == final.output_text
    [span] = captured.spans
    assert attrs(span)["gen_ai.response.id"] == final.id
    assert attrs(span)["gen_ai.usage.output_tokens"] == 3


async def test_async_stream_helper_and_parse(server, async_openai_client, captured):
    server.enqueue(Reply(text="a b", usage=Usage(2, 2)), Reply(text='{"name": "Paris", "country": "FR"}'))
    async with async_openai_client.responses.stream(model="m", input="x") as stream:
        final = await stream.get_final_response()
    parsed = await async_openai_client.responses.parse(model="m", input="city?", text_format=City)
    assert final.output_text == "a b"
    assert parsed.output_parsed == City(name="Paris", country="FR")
    first, second = captured.spans_named("chat")
    assert attrs(first)["agentwrap.stream.completed"] is True
    assert attrs(second)["gen_ai.output.type"] == "json"
    assert attrs(second)["gen_ai.response.id"] == parsed.id


def test_parse_goes_through_the_request_layer(server, openai_client, captured):
    server.enqueue(Reply(text='{"name": "Lyon", "country": "FR"}', usage=Usage(9, 8)))
    parsed = openai_client.responses.parse(model="m", input="a city", text_format=City)
    assert isinstance(parsed.output_parsed, City) and parsed.output_parsed.name == "Lyon"
    [span] = captured.spans
    assert attrs(span)["gen_ai.usage.output_tokens"] == 8
    assert attrs(span)["openai.api.type"] == "responses"


def test_incomplete_response_finishes_with_length(server, openai_client, captured):
    server.enqueue(Reply(text="cut", finish_reason="length"))
    response = openai_client.responses.create(model="m", input="write a novel", max_output_tokens=3)
    assert response.status == "incomplete"
    assert attrs(captured.spans[0])["gen_ai.response.finish_reasons"] == ("length",)


def test_conversation_id_from_the_body(server, openai_client, captured):
    openai_client.responses.create(model="m", input="hi", extra_body={"conversation": "conv_42"})
    assert attrs(captured.spans[0])["gen_ai.conversation.id"] == "conv_42"


async def test_async_create_and_error(server, async_openai_client, captured):
    server.enqueue(Reply(text="fine"), ErrorReply(status=429, message="slow down"))
    await async_openai_client.responses.create(model="m", input="a")
    with pytest.raises(openai.RateLimitError):
        await async_openai_client.responses.create(model="m", input="b")
    ok, failed = captured.spans_named("chat")
    assert ok.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR
    assert attrs(failed)["error.type"] == "RateLimitError"


def test_other_responses_endpoints_are_not_traced_as_calls(server, openai_client, captured):
    # input_tokens counting is a POST under /responses/ but not a model call.
    try:
        openai_client.post("/responses/input_tokens", body={"model": "m", "input": "x"}, cast_to=object)
    except openai.NotFoundError:
        pass
    assert captured.spans == []


def test_azure_clients_are_the_azure_openai_provider(server, captured):
    client = openai.AzureOpenAI(base_url=server.base_url, api_key="k", api_version="2025-04-01-preview")
    try:
        client.responses.create(model="my-deployment", input="hi")
    finally:
        client.close()
    [span] = captured.spans
    assert attrs(span)["gen_ai.provider.name"] == "azure.ai.openai"
    assert attrs(span)["gen_ai.request.model"] == "my-deployment"

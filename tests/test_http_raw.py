"""LLM API calls made with httpx / httpx2 directly (no SDK), traced once, with runs and tools."""

from __future__ import annotations

import json

import pytest

import agentwrap
from agentwrap.testing import ErrorReply, Reply, ToolCall, Usage

httpx2 = pytest.importorskip("httpx2")
httpx = pytest.importorskip("httpx")

MESSAGES = [{"role": "user", "content": "weather in Paris?"}]


def _chat_body(messages, **extra):
    return {"model": "gpt-raw", "messages": messages, **extra}


@pytest.mark.parametrize("library", [httpx2, httpx], ids=["httpx2", "httpx"])
def test_raw_chat_loop_gives_spans_tool_spans_and_a_summary(server, captured_content, library):
    server.enqueue(
        Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})], usage=Usage(12, 4)),
        Reply(text="Sunny.", usage=Usage(20, 2)),
    )
    messages = list(MESSAGES)
    with agentwrap.run(name="raw") as run, library.Client(base_url=server.base_url) as client:
        first = client.post("/chat/completions", json=_chat_body(messages)).json()
        call = first["choices"][0]["message"]["tool_calls"][0]
        messages += [
            first["choices"][0]["message"],
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
        ]
        second = client.post("/chat/completions", json=_chat_body(messages)).json()
    assert second["choices"][0]["message"]["content"] == "Sunny."
    chats = captured_content.spans_named("chat")
    assert [c.attributes["gen_ai.usage.input_tokens"] for c in chats] == [12, 20]
    assert chats[0].attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert chats[0].attributes["server.address"] == "127.0.0.1"
    summary = run.summary
    assert summary["total_number_of_turns"] == 2
    assert summary["sequence_of_tool_calls"][0]["args"] == {"city": "Paris"}
    assert summary["sequence_of_tool_calls"][0]["result"] == "sunny"
    [tool] = captured_content.spans_named("execute_tool")
    assert tool.name == "execute_tool get_weather"


@pytest.mark.parametrize("library", [httpx2, httpx], ids=["httpx2", "httpx"])
def test_raw_streamed_chat_is_accumulated_as_it_is_read(server, captured, library):
    server.enqueue(Reply(text="one two three", usage=Usage(7, 3)))
    body = _chat_body(MESSAGES, stream=True, stream_options={"include_usage": True})
    with library.Client(base_url=server.base_url) as client:
        with client.stream("POST", "/chat/completions", json=body) as response:
            reading = response.iter_lines()
            first = next(reading)
            assert captured.spans == []  # still being read
            lines = [line for line in [first, *reading] if line.startswith("data: {")]
    text = "".join(c["delta"].get("content") or "" for line in lines for c in json.loads(line[6:])["choices"])
    assert text == "one two three"
    [span] = captured.spans
    attrs = span.attributes
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (7, 3)
    assert attrs["gen_ai.request.stream"] is True and attrs["agentwrap.stream.completed"] is True
    assert "gen_ai.response.time_to_first_chunk" in attrs


async def test_raw_async_anthropic_messages(server, captured):
    server.enqueue(Reply(text="Bonjour", usage=Usage(9, 2)))
    async with httpx2.AsyncClient(base_url=server.anthropic_base_url) as client:
        response = await client.post(
            "/v1/messages",
            json={"model": "claude-raw", "max_tokens": 50, "messages": MESSAGES},
            headers={"anthropic-version": "2023-06-01", "x-api-key": "k"},
        )
    assert response.json()["content"][0]["text"] == "Bonjour"
    [span] = captured.spans
    assert span.attributes["gen_ai.provider.name"] == "anthropic"
    assert span.attributes["gen_ai.usage.output_tokens"] == 2


def test_error_status_is_recorded_and_the_response_returned(server, captured):
    server.enqueue(ErrorReply(429, "slow down", type="rate_limit_error"))
    with httpx2.Client(base_url=server.base_url) as client:
        response = client.post("/chat/completions", json=_chat_body(MESSAGES))
    assert response.status_code == 429
    [span] = captured.spans
    assert span.attributes["error.type"] == "HTTPStatusError"


def test_other_requests_and_sdk_calls_are_not_traced_here(server, captured, openai_client):
    with httpx2.Client(base_url=server.base_url) as client:
        client.get("/models")
        client.post("/files", json={"purpose": "x"})
    assert captured.spans == []
    openai_client.chat.completions.create(model="m", messages=MESSAGES)  # the SDK sends with httpx2
    [span] = captured.spans  # once, by the SDK layer
    assert span.attributes["openai.api.type"] == "chat_completions"


def test_raw_anthropic_tool_use_with_content_capture(server, captured_content):
    # A tool_use block's input is a JSON object: kept as plain data, so it serializes.
    server.enqueue(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})], usage=Usage(9, 4)))
    with httpx.Client(base_url=server.anthropic_base_url) as client:
        client.post("/v1/messages", json={"model": "claude-raw", "max_tokens": 50, "messages": MESSAGES})
    [span] = captured_content.spans
    [output] = json.loads(span.attributes["gen_ai.output.messages"])
    [part] = [p for p in output["parts"] if p["type"] == "tool_call"]
    assert (part["name"], part["arguments"]) == ("get_weather", {"city": "Paris"})

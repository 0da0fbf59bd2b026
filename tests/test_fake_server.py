"""Tests for agentwrap.testing.FakeLLMServer, driven through the real OpenAI and Anthropic SDKs."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from anthropic.types import Message, RawMessageStreamEvent
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from agentwrap.testing import ErrorReply, FakeLLMServer, RecordedRequest, Reply, ToolCall, Usage

USER = [{"role": "user", "content": "What is the weather in Paris?"}]
WEATHER = ToolCall("get_weather", {"city": "Paris", "unit": "celsius"})


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as srv:
        yield srv


@pytest.fixture
def oai(server: FakeLLMServer) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)
    yield client
    client.close()


@pytest.fixture
def claude(server: FakeLLMServer) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="test-key", max_retries=0)
    yield client
    client.close()


def _raw_post(server: FakeLLMServer, path: str, body: dict[str, Any]) -> str:
    request = urllib.request.Request(
        server.anthropic_base_url + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return str(response.read().decode())


def _sse_payloads(raw: str) -> list[dict[str, Any]]:
    payloads = []
    for block in raw.strip().split("\n\n"):
        data = next(line[len("data: ") :] for line in block.split("\n") if line.startswith("data: "))
        if data != "[DONE]":
            payloads.append(json.loads(data))
    return payloads


# -- lifecycle and addresses ---------------------------------------------------------------------


def test_addresses_and_lifecycle() -> None:
    server = FakeLLMServer()
    with pytest.raises(RuntimeError):
        _ = server.port
    server.start()
    try:
        assert server.port > 0
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert server.anthropic_base_url == f"http://127.0.0.1:{server.port}"
        with pytest.raises(RuntimeError):
            server.start()
    finally:
        server.stop()
    server.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_reply_normalises_tool_calls_and_validates() -> None:
    reply = Reply(tool_calls=[WEATHER])
    assert reply.tool_calls == (WEATHER,)
    with pytest.raises(ValueError):
        Reply(delay=-1)
    with pytest.raises(ValueError):
        Reply(chunks=0)


def test_enqueue_rejects_non_replies(server: FakeLLMServer) -> None:
    with pytest.raises(TypeError):
        server.enqueue("hello")


# -- chat completions ----------------------------------------------------------------------------


def test_chat_text(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(Reply(text="Sunny, 21C.", usage=Usage(input_tokens=12, output_tokens=5)))
    completion = oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert completion.id == "chatcmpl-1"
    assert completion.model == "gpt-4o-mini"
    choice = completion.choices[0]
    assert choice.message.content == "Sunny, 21C."
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (12, 5)
    assert completion.usage.total_tokens == 17


def test_chat_tool_calls(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    explicit = ToolCall("lookup", {"q": "x"}, id="call_custom")
    server.enqueue(Reply(tool_calls=[WEATHER, explicit], model="scripted-model"))
    completion = oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert completion.model == "scripted-model"
    calls = choice.message.tool_calls
    assert calls is not None
    assert [call.id for call in calls] == ["call_1", "call_custom"]
    assert calls[0].type == "function"
    assert calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments) == {"city": "Paris", "unit": "celsius"}


def test_default_usage_is_deterministic(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(Reply(text="abcdefghijkl"), Reply(tool_calls=[WEATHER]))
    first = oai.chat.completions.create(model="m", messages=USER)
    second = oai.chat.completions.create(model="m", messages=USER)
    expected_input = len(json.dumps(USER, sort_keys=True)) // 4
    assert first.usage is not None and second.usage is not None
    assert first.usage.prompt_tokens == expected_input
    assert first.usage.completion_tokens == 3  # 12 chars // 4
    assert second.usage.completion_tokens == len('{"city":"Paris","unit":"celsius"}') // 4


def test_finish_reason_length_maps_per_provider(
    server: FakeLLMServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    server.enqueue(Reply(text="cut", finish_reason="length"), Reply(text="cut", finish_reason="length"))
    completion = oai.chat.completions.create(model="m", messages=USER)
    message = claude.messages.create(model="claude-x", max_tokens=5, messages=USER)
    assert completion.choices[0].finish_reason == "length"
    assert message.stop_reason == "max_tokens"


def test_chat_stream_without_usage(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(Reply(text="It is sunny today", tool_calls=[WEATHER]))
    stream = oai.chat.completions.create(model="m", messages=USER, stream=True)
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert contents == ["It ", "is ", "sunny ", "today"]
    arguments = "".join(
        call.function.arguments or ""
        for c in chunks
        for call in (c.choices[0].delta.tool_calls or [])
        if call.function is not None
    )
    pieces = [c for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert len(pieces) == 3  # header delta + arguments in two pieces
    assert pieces[0].choices[0].delta.tool_calls[0].id == "call_1"
    assert json.loads(arguments) == WEATHER.arguments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert all(c.usage is None for c in chunks)


def test_chat_stream_with_include_usage(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(Reply(text="one two three", chunks=2, usage=Usage(7, 3, reasoning_tokens=1)))
    stream = oai.chat.completions.create(
        model="m",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert contents == ["one two", " three"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (7, 3, 10)
    assert last.usage.completion_tokens_details is not None
    assert last.usage.completion_tokens_details.reasoning_tokens == 1
    assert all(c.usage is None for c in chunks[:-1])


def test_fail_after_chunks_breaks_the_stream(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(Reply(text="a b c d e", fail_after_chunks=2))
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in oai.chat.completions.create(model="m", messages=USER, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert received == ["a ", "b "]
    # The server survives the aborted connection.
    assert oai.chat.completions.create(model="m", messages=USER).choices[0].message.content == "ok"


# -- responses -----------------------------------------------------------------------------------


def test_responses_create(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(
        Reply(text="Checking.", tool_calls=[WEATHER], usage=Usage(20, 8, cache_read_input_tokens=4))
    )
    response = oai.responses.create(model="gpt-4.1", input="weather?")
    assert response.id == "resp_1"
    assert response.status == "completed"
    assert response.output_text == "Checking."
    assert [item.type for item in response.output] == ["message", "function_call"]
    call = response.output[1]
    assert call.type == "function_call"
    assert (call.name, call.call_id, call.id) == ("get_weather", "call_1", "fc_1")
    assert json.loads(call.arguments) == WEATHER.arguments
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        20,
        8,
        28,
    )
    assert response.usage.input_tokens_details.cached_tokens == 4


def test_responses_truncated_is_incomplete(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(Reply(text="partial", finish_reason="length"))
    response = oai.responses.create(model="gpt-4.1", input="long")
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


def test_responses_stream_helper(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(Reply(text="Rain later", tool_calls=[WEATHER], usage=Usage(11, 6)))
    with oai.responses.stream(model="gpt-4.1", input="weather?") as stream:
        events = list(stream)
        final = stream.get_final_response()
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Rain ", "later"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[0].type == "response.created"
    assert events[-1].type == "response.completed"
    assert final.output_text == "Rain later"
    calls = [item for item in final.output if item.type == "function_call"]
    assert len(calls) == 1 and json.loads(calls[0].arguments) == WEATHER.arguments
    assert final.usage is not None and final.usage.total_tokens == 17


# -- anthropic -----------------------------------------------------------------------------------


def test_anthropic_create(server: FakeLLMServer, claude: anthropic.Anthropic) -> None:
    usage = Usage(30, 9, cache_read_input_tokens=10, cache_creation_input_tokens=2)
    server.enqueue(Reply(text="Let me check.", tool_calls=[WEATHER], usage=usage))
    message = claude.messages.create(model="claude-sonnet", max_tokens=100, messages=USER)
    assert message.id == "msg_1"
    assert message.model == "claude-sonnet"
    assert message.stop_reason == "tool_use"
    assert message.stop_sequence is None
    text, tool = message.content
    assert text.type == "text" and text.text == "Let me check."
    assert tool.type == "tool_use"
    assert (tool.id, tool.name, tool.input) == ("toolu_1", "get_weather", WEATHER.arguments)
    assert (message.usage.input_tokens, message.usage.output_tokens) == (30, 9)
    assert message.usage.cache_read_input_tokens == 10
    assert message.usage.cache_creation_input_tokens == 2


def test_anthropic_text_only_ends_turn(server: FakeLLMServer, claude: anthropic.Anthropic) -> None:
    server.enqueue(Reply(text="Hi!"))
    message = claude.messages.create(model="claude-sonnet", max_tokens=100, messages=USER)
    assert message.stop_reason == "end_turn"
    assert [block.type for block in message.content] == ["text"]


def test_anthropic_stream_helper(server: FakeLLMServer, claude: anthropic.Anthropic) -> None:
    server.enqueue(Reply(text="Looking it up", tool_calls=[WEATHER], usage=Usage(15, 7)))
    with claude.messages.stream(model="claude-sonnet", max_tokens=100, messages=USER) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert texts == ["Looking ", "it ", "up"]
    assert final.stop_reason == "tool_use"
    assert final.content[0].type == "text" and final.content[0].text == "Looking it up"
    tool = final.content[1]
    assert tool.type == "tool_use" and tool.input == WEATHER.arguments and tool.name == "get_weather"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (15, 7)


# -- embeddings ----------------------------------------------------------------------------------


def test_embeddings(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    default = oai.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    floats = oai.embeddings.create(model="text-embedding-3-small", input="alpha", encoding_format="float")
    assert [item.index for item in default.data] == [0, 1]
    assert all(len(item.embedding) == 8 for item in default.data)
    assert default.data[0].embedding != default.data[1].embedding
    # The default request asks for base64 float32; the float form must decode to the same vector.
    assert default.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)
    assert all(-1.0 <= value <= 1.0 for value in floats.data[0].embedding)
    assert default.model == "text-embedding-3-small"
    assert default.usage.prompt_tokens == default.usage.total_tokens >= 1
    assert server.requests[0].body is not None
    assert server.requests[0].body["encoding_format"] == "base64"


# -- errors, timeouts, disconnects ---------------------------------------------------------------


def test_openai_error_replies(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.enqueue(
        ErrorReply(500, "boom"), ErrorReply(429, "slow down", "rate_limit", headers={"retry-after": "7"})
    )
    with pytest.raises(openai.InternalServerError) as internal:
        oai.chat.completions.create(model="m", messages=USER)
    assert internal.value.status_code == 500
    assert internal.value.message == "Error code: 500 - boom"  # the SDK prefixes the status
    with pytest.raises(openai.RateLimitError) as limited:
        oai.responses.create(model="m", input="x")
    assert limited.value.response.headers["retry-after"] == "7"
    assert limited.value.body == {"message": "slow down", "type": "rate_limit", "param": None, "code": None}


def test_anthropic_error_replies(server: FakeLLMServer, claude: anthropic.Anthropic) -> None:
    server.enqueue(ErrorReply(500), ErrorReply(529, "busy", "overloaded_error"))
    with pytest.raises(anthropic.InternalServerError) as internal:
        claude.messages.create(model="c", max_tokens=5, messages=USER)
    assert internal.value.status_code == 500
    assert internal.value.body == {
        "type": "error",
        "error": {"type": "api_error", "message": "internal error"},
    }
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        claude.messages.create(model="c", max_tokens=5, messages=USER)
    assert overloaded.value.status_code == 529


def test_unknown_path_is_404(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        oai.models.list()
    assert (server.requests[0].method, server.requests[0].path) == ("GET", "/v1/models")


def test_client_timeout_is_survived_quietly(
    server: FakeLLMServer, oai: openai.OpenAI, capfd: pytest.CaptureFixture[str]
) -> None:
    server.enqueue(Reply(text="late", delay=1.0), Reply(text="on time"))
    start = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        oai.chat.completions.create(model="m", messages=USER, timeout=0.2)
    assert time.monotonic() - start < 0.9
    answer = oai.chat.completions.create(model="m", messages=USER)
    assert answer.choices[0].message.content == "on time"
    time.sleep(1.0)  # let the abandoned handler wake up and hit the closed socket
    server.stop()
    assert capfd.readouterr().err == ""


def test_stop_is_prompt_with_request_in_flight(server: FakeLLMServer) -> None:
    server.enqueue(Reply(text="never", delay=30.0))
    errors: list[BaseException] = []
    client = openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)

    def call() -> None:
        try:
            client.chat.completions.create(model="m", messages=USER)
        except Exception as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.requests, "request never arrived"
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 2.0
    worker.join(5)
    client.close()
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], openai.APIConnectionError)


# -- script, recording, responder ----------------------------------------------------------------


def test_requests_are_recorded(
    server: FakeLLMServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    before = time.time()
    oai.chat.completions.create(model="gpt-4o", messages=USER, temperature=0.5)
    claude.messages.create(model="claude-x", max_tokens=10, messages=USER)
    chat, messages = server.requests
    assert (chat.method, chat.path) == ("POST", "/v1/chat/completions")
    assert chat.body == {"model": "gpt-4o", "messages": USER, "temperature": 0.5}
    assert chat.headers["authorization"] == "Bearer test-key"
    assert before <= chat.received_at <= messages.received_at <= time.time()
    assert messages.path == "/v1/messages"
    # anthropic 2.x sends the key as a bearer token, not x-api-key.
    assert messages.headers["authorization"] == "Bearer test-key"
    assert "anthropic-version" in messages.headers
    assert messages.body is not None and messages.body["max_tokens"] == 10


def test_queue_then_responder_then_default(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    def texts(n: int) -> list[str | None]:
        return [
            oai.chat.completions.create(model="m", messages=USER).choices[0].message.content for _ in range(n)
        ]

    assert texts(1) == ["ok"]
    seen: list[RecordedRequest] = []

    def responder(request: RecordedRequest) -> Reply:
        seen.append(request)
        return Reply(text=f"echo {len(seen)}")

    server.responder = responder
    server.enqueue(Reply(text="queued"))
    assert texts(3) == ["queued", "echo 1", "echo 2"]
    assert seen[0].path == "/v1/chat/completions"
    server.reset()
    assert server.requests == []
    assert texts(1) == ["ok"]


def test_responder_exception_becomes_500(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    def broken(request: RecordedRequest) -> Reply:
        raise KeyError("nope")

    server.responder = broken
    with pytest.raises(openai.InternalServerError, match="responder raised"):
        oai.chat.completions.create(model="m", messages=USER)


def test_paths_without_v1_prefix(server: FakeLLMServer) -> None:
    with openai.OpenAI(base_url=server.anthropic_base_url, api_key="k", max_retries=0) as client:
        completion = client.chat.completions.create(model="m", messages=USER)
    assert completion.choices[0].message.content == "ok"
    assert server.requests[0].path == "/chat/completions"


def test_keep_alive_reuses_connection(server: FakeLLMServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        bodies = [{"model": "m", "messages": USER}, {"model": "m", "messages": USER, "stream": True}]
        sockets = []
        for body in bodies:
            conn.request(
                "POST", "/v1/chat/completions", json.dumps(body), {"content-type": "application/json"}
            )
            response = conn.getresponse()
            payload = response.read().decode()
            assert response.status == 200
            sockets.append(conn.sock)
        assert sockets[0] is not None and sockets[0] is sockets[1]
        assert payload.endswith("data: [DONE]\n\n")
    finally:
        conn.close()


def test_wire_payloads_validate_strictly(server: FakeLLMServer) -> None:
    """Every payload passes the SDKs' pydantic models in validating mode, not just lenient construct."""
    server.responder = lambda request: Reply(text="hello world", tool_calls=[WEATHER])
    Response.model_validate_json(_raw_post(server, "/v1/responses", {"model": "m", "input": "hi"}))
    ChatCompletion.model_validate_json(
        _raw_post(server, "/v1/chat/completions", {"model": "m", "messages": USER})
    )
    Message.model_validate_json(_raw_post(server, "/v1/messages", {"model": "m", "messages": USER}))
    embedding = {"model": "m", "input": "x", "encoding_format": "float"}
    CreateEmbeddingResponse.model_validate_json(_raw_post(server, "/v1/embeddings", embedding))
    stream_body = {"model": "m", "input": "hi", "stream": True}
    response_events = _sse_payloads(_raw_post(server, "/v1/responses", stream_body))
    adapter: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    assert [adapter.validate_python(event).type for event in response_events][-1] == "response.completed"
    chat_body = {"model": "m", "messages": USER, "stream": True, "stream_options": {"include_usage": True}}
    chunks = [
        ChatCompletionChunk.model_validate(c)
        for c in _sse_payloads(_raw_post(server, "/v1/chat/completions", chat_body))
    ]
    assert chunks[-1].usage is not None
    message_events = _sse_payloads(
        _raw_post(server, "/v1/messages", {"model": "m", "messages": USER, "stream": True})
    )
    adapter = TypeAdapter(RawMessageStreamEvent)
    validated = [adapter.validate_python(e).type for e in message_events if e["type"] != "ping"]
    assert validated[0] == "message_start" and validated[-1] == "message_stop"


# -- async ---------------------------------------------------------------------------------------


async def test_async_openai_stream(server: FakeLLMServer) -> None:
    server.enqueue(Reply(text="async works fine", chunk_delay=0.01, include_usage=True, usage=Usage(3, 4)))
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)
    try:
        stream = await client.chat.completions.create(model="m", messages=USER, stream=True)
        contents: list[str] = []
        usage_chunks = 0
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                contents.append(chunk.choices[0].delta.content)
            if chunk.usage is not None:
                usage_chunks += 1
                assert chunk.usage.total_tokens == 7
    finally:
        await client.close()
    assert contents == ["async ", "works ", "fine"]
    assert usage_chunks == 1

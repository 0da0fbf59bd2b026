"""boto3's bedrock-runtime client, every traced operation, over real HTTP to the fake server."""

from __future__ import annotations

import gc
import io
import json
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from botocore.eventstream import EventStream
from botocore.response import StreamingBody
from opentelemetry.trace import SpanKind, StatusCode

import agentwrap
from agentwrap.testing import ErrorReply, Reply, ToolCall, Usage

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "amazon.nova-lite-v1:0"
USER = [{"role": "user", "content": [{"text": "Hello there"}]}]
WEATHER = ToolCall("get_weather", {"city": "Paris"}, id="tooluse_w1")
TOOL_CONFIG = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "The weather now.",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
            }
        }
    ]
}
LONG = " ".join(f"w{i}" for i in range(12))
ANTHROPIC_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 50,
    "messages": [{"role": "user", "content": "hi"}],
}


def _attrs(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def make_client(server: Any) -> Any:
    """A bedrock-runtime client of the fake server: fake credentials, no retries."""
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.anthropic_base_url,
        aws_access_key_id="AKIAFAKEFAKEFAKE",
        aws_secret_access_key="fake-secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def bedrock(server: Any) -> Iterator[Any]:
    client = make_client(server)
    yield client
    client.close()


# -- Converse --------------------------------------------------------------------------------


def test_converse_makes_one_span_with_genai_attributes(server, bedrock, captured):
    server.enqueue(Reply(text="Hi!", usage=Usage(11, 3)))
    response = bedrock.converse(
        modelId=CLAUDE,
        messages=USER,
        system=[{"text": "Be brief."}],
        inferenceConfig={"maxTokens": 100, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]},
        additionalModelRequestFields={"top_k": 5},
    )
    assert response["output"]["message"]["content"][0]["text"] == "Hi!"
    assert server.requests[0].path == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
    [span] = captured.spans
    attrs = _attrs(span)
    assert span.name == f"chat {CLAUDE}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert (attrs["gen_ai.operation.name"], attrs["gen_ai.provider.name"]) == ("chat", "aws.bedrock")
    assert attrs["gen_ai.request.model"] == CLAUDE
    assert (attrs["gen_ai.request.max_tokens"], attrs["gen_ai.request.top_k"]) == (100, 5)
    assert (attrs["gen_ai.request.temperature"], attrs["gen_ai.request.top_p"]) == (0.2, 0.9)
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (11, 3)
    assert attrs["server.address"] == "127.0.0.1" and attrs["server.port"] == server.port
    assert attrs["agentwrap.prompt.hash"].startswith("sha256-")
    assert attrs["agentwrap.prompt.version_hash"].startswith("sha256-")
    assert "gen_ai.request.stream" not in attrs
    assert not any(key.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.system")) for key in attrs)


def test_cache_reads_and_writes_are_part_of_the_input_total(server, bedrock, captured):
    if "cacheReadInputTokens" not in bedrock.meta.service_model.shape_for("TokenUsage").members:
        pytest.skip("this botocore predates prompt caching: it drops the cache counts")
    server.enqueue(
        Reply(text="cached", usage=Usage(30, 9, cache_read_input_tokens=10, cache_creation_input_tokens=2))
    )
    response = bedrock.converse(modelId=CLAUDE, messages=USER)
    assert response["usage"]["inputTokens"] == 30  # botocore's dict is untouched
    attrs = _attrs(captured.spans[0])
    assert attrs["gen_ai.usage.input_tokens"] == 42
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 10
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == 2


def test_other_operations_and_services_are_not_traced(server, bedrock, captured):
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=server.anthropic_base_url,
        aws_access_key_id="AKIAFAKEFAKEFAKE",
        aws_secret_access_key="fake-secret",
        config=Config(retries={"total_max_attempts": 1}),
    )
    with closing(s3), pytest.raises(botocore.exceptions.ClientError):
        s3.list_buckets()
    if hasattr(bedrock, "apply_guardrail"):  # not in the oldest supported botocore
        with pytest.raises(botocore.exceptions.ClientError):
            bedrock.apply_guardrail(guardrailIdentifier="g", guardrailVersion="1", source="INPUT", content=[])
    assert captured.spans == []


def test_content_capture_uses_the_parts_form(server, bedrock, captured_content):
    server.enqueue(Reply(text="Checking.", tool_calls=[WEATHER]))
    messages = [
        {"role": "user", "content": [{"text": "Weather in Rome?"}]},
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t0", "name": "get_weather", "input": {"city": "Rome"}}}],
        },
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t0", "content": [{"text": "sunny"}]}}]},
    ]
    bedrock.converse(
        modelId=CLAUDE, messages=messages, system=[{"text": "You forecast."}], toolConfig=TOOL_CONFIG
    )
    attrs = _attrs(captured_content.spans_named("chat")[0])
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Rome?"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "t0", "name": "get_weather", "arguments": {"city": "Rome"}}
            ],
        },
        {
            "role": "user",
            "parts": [{"type": "tool_call_response", "id": "t0", "response": [{"text": "sunny"}]}],
        },
    ]
    assert json.loads(attrs["gen_ai.system_instructions"]) == [{"type": "text", "content": "You forecast."}]
    [tool] = json.loads(attrs["gen_ai.tool.definitions"])
    assert (tool["name"], tool["parameters"]["type"]) == ("get_weather", "object")
    [output] = json.loads(attrs["gen_ai.output.messages"])
    assert output["parts"][1] == {
        "type": "tool_call",
        "id": "tooluse_w1",
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }


# -- ConverseStream --------------------------------------------------------------------------


def test_converse_stream_keeps_the_event_stream_and_records_the_response(server, bedrock, captured):
    server.enqueue(Reply(text="one two three", tool_calls=[WEATHER], usage=Usage(9, 4), chunk_delay=0.01))
    response = bedrock.converse_stream(modelId=CLAUDE, messages=USER, toolConfig=TOOL_CONFIG)
    stream = response["stream"]
    assert isinstance(stream, EventStream)
    assert captured.spans == []  # still open while the caller reads
    events = list(stream)
    assert next(iter(events[0])) == "messageStart" and "metadata" in events[-1]
    [span] = captured.spans
    attrs = _attrs(span)
    assert attrs["gen_ai.request.stream"] is True
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (9, 4)
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert 0 < attrs["gen_ai.response.time_to_first_chunk"] < (span.end_time - span.start_time) / 1e9
    assert attrs["agentwrap.stream.completed"] is True


@pytest.mark.parametrize("ending", ["break_close", "gc"])
def test_converse_stream_let_go_ends_its_span_once(server, bedrock, captured, ending):
    server.enqueue(Reply(text=LONG, usage=Usage(5, 70)))
    stream = bedrock.converse_stream(modelId=CLAUDE, messages=USER)["stream"]
    for i, _ in enumerate(stream):
        if i == 3:
            break
    if ending == "break_close":
        stream.close()
    del stream
    gc.collect()
    [span] = captured.spans
    attrs = _attrs(span)
    assert attrs["agentwrap.stream.completed"] is False
    assert "gen_ai.response.time_to_first_chunk" in attrs
    assert attrs["agentwrap.usage.estimated"] is True  # the metadata event never came
    assert 1 <= attrs["gen_ai.usage.output_tokens"] < 70
    names = [e["name"] for e in captured.events]
    assert ("stream.abandoned" in names) is (ending == "gc")
    gc.collect()
    assert len(captured.spans) == 1


def test_converse_stream_broken_mid_way_fails_the_span(server, bedrock, captured):
    server.enqueue(Reply(text=LONG, fail_after_chunks=2))
    stream = bedrock.converse_stream(modelId=CLAUDE, messages=USER)["stream"]
    with pytest.raises(Exception) as broken:
        list(stream)
    assert not isinstance(broken.value, AssertionError)
    [span] = captured.spans
    assert span.status.status_code is StatusCode.ERROR
    assert "gen_ai.response.time_to_first_chunk" in _attrs(span)


# -- tools, runs -----------------------------------------------------------------------------


def _weather_conversation(client: Any, status: str = "success") -> list[Any]:
    messages: list[Any] = [{"role": "user", "content": [{"text": "Weather in Paris?"}]}]
    first = client.converse(modelId=CLAUDE, messages=messages, toolConfig=TOOL_CONFIG)
    messages.append(first["output"]["message"])
    use = first["output"]["message"]["content"][0]["toolUse"]
    result = {"toolUseId": use["toolUseId"], "content": [{"text": "sunny"}], "status": status}
    messages.append({"role": "user", "content": [{"toolResult": result}]})
    return [first, client.converse(modelId=CLAUDE, messages=messages, toolConfig=TOOL_CONFIG)]


def test_tool_use_and_tool_result_make_an_execute_tool_span_and_a_summary(server, bedrock, captured):
    server.enqueue(Reply(tool_calls=[WEATHER], usage=Usage(20, 5)), Reply(text="Sunny.", usage=Usage(30, 4)))
    with agentwrap.run(name="bedrock-weather") as run:
        _weather_conversation(bedrock)
    [tool] = captured.spans_named("execute_tool")
    first, second = captured.spans_named("chat")
    assert tool.name == "execute_tool get_weather"
    assert _attrs(tool)["gen_ai.tool.call.id"] == "tooluse_w1"
    assert first.end_time <= tool.start_time and tool.end_time <= second.end_time
    assert tool.status.status_code is StatusCode.UNSET
    summary = run.summary
    assert summary["total_number_of_turns"] == 2
    assert summary["selected_tool_calls"] == ["get_weather"]
    assert summary["llm_model"] == CLAUDE
    [usage] = summary["token_usage_of_each_tool_call"].values()
    assert usage == {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}


def test_a_tool_result_with_error_status_marks_the_tool_span(server, bedrock, captured):
    server.enqueue(Reply(tool_calls=[WEATHER]), Reply(text="sorry"))
    with agentwrap.run():
        _weather_conversation(bedrock, status="error")
    [tool] = captured.spans_named("execute_tool")
    assert tool.status.status_code is StatusCode.ERROR


def test_calls_outside_any_run_are_threaded_into_one_implicit_run(server):
    from agentwrap.testing import capture

    server.enqueue(Reply(tool_calls=[WEATHER]), Reply(text="Sunny."))
    with capture(implicit_runs=True) as captured, closing(make_client(server)) as client:
        _weather_conversation(client)
    [summary] = captured.summaries
    assert summary["total_number_of_turns"] == 2
    assert summary["selected_tool_calls"] == ["get_weather"]


# -- InvokeModel -----------------------------------------------------------------------------


def test_invoke_model_with_anthropic_body(server, bedrock, captured):
    server.enqueue(Reply(text="invoked", tool_calls=[WEATHER], usage=Usage(7, 3)))
    response = bedrock.invoke_model(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))
    assert isinstance(response["body"], StreamingBody)
    message = json.loads(response["body"].read())  # the caller reads the same bytes
    assert message["content"][0]["text"] == "invoked"
    [span] = captured.spans
    attrs = _attrs(span)
    assert span.name == f"chat {CLAUDE}"
    assert attrs["gen_ai.provider.name"] == "aws.bedrock"
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.response.id"] == message["id"]
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (7, 3)


def test_invoke_model_with_response_stream_with_anthropic_body(server, bedrock, captured):
    server.enqueue(Reply(text="streamed words here", usage=Usage(6, 3)))
    with agentwrap.run() as run:
        response = bedrock.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))
        assert isinstance(response["body"], EventStream)
        events = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
    assert (
        "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
        == "streamed words here"
    )
    [span] = captured.spans_named("chat")
    attrs = _attrs(span)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (6, 3)
    assert attrs["agentwrap.stream.completed"] is True and "gen_ai.response.time_to_first_chunk" in attrs
    assert run.summary["total_number_of_turns"] == 1


def test_invoke_model_with_another_body_format_is_traced_with_its_model(server, bedrock, captured):
    body = {"prompt": "Hello", "max_gen_len": 20}
    response = bedrock.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps(body))
    assert json.loads(response["body"].read())["content"]  # whatever the model answered, unchanged
    [span] = captured.spans
    assert span.name == "text_completion meta.llama3-8b-instruct-v1:0"
    assert _attrs(span)["gen_ai.provider.name"] == "aws.bedrock"


def test_invoke_model_with_a_file_body_is_left_for_botocore_to_send(server, bedrock, captured):
    response = bedrock.invoke_model(modelId=CLAUDE, body=io.BytesIO(json.dumps(ANTHROPIC_BODY).encode()))
    assert json.loads(response["body"].read())["type"] == "message"
    assert server.requests[0].body["max_tokens"] == 50
    assert len(captured.spans) == 1  # traced, with what can be known without reading the file


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [(429, "ThrottlingException"), (400, "ValidationException")])
def test_botocore_errors_pass_through_as_the_same_object(
    server, bedrock, captured, monkeypatch, status, code
):
    raised: list[BaseException] = []
    original = botocore.exceptions.ClientError.__init__

    def keep(self: Any, *args: Any, **kwargs: Any) -> None:
        raised.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.exceptions.ClientError, "__init__", keep)
    server.enqueue(ErrorReply(status, "slow down"))
    error_class = getattr(bedrock.exceptions, code)
    with pytest.raises(error_class) as caught:
        bedrock.converse(modelId=CLAUDE, messages=USER)
    assert caught.value is raised[-1]
    assert caught.value.response["Error"]["Code"] == code
    [span] = captured.spans
    assert span.status.status_code is StatusCode.ERROR
    assert _attrs(span)["error.type"] == code


def test_stream_operations_that_fail_at_once_fail_the_span(server, bedrock, captured):
    server.enqueue(ErrorReply(429, "slow down"), ErrorReply(500, "broken"))
    with pytest.raises(bedrock.exceptions.ThrottlingException):
        bedrock.converse_stream(modelId=CLAUDE, messages=USER)
    with pytest.raises(bedrock.exceptions.InternalServerException):
        bedrock.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))
    assert [s.status.status_code for s in captured.spans_named("chat")] == [StatusCode.ERROR] * 2


def test_the_price_table_prices_what_the_patch_records(server, bedrock, captured):
    pytest.importorskip("genai_prices")
    from agentwrap._cost import Pricer
    from agentwrap.records import Usage as NeutralUsage

    server.enqueue(Reply(text="priced", usage=Usage(1_000, 500)))
    bedrock.converse(modelId=CLAUDE, messages=USER)
    attrs = _attrs(captured.spans[0])
    usage = NeutralUsage(attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"])
    cost = Pricer(environ={}).price(attrs["gen_ai.provider.name"], attrs["gen_ai.request.model"], usage)
    assert cost is not None and cost.amount == pytest.approx((1_000 * 0.25 + 500 * 1.25) / 1e6)

"""Odd usage values in responses: a token count of the wrong type is coerced when it still says
a whole number and dropped otherwise (one debug line), on every API, through the real SDKs over
real HTTP. The run keeps its totals and tool spans, and nothing reaches stderr."""

from __future__ import annotations

import logging
from typing import Any

import anthropic
import pytest

import agentwrap
from agentwrap.provider import token_count
from agentwrap.testing import Reply, ToolCall, Usage, capture

from ._openai_compat import requires_responses
from .conftest import API_KEY

# value sent as the first call's input count -> what is recorded (None: not recorded)
ODD = [
    pytest.param("many", None, id="text"),
    pytest.param(3.5, None, id="fraction"),
    pytest.param(None, None, id="null"),
    pytest.param(-4, None, id="negative"),
    pytest.param({"n": 1}, None, id="object"),
    pytest.param(7.0, 7, id="int-valued-float"),
    pytest.param("7", 7, id="digits"),
]
FIRST = Reply(tool_calls=[ToolCall("lookup", {"q": "x"}, id="call_1")], usage=Usage(99, 3))
SECOND = Reply(text="done", usage=Usage(10, 2))


def _script(server: Any, field: str, value: Any) -> None:
    server.enqueue(
        Reply(tool_calls=FIRST.tool_calls, usage=FIRST.usage, raw_usage={field: value}),
        SECOND,
    )


def _chat_round(client: Any, stream: bool) -> None:
    extra: dict[str, Any] = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    user = {"role": "user", "content": "go"}
    first = client.chat.completions.create(model="gpt-4o", messages=[user], **extra)
    if stream:
        list(first)
    call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
    messages = [
        user,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "found"},
    ]
    second = client.chat.completions.create(model="gpt-4o", messages=messages, **extra)
    if stream:
        list(second)


def _responses_round(client: Any, stream: bool) -> None:
    first = client.responses.create(model="gpt-4o", input="go", stream=stream)
    if stream:
        list(first)
    result = {"type": "function_call_output", "call_id": "call_1", "output": "found"}
    second = client.responses.create(model="gpt-4o", input=[result], stream=stream)
    if stream:
        list(second)


def _anthropic_round(client: Any, stream: bool) -> None:
    user = {"role": "user", "content": "go"}
    first = client.messages.create(model="claude-x", max_tokens=50, messages=[user], stream=stream)
    if stream:
        list(first)
    use = {"type": "tool_use", "id": "call_1", "name": "lookup", "input": {"q": "x"}}
    result = {"type": "tool_result", "tool_use_id": "call_1", "content": "found"}
    messages = [user, {"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]
    second = client.messages.create(model="claude-x", max_tokens=50, messages=messages, stream=stream)
    if stream:
        list(second)


def _check(captured: Any, capfd: Any, caplog: Any, value: Any, recorded: int | None) -> None:
    (summary,) = [r for r in captured.records if r.get("type") == "run.summary"]
    assert summary["summarized_metadata"]["total_number_of_turns"] == 2
    assert summary["usage"] == {
        "input_tokens": 10 + (recorded or 0),
        "output_tokens": 5,
        "total_tokens": 15 + (recorded or 0),
    }
    (tool,) = captured.spans_named("execute_tool")
    assert tool.end_time is not None and tool.attributes["gen_ai.tool.call.id"] == "call_1"
    first = captured.spans_named("chat")[0]
    assert first.attributes.get("gen_ai.usage.input_tokens") == recorded
    assert first.attributes["gen_ai.usage.output_tokens"] == 3
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    dropped = [r for r in caplog.records if "is not a token count" in r.getMessage()]
    assert bool(dropped) == (value is not None and recorded is None)  # a debug line, no more


def _run(server: Any, field: str, value: Any, body: Any, capfd: Any, caplog: Any, recorded: Any) -> None:
    _script(server, field, value)
    with caplog.at_level(logging.DEBUG, logger="agentwrap"), capture() as captured:
        with agentwrap.run():
            body()
    _check(captured, capfd, caplog, value, recorded)


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(("value", "recorded"), ODD)
def test_chat_keeps_totals_and_tool_spans(
    server, openai_client, fail_open, capfd, caplog, value, recorded, stream
):
    _run(server, "prompt_tokens", value, lambda: _chat_round(openai_client, stream), capfd, caplog, recorded)


@requires_responses
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(("value", "recorded"), ODD)
def test_responses_keeps_totals_and_tool_spans(
    server, openai_client, fail_open, capfd, caplog, value, recorded, stream
):
    _run(
        server,
        "input_tokens",
        value,
        lambda: _responses_round(openai_client, stream),
        capfd,
        caplog,
        recorded,
    )


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(("value", "recorded"), ODD)
def test_anthropic_keeps_totals_and_tool_spans(server, fail_open, capfd, caplog, value, recorded, stream):
    client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0)
    with client:
        _run(server, "input_tokens", value, lambda: _anthropic_round(client, stream), capfd, caplog, recorded)


# A bool is no count; the SDKs mostly parse one into an int before a translator sees it, so
# it is checked here rather than over the wire.
@pytest.mark.parametrize(
    ("value", "recorded"),
    [
        *ODD,
        pytest.param(True, None, id="bool"),
        pytest.param(0, 0, id="zero"),
        pytest.param(12, 12, id="int"),
    ],
)
def test_token_count_coerces_whole_numbers_and_drops_the_rest(value, recorded, caplog):
    with caplog.at_level(logging.DEBUG, logger="agentwrap"):
        assert token_count(value, "prompt_tokens") == recorded
    lines = [r.getMessage() for r in caplog.records]
    if value is None or recorded is not None:
        assert lines == []
    else:
        assert len(lines) == 1 and "prompt_tokens" in lines[0]

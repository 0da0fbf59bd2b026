"""The seed's airline agent through every OpenAI API shape gives the same run summary.

The chat agent of :mod:`agentwrap.demo` is the reference. The same agent written against the
Responses API (resending the conversation, or chaining with ``previous_response_id``), and
both written with streams and with the async client, must summarize identically apart from
ids and wall-clock fields: same tool calls, arguments, results, per-tool usage, retries,
turns, prompt version, release and model.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import openai
import pytest

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, FINAL_ANSWER, SYSTEM_PROMPT, TOOLS, USER_PROMPT, search_flights
from agentwrap.demo import run_airline_agent as chat_agent
from agentwrap.testing import capture

from ._openai_compat import HAS_RESPONSES

MODEL = "qwen-3.5-72b-instruct"
# openai 1.66 requires "strict" on Responses function tools (the prompt version ignores it).
RESPONSES_TOOLS = [{"type": "function", **tool["function"], "strict": False} for tool in TOOLS]
STREAM_USAGE = {"include_usage": True}


def _normalized(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with span ids replaced by positions and wall-clock fields left out."""
    position = {span_id: i for i, span_id in enumerate(summary["timing_of_each_tool_calls"])}
    return {
        "sequence_of_tool_calls": [
            {**c, "span_id": position[c["span_id"]]} for c in summary["sequence_of_tool_calls"]
        ],
        "selected_tool_calls": summary["selected_tool_calls"],
        "timed_tool_calls": sorted(position.values()),
        "token_usage_of_each_tool_call": {
            position[k]: v for k, v in summary["token_usage_of_each_tool_call"].items()
        },
        "number_of_same_tool_retries": summary["number_of_same_tool_retries"],
        "total_number_of_turns": summary["total_number_of_turns"],
        "hash_of_prompt": summary["hash_of_prompt"],
        "release_version": summary["release_version"],
        "llm_model": summary["llm_model"],
    }


def _run_tools(calls: list[tuple[str, str]]) -> list[str]:
    return [search_flights(**json.loads(arguments)) for _, arguments in calls]


# -- chat agents: streamed and async variants of the demo's loop ------------------------------


def _chat_stream_step(chunks: Any) -> tuple[str, list[tuple[str, str, str]]]:
    text, calls = "", {}
    for chunk in chunks:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for delta in choice.delta.tool_calls or ():
                slot = calls.setdefault(delta.index, ["", "", ""])
                slot[0] = delta.id or slot[0]
                slot[1] = (delta.function.name or slot[1]) if delta.function else slot[1]
                slot[2] += (delta.function.arguments or "") if delta.function else ""
    return text, [tuple(calls[i]) for i in sorted(calls)]


def _chat_messages() -> list[dict[str, Any]]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": USER_PROMPT}]


def _after_chat_tools(messages: list[dict[str, Any]], calls: list[tuple[str, str, str]]) -> None:
    tool_calls = [{"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in calls]
    messages.append({"role": "assistant", "tool_calls": tool_calls})
    for (call_id, _, _), result in zip(calls, _run_tools([(n, a) for _, n, a in calls]), strict=True):
        messages.append({"role": "tool", "tool_call_id": call_id, "content": result})


def chat_stream_agent(client: Any) -> str:
    messages = _chat_messages()
    while True:
        stream = client.chat.completions.create(
            model=MODEL, messages=messages, tools=TOOLS, stream=True, stream_options=STREAM_USAGE
        )
        text, calls = _chat_stream_step(stream)
        if not calls:
            return text
        _after_chat_tools(messages, calls)


async def chat_async_agent(client: Any, stream: bool) -> str:
    messages = _chat_messages()
    while True:
        if stream:
            chunks = await client.chat.completions.create(
                model=MODEL, messages=messages, tools=TOOLS, stream=True, stream_options=STREAM_USAGE
            )
            text, calls = _chat_stream_step([chunk async for chunk in chunks])
        else:
            response = await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
            message = response.choices[0].message
            text = message.content or ""
            calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or ()]
        if not calls:
            return text
        _after_chat_tools(messages, calls)


# -- Responses agents ---------------------------------------------------------------------------


def _responses_step(response: Any, items: list[Any], chained: bool) -> tuple[list[Any], bool]:
    """The next request's input items, and whether the agent is done."""
    calls = [item for item in response.output if item.type == "function_call"]
    if not calls:
        return items, True
    outputs = [
        {"type": "function_call_output", "call_id": call.call_id, "output": result}
        for call, result in zip(calls, _run_tools([(c.name, c.arguments) for c in calls]), strict=True)
    ]
    return (outputs if chained else [*items, *response.output, *outputs]), False


def _final(event_stream: Any) -> Any:
    return [e.response for e in event_stream if e.type == "response.completed"][0]


def responses_agent(client: Any, stream: bool = False, chained: bool = False) -> str:
    items: list[Any] = [{"role": "user", "content": USER_PROMPT}]
    previous = None
    while True:
        extra = {"previous_response_id": previous} if chained and previous else {}
        kwargs = {
            "model": MODEL,
            "instructions": SYSTEM_PROMPT,
            "input": items,
            "tools": RESPONSES_TOOLS,
            **extra,
        }
        response = (
            _final(client.responses.create(**kwargs, stream=True))
            if stream
            else client.responses.create(**kwargs)
        )
        previous = response.id
        items, done = _responses_step(response, items, chained)
        if done:
            return response.output_text


async def responses_async_agent(client: Any, stream: bool) -> str:
    items: list[Any] = [{"role": "user", "content": USER_PROMPT}]
    while True:
        kwargs = {"model": MODEL, "instructions": SYSTEM_PROMPT, "input": items, "tools": RESPONSES_TOOLS}
        if stream:
            events = await client.responses.create(**kwargs, stream=True)
            response = _final([event async for event in events])
        else:
            response = await client.responses.create(**kwargs)
        items, done = _responses_step(response, items, chained=False)
        if done:
            return response.output_text


# -- the comparison --------------------------------------------------------------------------


def _script() -> list[Any]:
    # The demo's replies without their pacing delays: summaries leave wall-clock fields out.
    return [dataclasses.replace(reply, delay=0) for reply in AIRLINE_SCRIPT()]


@pytest.fixture(scope="module")
def reference(server) -> dict[str, Any]:
    """The demo's chat agent, run once with content capture (its own client and capture)."""
    server.reset()
    server.enqueue(*_script())
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    try:
        with capture(capture_content=True), agentwrap.run(name="airline-agent", release="v1.4.2") as run:
            assert chat_agent(client) == FINAL_ANSWER
    finally:
        client.close()
    server.reset()
    return _normalized(run.summary)


SYNC_VARIANTS = {
    "chat-stream": lambda client: chat_stream_agent(client),
    "responses": lambda client: responses_agent(client),
    "responses-stream": lambda client: responses_agent(client, stream=True),
    "responses-previous_response_id": lambda client: responses_agent(client, chained=True),
    "responses-previous_response_id-stream": lambda client: responses_agent(
        client, stream=True, chained=True
    ),
}
ASYNC_VARIANTS = {
    "chat": lambda client: chat_async_agent(client, stream=False),
    "chat-stream": lambda client: chat_async_agent(client, stream=True),
    "responses": lambda client: responses_async_agent(client, stream=False),
    "responses-stream": lambda client: responses_async_agent(client, stream=True),
}


def _skip_without_responses(variant: str) -> None:
    if variant.startswith("responses") and not HAS_RESPONSES:
        pytest.skip("the Responses API needs openai>=1.66")


@pytest.mark.parametrize("variant", list(SYNC_VARIANTS))
def test_sync_variants_summarize_like_the_chat_agent(
    variant, reference, server, openai_client, captured_content
):
    _skip_without_responses(variant)
    server.enqueue(*_script())
    with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
        assert SYNC_VARIANTS[variant](openai_client) == FINAL_ANSWER
    assert _normalized(run.summary) == reference


@pytest.mark.parametrize("variant", list(ASYNC_VARIANTS))
async def test_async_variants_summarize_like_the_chat_agent(
    variant, reference, server, async_openai_client, captured_content
):
    _skip_without_responses(variant)
    server.enqueue(*_script())
    async with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
        assert await ASYNC_VARIANTS[variant](async_openai_client) == FINAL_ANSWER
    assert _normalized(run.summary) == reference


def test_reference_summary_is_the_seed_example(reference):
    assert reference["selected_tool_calls"] == ["search_flights"]
    assert reference["number_of_same_tool_retries"] == 2
    assert reference["total_number_of_turns"] == 4
    assert [c["result"] for c in reference["sequence_of_tool_calls"]] == ["no_flights_found"] * 3
    assert reference["hash_of_prompt"].startswith("sha256-")

"""Long streams: every ending records exactly the chunks that reached the caller.

Drained streams record the whole text, usage and tool calls; a stream broken off or abandoned
part way records exactly the chunks read so far. Real openai SDK over HTTP to the fake
server, content capture on, so the recorded output text shows what was accumulated.
"""

from __future__ import annotations

import gc
import json

import pytest

from agentwrap.testing import Reply, ToolCall, Usage

MESSAGES = [{"role": "user", "content": "Count for me"}]
FOLD_BATCH = 64  # break off on both sides of this boundary, in case chunks are ever batched
WORDS = [f"w{i}" for i in range(3 * FOLD_BATCH + 7)]


def _output_text(span) -> str:
    if "gen_ai.output.messages" not in span.attributes:  # nothing with output was read
        return ""
    [message] = json.loads(span.attributes["gen_ai.output.messages"])
    return "".join(part.get("content", "") for part in message["parts"] if part["type"] == "text")


def test_drained_long_stream_records_every_chunk(server, openai_client, captured_content):
    server.enqueue(Reply(text=" ".join(WORDS), usage=Usage(11, len(WORDS))))
    stream = openai_client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    [span] = captured_content.spans
    assert _output_text(span) == text == " ".join(WORDS)
    assert span.attributes["gen_ai.usage.output_tokens"] == len(WORDS)
    assert span.attributes["agentwrap.stream.completed"] is True


@pytest.mark.parametrize("read", [1, 2, FOLD_BATCH, FOLD_BATCH + 1, 2 * FOLD_BATCH + 3])
def test_broken_off_stream_records_the_chunks_read(server, openai_client, captured_content, read):
    server.enqueue(Reply(text=" ".join(WORDS)))
    stream = openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    seen = []
    for chunk in stream:
        seen.append(chunk.choices[0].delta.content or "" if chunk.choices else "")
        if len(seen) == read:
            break
    stream.close()
    [span] = captured_content.spans
    assert span.attributes["agentwrap.stream.completed"] is False
    assert _output_text(span) == "".join(seen)


def test_abandoned_long_stream_counts_and_records_the_chunks_read(server, openai_client, captured_content):
    server.enqueue(Reply(text=" ".join(WORDS)))
    stream = openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    iterator = iter(stream)
    seen = [next(iterator).choices[0].delta.content or "" for _ in range(FOLD_BATCH + 5)]
    del stream, iterator
    gc.collect()
    [span] = captured_content.spans
    assert _output_text(span) == "".join(seen)
    [event] = [e for e in captured_content.events if e["name"] == "stream.abandoned"]
    assert event["fields"]["chunks_received"] == FOLD_BATCH + 5


async def test_async_long_stream_with_tool_call_after_many_chunks(
    server, async_openai_client, captured_content
):
    tool = ToolCall("lookup", {"q": "abc"}, id="call_7")
    server.enqueue(Reply(text=" ".join(WORDS), tool_calls=[tool], usage=Usage(5, 9)))
    stream = await async_openai_client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    async for _ in stream:
        pass
    [span] = captured_content.spans
    assert _output_text(span) == " ".join(WORDS)
    [message] = json.loads(span.attributes["gen_ai.output.messages"])
    [call] = [part for part in message["parts"] if part["type"] == "tool_call"]
    assert (call["id"], call["name"]) == ("call_7", "lookup")
    assert json.loads(call["arguments"]) == {"q": "abc"}
    assert span.attributes["gen_ai.usage.input_tokens"] == 5

"""Anthropic Messages wire format for the fake LLM server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._script import ErrorReply, RecordedRequest, Reply, Usage
from ._wire_common import (
    IdSource,
    ResolvedCall,
    SSEEvent,
    anthropic_stop_reason,
    body_of,
    model_of,
    resolve_calls,
    split_arguments,
    split_text,
    usage_of,
    with_raw_usage,
)


def render_error(error: ErrorReply) -> dict[str, Any]:
    """Anthropic error body; the SDK picks its exception class from the status code."""
    kind = "api_error" if error.type == "server_error" else error.type
    return {"type": "error", "error": {"type": kind, "message": error.message}}


def _usage(usage: Usage, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": output_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
    }


def _tool_block(call: ResolvedCall, with_input: bool) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": call.id,
        "name": call.name,
        "input": call.arguments if with_input else {},
    }


def _message(reply: Reply, request: RecordedRequest, message_id: str, final: bool) -> dict[str, Any]:
    """The message envelope; the non-final form is the one ``message_start`` carries."""
    usage = usage_of(reply, body_of(request).get("messages"))
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model_of(reply, request),
        "content": [],
        "stop_reason": anthropic_stop_reason(reply) if final else None,
        "stop_sequence": None,
        # message_start reports one output token so far, as the real API does.
        "usage": with_raw_usage(_usage(usage, usage.output_tokens if final else 1), reply),
    }


def render_message(reply: Reply, request: RecordedRequest, ids: IdSource) -> dict[str, Any]:
    """A complete ``message`` object."""
    calls = resolve_calls(reply, ids, "toolu")
    content = [_thinking_block(reply.reasoning)] if reply.reasoning is not None else []
    content += [{"type": "text", "text": reply.text}] if reply.text or not calls else []
    content += [_tool_block(call, with_input=True) for call in calls]
    return {**_message(reply, request, ids.next("msg"), final=True), "content": content}


def _thinking_block(thinking: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": thinking, "signature": "sig_fake"}


def _thinking_events(reply: Reply) -> Iterator[tuple[str, dict[str, Any], bool]]:
    yield "content_block_start", {"index": 0, "content_block": _thinking_block("")}, False
    for piece in split_text(reply.reasoning or "", reply.chunks):
        yield (
            "content_block_delta",
            {"index": 0, "delta": {"type": "thinking_delta", "thinking": piece}},
            True,
        )
    delta = {"type": "signature_delta", "signature": "sig_fake"}
    yield "content_block_delta", {"index": 0, "delta": delta}, False
    yield "content_block_stop", {"index": 0}, False


def _block_events(reply: Reply, calls: list[ResolvedCall]) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """``content_block_start``/``_delta``/``_stop`` for the thinking block, the text block and
    each tool block."""
    index = 0
    if reply.reasoning is not None:
        yield from _thinking_events(reply)
        index = 1
    if reply.text or not calls:
        yield "content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}}, False
        for piece in split_text(reply.text, reply.chunks):
            delta = {"type": "text_delta", "text": piece}
            yield "content_block_delta", {"index": index, "delta": delta}, True
        yield "content_block_stop", {"index": index}, False
        index += 1
    for offset, call in enumerate(calls, start=index):
        yield "content_block_start", {"index": offset, "content_block": _tool_block(call, False)}, False
        for piece in split_arguments(call.arguments_json):
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield "content_block_delta", {"index": offset, "delta": delta}, True
        yield "content_block_stop", {"index": offset}, False


def stream_message(reply: Reply, request: RecordedRequest, ids: IdSource) -> Iterator[SSEEvent]:
    """Messages stream events; every event has an ``event:`` line, which the SDK requires."""
    calls = resolve_calls(reply, ids, "toolu")
    start = _message(reply, request, ids.next("msg"), final=False)
    output_tokens = usage_of(reply, body_of(request).get("messages")).output_tokens
    events: list[tuple[str, dict[str, Any], bool]] = [
        ("message_start", {"message": start}, False),
        ("ping", {}, False),
        *_block_events(reply, calls),
        (
            "message_delta",
            {
                "delta": {"stop_reason": anthropic_stop_reason(reply), "stop_sequence": None},
                "usage": with_raw_usage({"output_tokens": output_tokens}, reply),
            },
            False,
        ),
        ("message_stop", {}, False),
    ]
    for kind, payload, is_content in events:
        yield SSEEvent({"type": kind, **payload}, event=kind, content=is_content)

"""OpenAI Chat Completions and Embeddings wire formats for the fake LLM server."""

from __future__ import annotations

import base64
import hashlib
import struct
import time
from collections.abc import Iterator
from typing import Any

from ._script import ErrorReply, RecordedRequest, Reply, Usage
from ._wire_common import (
    IdSource,
    ResolvedCall,
    SSEEvent,
    body_of,
    model_of,
    openai_finish_reason,
    resolve_calls,
    split_arguments,
    split_text,
    usage_of,
    with_raw_usage,
)

_FINGERPRINT = "fp_fake"
_EMBEDDING_SIZE = 8


def render_error(error: ErrorReply) -> dict[str, Any]:
    """OpenAI error body; the SDK picks its exception class from the status code."""
    return {"error": {"message": error.message, "type": error.type, "param": None, "code": None}}


def _chat_usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cache_read_input_tokens,
            "cache_write_tokens": usage.cache_creation_input_tokens,
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_call(call: ResolvedCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments_json},
    }


def render_chat(reply: Reply, request: RecordedRequest, ids: IdSource) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    calls = resolve_calls(reply, ids, "call")
    message: dict[str, Any] = {
        "role": "assistant",
        # The real API sends null content for a pure tool-call turn.
        "content": reply.text if (reply.text or not calls) and reply.refusal is None else None,
        "refusal": reply.refusal,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = [_tool_call(call) for call in calls]
    return {
        "id": ids.next("chatcmpl", "-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_of(reply, request),
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": openai_finish_reason(reply)}
        ],
        "usage": with_raw_usage(_chat_usage(usage_of(reply, body_of(request).get("messages"))), reply),
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }


def _wants_usage(reply: Reply, request: RecordedRequest) -> bool:
    if reply.include_usage is not None:
        return reply.include_usage
    options = body_of(request).get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def _tool_call_deltas(calls: list[ResolvedCall]) -> Iterator[tuple[dict[str, Any], bool]]:
    """Per call: a header delta (id, name, empty arguments), then the arguments in pieces."""
    for index, call in enumerate(calls):
        function = {"name": call.name, "arguments": ""}
        yield {"index": index, "id": call.id, "type": "function", "function": function}, False
        for piece in split_arguments(call.arguments_json):
            yield {"index": index, "function": {"arguments": piece}}, True


def stream_chat(reply: Reply, request: RecordedRequest, ids: IdSource) -> Iterator[SSEEvent]:
    """``chat.completion.chunk`` events ending with ``[DONE]``."""
    with_usage = _wants_usage(reply, request)
    base: dict[str, Any] = {
        "id": ids.next("chatcmpl", "-"),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model_of(reply, request),
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }
    if with_usage:
        # With include_usage the real API sends "usage": null on every non-final chunk.
        base["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**base, "choices": [choice]}

    yield SSEEvent(chunk({"role": "assistant", "content": "", "refusal": None}))
    for piece in split_text(reply.refusal, reply.chunks) if reply.refusal else ():
        yield SSEEvent(chunk({"refusal": piece}), content=True)
    for piece in split_text(reply.text, reply.chunks):
        yield SSEEvent(chunk({"content": piece}), content=True)
    for tool_delta, is_content in _tool_call_deltas(resolve_calls(reply, ids, "call")):
        yield SSEEvent(chunk({"tool_calls": [tool_delta]}), content=is_content)
    yield SSEEvent(chunk({}, openai_finish_reason(reply)))
    if with_usage:
        usage = with_raw_usage(_chat_usage(usage_of(reply, body_of(request).get("messages"))), reply)
        yield SSEEvent({**base, "choices": [], "usage": usage})
    yield SSEEvent("[DONE]")


def _embedding_inputs(raw: Any) -> list[str]:
    """Normalise ``input`` (a string, a list of strings, or token lists) to strings."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(item, int) for item in raw):
        return [repr(raw)]  # a single pre-tokenised input
    if isinstance(raw, list):
        return [item if isinstance(item, str) else repr(item) for item in raw]
    return [repr(raw)]


def _vector(text: str) -> list[float]:
    """A deterministic unit-range vector derived from a hash of the input."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(byte / 255.0 * 2.0 - 1.0, 6) for byte in digest[:_EMBEDDING_SIZE]]


def _encode_vector(vector: list[float], encoding: Any) -> list[float] | str:
    # The SDK asks for base64 (little-endian float32) unless the caller chose a format.
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


def render_embeddings(reply: Reply, request: RecordedRequest, ids: IdSource) -> dict[str, Any]:
    """An embeddings ``list`` with one 8-float vector per input."""
    body = body_of(request)
    encoding = body.get("encoding_format")
    data = [
        {"object": "embedding", "index": index, "embedding": _encode_vector(_vector(text), encoding)}
        for index, text in enumerate(_embedding_inputs(body.get("input")))
    ]
    prompt_tokens = usage_of(reply, body.get("input")).input_tokens
    return {
        "object": "list",
        "data": data,
        "model": model_of(reply, request),
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }

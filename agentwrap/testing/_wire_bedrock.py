"""Amazon Bedrock Runtime wire formats for the fake LLM server.

``POST /model/{modelId}/converse`` answers Converse JSON; ``/converse-stream`` answers the same
content as an AWS event stream (``application/vnd.amazon.eventstream``: binary messages, each
a prelude with its CRC32, ``:event-type`` / ``:message-type`` / ``:content-type`` headers, a
JSON payload and the message's CRC32, as botocore decodes them). ``/invoke`` and
``/invoke-with-response-stream`` answer Anthropic's Messages body (the format of Claude on
Bedrock): the message JSON, or its stream events as ``chunk`` events whose ``bytes`` carry
each event's JSON, the last one with Bedrock's ``amazon-bedrock-invocationMetrics``.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from . import _wire_anthropic
from ._script import ErrorReply, RecordedRequest, Reply, Usage
from ._wire_common import (
    IdSource,
    Route,
    anthropic_stop_reason,
    body_of,
    dumps,
    resolve_calls,
    split_arguments,
    split_text,
    usage_of,
)

__all__ = ["CONVERSE", "INVOKE", "encode_event", "model_id_in_path"]

EVENT_STREAM = "application/vnd.amazon.eventstream"
_ERROR_CODES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottlingException",
    503: "ServiceUnavailableException",
}


def model_id_in_path(path: str) -> str:
    """The model id of ``/model/{modelId}/converse`` (percent-decoded)."""
    return unquote(path.split("/model/", 1)[-1].rsplit("/", 1)[0])


def _string_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def encode_event(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (total and headers length, CRC32), headers, payload, CRC32."""
    head = b"".join(_string_header(name, value) for name, value in headers.items())
    prelude = struct.pack(">II", 12 + len(head) + len(payload) + 4, len(head))
    message = prelude + struct.pack(">I", binascii.crc32(prelude)) + head + payload
    return message + struct.pack(">I", binascii.crc32(message))


@dataclass(frozen=True)
class Frame:
    """One event of a Bedrock event stream (``content``: it carries generated content)."""

    event_type: str
    payload: dict[str, Any]
    content: bool = False

    def encode(self) -> bytes:
        """The event's binary framing."""
        headers = {
            ":event-type": self.event_type,
            ":content-type": "application/json",
            ":message-type": "event",
        }
        return encode_event(headers, dumps(self.payload).encode())


def render_error(error: ErrorReply) -> dict[str, Any]:
    """A Bedrock error body; botocore raises the modeled exception its ``__type`` names."""
    code = (
        _ERROR_CODES.get(error.status, "InternalServerException")
        if error.type == "server_error"
        else error.type
    )
    return {"__type": code, "message": error.message}


# -- Converse --------------------------------------------------------------------------------


def _converse_usage(usage: Usage) -> dict[str, Any]:
    counts = {
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.input_tokens
        + usage.output_tokens
        + usage.cache_read_input_tokens
        + usage.cache_creation_input_tokens,
    }
    if usage.cache_read_input_tokens:
        counts["cacheReadInputTokens"] = usage.cache_read_input_tokens
    if usage.cache_creation_input_tokens:
        counts["cacheWriteInputTokens"] = usage.cache_creation_input_tokens
    return counts


def render_converse(reply: Reply, request: RecordedRequest, ids: IdSource) -> dict[str, Any]:
    """A complete Converse response."""
    calls = resolve_calls(reply, ids, "tooluse")
    content: list[dict[str, Any]] = [{"text": reply.text}] if reply.text or not calls else []
    content += [{"toolUse": {"toolUseId": c.id, "name": c.name, "input": c.arguments}} for c in calls]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": anthropic_stop_reason(reply),
        "usage": _converse_usage(usage_of(reply, body_of(request).get("messages"))),
        "metrics": {"latencyMs": 12},
    }


def stream_converse(reply: Reply, request: RecordedRequest, ids: IdSource) -> Iterator[Frame]:
    """ConverseStream events: messageStart, a block per text and tool call, messageStop, metadata."""
    calls = resolve_calls(reply, ids, "tooluse")
    yield Frame("messageStart", {"role": "assistant"})
    index = 0
    if reply.text or not calls:
        for piece in split_text(reply.text, reply.chunks):
            yield Frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}}, content=True)
        yield Frame("contentBlockStop", {"contentBlockIndex": 0})
        index = 1
    for offset, call in enumerate(calls, start=index):
        start = {"toolUse": {"toolUseId": call.id, "name": call.name}}
        yield Frame("contentBlockStart", {"contentBlockIndex": offset, "start": start})
        for piece in split_arguments(call.arguments_json):
            delta = {"toolUse": {"input": piece}}
            yield Frame("contentBlockDelta", {"contentBlockIndex": offset, "delta": delta}, content=True)
        yield Frame("contentBlockStop", {"contentBlockIndex": offset})
    yield Frame("messageStop", {"stopReason": anthropic_stop_reason(reply)})
    if reply.include_usage is not False:
        usage = usage_of(reply, body_of(request).get("messages"))
        yield Frame("metadata", {"usage": _converse_usage(usage), "metrics": {"latencyMs": 12}})


def _converse_stream(request: RecordedRequest) -> bool:
    return request.path.endswith("/converse-stream")


CONVERSE = Route(
    render_converse, stream_converse, render_error, streams=_converse_stream, stream_type=EVENT_STREAM
)


# -- InvokeModel with Anthropic's body ----------------------------------------------------------


def _with_model(request: RecordedRequest) -> RecordedRequest:
    # The body names no model on Bedrock; the Anthropic renderer echoes the request's model.
    body = {**body_of(request), "model": model_id_in_path(request.path)}
    return RecordedRequest(request.method, request.path, request.headers, body, request.received_at)


def render_invoke(reply: Reply, request: RecordedRequest, ids: IdSource) -> dict[str, Any]:
    """InvokeModel's answer: the Anthropic message."""
    return _wire_anthropic.render_message(reply, _with_model(request), ids)


def _chunk(data: dict[str, Any], content: bool) -> Frame:
    return Frame("chunk", {"bytes": base64.b64encode(dumps(data).encode()).decode()}, content=content)


def stream_invoke(reply: Reply, request: RecordedRequest, ids: IdSource) -> Iterator[Frame]:
    """InvokeModelWithResponseStream: each Anthropic stream event as a ``chunk`` event."""
    usage = usage_of(reply, body_of(request).get("messages"))
    for event in _wire_anthropic.stream_message(reply, _with_model(request), ids):
        data = dict(event.data) if isinstance(event.data, dict) else {}
        if data.get("type") == "message_stop":
            data["amazon-bedrock-invocationMetrics"] = {
                "inputTokenCount": usage.input_tokens,
                "outputTokenCount": usage.output_tokens,
                "invocationLatency": 12,
                "firstByteLatency": 5,
            }
        yield _chunk(data, event.content)


def _invoke_stream(request: RecordedRequest) -> bool:
    return request.path.endswith("/invoke-with-response-stream")


INVOKE = Route(render_invoke, stream_invoke, render_error, streams=_invoke_stream, stream_type=EVENT_STREAM)

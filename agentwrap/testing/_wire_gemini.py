"""Google Gen AI (Gemini) wire format for the fake LLM server.

``POST .../models/{model}:generateContent`` answers one JSON object; ``:streamGenerateContent``
(with ``?alt=sse``, as the google-genai SDK asks) answers server-sent events, each a partial
``GenerateContentResponse``. Both the Gemini Developer API (``/v1beta/models/...``) and Vertex AI
(``/v1beta1/projects/.../publishers/google/models/...``) paths end that way. A function call
carries an ``id`` only when the script gives one: the Gemini Developer API sends none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._script import ErrorReply, RecordedRequest, Reply, ToolCall, Usage
from ._wire_common import (
    DEFAULT_MODEL,
    IdSource,
    Route,
    SSEEvent,
    body_of,
    openai_finish_reason,
    split_text,
    usage_of,
)

__all__ = ["ROUTE", "render_error", "render_response", "stream_response"]

_FINISH = {"stop": "STOP", "tool_calls": "STOP", "length": "MAX_TOKENS", "content_filter": "SAFETY"}
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


def model_in_path(path: str) -> str | None:
    """The model a path names: ``.../models/gemini-x:generateContent`` -> ``gemini-x``."""
    head = path.rsplit(":", 1)[0]
    return head.rsplit("/models/", 1)[1] if "/models/" in head else None


def _model(reply: Reply, request: RecordedRequest) -> str:
    return reply.model or model_in_path(request.path) or DEFAULT_MODEL


def _finish_reason(reply: Reply) -> str:
    reason = openai_finish_reason(reply)
    return _FINISH.get(reason, reason.upper())


def _usage(usage: Usage) -> dict[str, Any]:
    counts = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens,
        "totalTokenCount": usage.input_tokens + usage.output_tokens + usage.reasoning_tokens,
    }
    if usage.cache_read_input_tokens:
        counts["cachedContentTokenCount"] = usage.cache_read_input_tokens
    if usage.reasoning_tokens:
        counts["thoughtsTokenCount"] = usage.reasoning_tokens
    return counts


def _call_part(call: ToolCall) -> dict[str, Any]:
    function_call: dict[str, Any] = {"name": call.name, "args": call.arguments}
    if call.id is not None:
        function_call["id"] = call.id
    return {"functionCall": function_call}


def _thought(text: str) -> dict[str, Any]:
    return {"text": text, "thought": True}


def _candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    return candidate


def render_error(error: ErrorReply) -> dict[str, Any]:
    """A Google API error body; the SDK picks ClientError or ServerError from the status code."""
    status = _STATUS.get(error.status, "INTERNAL") if error.type == "server_error" else error.type.upper()
    return {"error": {"code": error.status, "message": error.message, "status": status}}


def render_response(reply: Reply, request: RecordedRequest, ids: IdSource) -> dict[str, Any]:
    """A complete ``GenerateContentResponse``."""
    parts: list[dict[str, Any]] = [_thought(reply.reasoning)] if reply.reasoning is not None else []
    parts += [{"text": reply.text}] if reply.text or not reply.tool_calls else []
    parts += [_call_part(call) for call in reply.tool_calls]
    return {
        "candidates": [_candidate(parts, _finish_reason(reply))],
        "usageMetadata": _usage(usage_of(reply, body_of(request).get("contents"))),
        "modelVersion": _model(reply, request),
        "responseId": ids.next("resp"),
    }


def stream_response(reply: Reply, request: RecordedRequest, ids: IdSource) -> Iterator[SSEEvent]:
    """Partial responses: one per text piece, one per function call, then the finish.

    Every chunk carries the prompt's token count, as the real API's do; the totals come with
    the last one (none at all when the script says ``include_usage=False``).
    """
    usage = usage_of(reply, body_of(request).get("contents"))
    envelope = {"modelVersion": _model(reply, request), "responseId": ids.next("resp")}
    running = {"promptTokenCount": usage.input_tokens} if reply.include_usage is not False else None
    pieces = [[_thought(piece)] for piece in split_text(reply.reasoning or "", reply.chunks)]
    pieces += [[{"text": piece}] for piece in split_text(reply.text, reply.chunks)]
    pieces += [[_call_part(call)] for call in reply.tool_calls]
    for parts in pieces:
        chunk: dict[str, Any] = {"candidates": [_candidate(parts, None)], **envelope}
        if running is not None:
            chunk["usageMetadata"] = running
        yield SSEEvent(chunk, content=True)
    last: dict[str, Any] = {"candidates": [_candidate([{"text": ""}], _finish_reason(reply))], **envelope}
    if running is not None:
        last["usageMetadata"] = _usage(usage)
    yield SSEEvent(last)


def _streams(request: RecordedRequest) -> bool:
    return request.path.endswith(":streamGenerateContent")


ROUTE = Route(render_response, stream_response, render_error, streams=_streams)

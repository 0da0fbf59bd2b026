"""OpenAI Responses API wire format for the fake LLM server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._script import RecordedRequest, Reply, Usage
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


@dataclass(frozen=True)
class _Plan:
    """Everything one response needs, resolved once so stream events agree with each other."""

    response_id: str
    reasoning_id: str | None
    message_id: str | None
    calls: list[tuple[str, ResolvedCall]]  # (item id "fc_<n>", call)
    truncated: bool
    created: int


def _plan(reply: Reply, ids: IdSource) -> _Plan:
    calls = [(ids.next("fc"), call) for call in resolve_calls(reply, ids, "call")]
    # A pure tool-call turn has no message item, as with the real API.
    message_id = ids.next("msg") if reply.text or not calls else None
    truncated = openai_finish_reason(reply) == "length"
    reasoning_id = ids.next("rs") if reply.reasoning is not None else None
    return _Plan(ids.next("resp"), reasoning_id, message_id, calls, truncated, int(time.time()))


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_input_tokens,
            # Required (not Optional) in the installed SDK's ResponseUsage model.
            "cache_write_tokens": usage.cache_creation_input_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_item(plan: _Plan, text: str | None, refusal: str | None = None) -> dict[str, Any]:
    """The message item; ``text=None`` gives the empty in-progress form used by streams."""
    done = text is not None
    status = ("incomplete" if plan.truncated else "completed") if done else "in_progress"
    content = [_text_part(text)] if text is not None else []
    if done and refusal is not None:
        content = [{"type": "refusal", "refusal": refusal}]
    return {
        "type": "message",
        "id": plan.message_id,
        "role": "assistant",
        "status": status,
        "content": content,
    }


def _call_item(item_id: str, call: ResolvedCall, done: bool) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call.id,
        "name": call.name,
        "arguments": call.arguments_json if done else "",
        "status": "completed" if done else "in_progress",
    }


def _reasoning_item(plan: _Plan, reply: Reply) -> list[dict[str, Any]]:
    if plan.reasoning_id is None:
        return []
    summary = [{"type": "summary_text", "text": reply.reasoning}]
    return [{"type": "reasoning", "id": plan.reasoning_id, "summary": summary}]


def _output(plan: _Plan, reply: Reply) -> list[dict[str, Any]]:
    # Streams send the reasoning item in the terminal event only (no events of its own).
    items = [_message_item(plan, reply.text, reply.refusal)] if plan.message_id else []
    calls = [_call_item(item_id, call, True) for item_id, call in plan.calls]
    return _reasoning_item(plan, reply) + items + calls


def _response(plan: _Plan, reply: Reply, request: RecordedRequest, final: bool) -> dict[str, Any]:
    """The ``response`` object; non-final (stream lifecycle) copies have no output or usage."""
    body = body_of(request)
    status = ("incomplete" if plan.truncated else "completed") if final else "in_progress"
    with_usage = final and reply.include_usage is not False
    return {
        "id": plan.response_id,
        "object": "response",
        "created_at": plan.created,
        "status": status,
        "completed_at": int(time.time()) if final and not plan.truncated else None,
        "background": False,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if final and plan.truncated else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {},
        "model": model_of(reply, request),
        "output": _output(plan, reply) if final else [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": with_raw_usage(_usage(usage_of(reply, body.get("input"))), reply) if with_usage else None,
        "user": None,
    }


def render_response(reply: Reply, request: RecordedRequest, ids: IdSource) -> dict[str, Any]:
    """A complete ``response`` object."""
    return _response(_plan(reply, ids), reply, request, final=True)


def _message_events(plan: _Plan, reply: Reply) -> Iterator[tuple[str, dict[str, Any], bool]]:
    ref = {"item_id": plan.message_id, "output_index": 0, "content_index": 0}
    yield "response.output_item.added", {"output_index": 0, "item": _message_item(plan, None)}, False
    yield "response.content_part.added", {**ref, "part": _text_part("")}, False
    for piece in split_text(reply.text, reply.chunks):
        yield "response.output_text.delta", {**ref, "delta": piece, "logprobs": []}, True
    yield "response.output_text.done", {**ref, "text": reply.text, "logprobs": []}, False
    yield "response.content_part.done", {**ref, "part": _text_part(reply.text)}, False
    done = _message_item(plan, reply.text, reply.refusal)
    yield "response.output_item.done", {"output_index": 0, "item": done}, False


def _call_events(plan: _Plan) -> Iterator[tuple[str, dict[str, Any], bool]]:
    first = 1 if plan.message_id else 0
    for index, (item_id, call) in enumerate(plan.calls, start=first):
        ref = {"item_id": item_id, "output_index": index}
        yield (
            "response.output_item.added",
            {"output_index": index, "item": _call_item(item_id, call, False)},
            False,
        )
        for piece in split_arguments(call.arguments_json):
            yield "response.function_call_arguments.delta", {**ref, "delta": piece}, True
        done = {**ref, "name": call.name, "arguments": call.arguments_json}
        yield "response.function_call_arguments.done", done, False
        yield (
            "response.output_item.done",
            {"output_index": index, "item": _call_item(item_id, call, True)},
            False,
        )


def stream_response(reply: Reply, request: RecordedRequest, ids: IdSource) -> Iterator[SSEEvent]:
    """Responses stream events, each with ``type`` and a ``sequence_number``."""
    plan = _plan(reply, ids)
    pending = _response(plan, reply, request, final=False)
    final_type = "response.incomplete" if plan.truncated else "response.completed"
    events: list[tuple[str, dict[str, Any], bool]] = [
        ("response.created", {"response": pending}, False),
        ("response.in_progress", {"response": pending}, False),
    ]
    if plan.message_id:
        events.extend(_message_events(plan, reply))
    events.extend(_call_events(plan))
    events.append((final_type, {"response": _response(plan, reply, request, final=True)}, False))
    for number, (kind, payload, is_content) in enumerate(events):
        yield SSEEvent({"type": kind, **payload, "sequence_number": number}, event=kind, content=is_content)

"""Tool executions, derived from the conversation itself.

No tool is ever seen running: the model asks for a tool call in a response, and a later
request carries its result back. Each such call becomes a :class:`ToolExecution` and an
``execute_tool {name}`` span from the end of the call that asked for it to the start of the
request that answered it (or the run's end, when no answer came).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context
from opentelemetry.trace import Span, Tracer

from agentwrap import _tracing
from agentwrap._hashing import canonical_json, parse_arguments, sha256_hex
from agentwrap.records import LLMCallRecord, ToolCallRequest, Usage

__all__ = ["ToolExecution", "result_text", "split_usage", "start_tool", "truncate"]


@dataclass(slots=True)
class ToolExecution:
    """A tool call the model asked for, and (once sent back) its result."""

    call_id: str
    name: str
    arguments: Any  # only kept with content capture on: a long run need not hold them
    arguments_hash: str
    span: Span
    span_id: str
    requested_ns: int
    step: int  # the step of the LLM call that asked for it
    repeat_count: int = 1  # identical calls (same tool and arguments) so far, this one included
    usage: dict[str, int] | None = None
    result: str | None = None
    is_error: bool = False
    ended_ns: int | None = None


def start_tool(
    tracer: Tracer,
    context: Context,
    call: ToolCallRequest,
    asked_by: LLMCallRecord,
    usage: dict[str, int],
    capture: bool,
) -> ToolExecution:
    """A tool call ``asked_by`` asked for, with its span open from that call's end.

    ``usage`` is its share of that call's usage (see :func:`split_usage`).
    """
    arguments, valid = parse_arguments(call.arguments)
    arguments_hash = sha256_hex(arguments)
    span = _tracing.start_tool_span(
        tracer,
        context,
        call,
        arguments_hash,
        asked_by.end_ns,
        valid=valid,
        arguments_json=canonical_json(arguments) if capture else None,
    )
    return ToolExecution(
        call_id=call.call_id,
        name=call.name,
        arguments=arguments if capture else None,
        arguments_hash=arguments_hash,
        span=span,
        span_id=format(span.get_span_context().span_id, "016x"),
        requested_ns=asked_by.end_ns,
        step=asked_by.step,
        usage=usage,
    )


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if limit <= 0 or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def result_text(content: Any) -> str:
    """A tool result's content as text (the text of content blocks, else canonical JSON)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and "text" in p for p in content):
        return "".join(str(p["text"]) for p in content)  # content blocks: keep their text
    return canonical_json(content)


def split_usage(usage: Usage | None, parts: int) -> list[dict[str, int]]:
    """Share one call's usage among the ``parts`` tool calls it asked for.

    Each tool call gets an equal share, the remainder going to the first, so the shares add
    up to the call's usage exactly: summing the per-tool-call usage never counts twice.
    """
    prompt, completion = (usage.input_tokens or 0, usage.output_tokens or 0) if usage else (0, 0)
    shares = []
    for i in range(parts):
        p = prompt // parts + (prompt % parts if i == 0 else 0)
        c = completion // parts + (completion % parts if i == 0 else 0)
        shares.append({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c})
    return shares

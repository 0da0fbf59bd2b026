"""Spans from records: a call's span, tool spans, a run's root span, and the events on them.

Every span, span event and span attribute agentwrap writes is built here, from the neutral
records (:mod:`agentwrap.records`) and what a run knows; every name comes from
:mod:`agentwrap._semconv`. Calls and runs decide *when* (a call's span ends after its run has
recorded it; a tool span opens when the model asks for the tool and ends when its result goes
back); this module decides *what* the spans say.

Attributes are set in one ``set_attributes`` per span where possible: each call takes the
span's lock and cleans the values again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from agentwrap import _semconv as sc
from agentwrap._hashing import canonical_json
from agentwrap.records import LLMRequest, LLMResponse, ToolCallRequest, Usage

__all__ = [
    "add_summary_event",
    "add_warning_event",
    "end_root_span",
    "end_tool_span",
    "mark_implicit",
    "set_call_error",
    "set_call_response",
    "set_parent_run",
    "set_termination",
    "span_id_of",
    "start_call_span",
    "start_root_span",
    "start_tool_span",
]


def span_id_of(span: Span) -> str:
    """A span's id as 16 hex digits (the form records and files use)."""
    return format(span.get_span_context().span_id, "016x")


# -- a call's span --------------------------------------------------------------------------


def start_call_span(
    tracer: Tracer, request: LLMRequest, context: Context | None, start_ns: int, capture: bool
) -> Span:
    """Open the span of one LLM call (``chat gpt-4o``), with what the request says."""
    name = f"{request.operation} {request.model}" if request.model else request.operation
    return tracer.start_span(
        name,
        context=context,
        kind=SpanKind.CLIENT,
        attributes=_request_attributes(request, capture),
        start_time=start_ns,
    )


def set_call_response(
    span: Span,
    response: LLMResponse | None,
    *,
    stream: bool,
    completed: bool,
    first_chunk_s: float | None,
    capture: bool,
) -> None:
    """Put what the model answered (or what a stream added up to) on the call's span.

    For a stream, also whether it was drained (``completed``) and its time to first chunk.
    The caller ends the span once the run has recorded the call, so that the events the
    run's observers find land on it.
    """
    attrs = _response_attributes(response, capture) if response is not None else {}
    if stream:
        attrs[sc.AGENTWRAP_STREAM_COMPLETED] = completed
        if first_chunk_s is not None:
            attrs[sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = first_chunk_s
    if attrs:
        span.set_attributes(attrs)


def set_call_error(span: Span, error_type: str, first_chunk_s: float | None) -> None:
    """Mark the call's span as failed with the SDK exception's class name.

    Only the class name: provider error messages can echo parts of an API key. A stream that
    broke off after some chunks keeps its time to first chunk.
    """
    attrs: dict[str, Any] = {sc.ERROR_TYPE: error_type}
    if first_chunk_s is not None:
        attrs[sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = first_chunk_s
    span.set_attributes(attrs)
    span.set_status(Status(StatusCode.ERROR, error_type))


def _request_attributes(request: LLMRequest, capture: bool) -> dict[str, Any]:
    attrs = sc.call_identity_attributes(request)
    if request.stream:
        attrs[sc.GEN_AI_REQUEST_STREAM] = True
    for key, value in request.params.items():
        attrs[sc.GEN_AI_REQUEST_PREFIX + key] = value
    if request.previous_response_id:
        attrs[sc.GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID] = request.previous_response_id
    if request.input_hash:
        attrs[sc.AGENTWRAP_PROMPT_HASH] = request.input_hash
    if request.prompt_version_hash:
        attrs[sc.AGENTWRAP_PROMPT_VERSION_HASH] = request.prompt_version_hash
    attrs.update(request.attributes)
    if capture:
        for key, value in (
            (sc.GEN_AI_INPUT_MESSAGES, request.messages),
            (sc.GEN_AI_SYSTEM_INSTRUCTIONS, request.system),
            (sc.GEN_AI_TOOL_DEFINITIONS, request.tools),
        ):
            if value:
                attrs[key] = json.dumps(value, ensure_ascii=False, default=str)
    return attrs


def _usage_attributes(usage: Usage) -> dict[str, Any]:
    pairs = (
        (sc.GEN_AI_USAGE_INPUT_TOKENS, usage.input_tokens),
        (sc.GEN_AI_USAGE_OUTPUT_TOKENS, usage.output_tokens),
        (sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cache_read_input_tokens),
        (sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cache_creation_input_tokens),
        (sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning_output_tokens),
    )
    attrs: dict[str, Any] = {key: value for key, value in pairs if value is not None}
    if usage.estimated:
        attrs[sc.AGENTWRAP_USAGE_ESTIMATED] = True
    return attrs


def _response_attributes(response: LLMResponse, capture: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if response.response_id:
        attrs[sc.GEN_AI_RESPONSE_ID] = response.response_id
    if response.model:
        attrs[sc.GEN_AI_RESPONSE_MODEL] = response.model
    if response.finish_reasons:
        attrs[sc.GEN_AI_RESPONSE_FINISH_REASONS] = list(response.finish_reasons)
    if response.usage is not None:
        attrs.update(_usage_attributes(response.usage))
    attrs.update(response.attributes)
    if response.refusal is not None:
        attrs[sc.AGENTWRAP_RESPONSE_REFUSAL] = True
    if capture and (response.output_text or response.tool_calls or response.refusal or response.reasoning):
        attrs[sc.GEN_AI_OUTPUT_MESSAGES] = json.dumps(_output_messages(response), ensure_ascii=False)
    return attrs


def _output_messages(response: LLMResponse) -> list[dict[str, Any]]:
    # The conventions' order: what the model thought, what it said, what it asked for.
    parts: list[dict[str, Any]] = [{"type": "reasoning", "content": text} for text in response.reasoning]
    if response.output_text:
        parts.append({"type": "text", "content": response.output_text})
    if response.refusal:  # no refusal part in the conventions: a text part, marked on the span
        parts.append({"type": "text", "content": response.refusal})
    for call in response.tool_calls:
        parts.append(
            {"type": "tool_call", "id": call.call_id, "name": call.name, "arguments": call.arguments}
        )
    reason = response.finish_reasons[0] if response.finish_reasons else None
    return [{"role": "assistant", "parts": parts, "finish_reason": reason}]


# -- tool spans -----------------------------------------------------------------------------


def start_tool_span(
    tracer: Tracer,
    context: Context,
    call: ToolCallRequest,
    arguments_hash: str,
    start_ns: int,
    *,
    valid: bool = True,
    arguments_json: str | None = None,
) -> Span:
    """Open ``execute_tool {name}`` as of when the model asked for the tool, under the run's root.

    ``valid`` is False when the arguments did not parse; ``arguments_json`` is their canonical
    form, given only with content capture on.
    """
    attrs: dict[str, Any] = {
        sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL,
        sc.GEN_AI_TOOL_NAME: call.name,
        sc.GEN_AI_TOOL_CALL_ID: call.call_id,
        sc.GEN_AI_TOOL_TYPE: "function",
        sc.AGENTWRAP_TOOL_ARGUMENTS_HASH: arguments_hash,
    }
    if not valid:
        attrs[sc.AGENTWRAP_TOOL_ARGUMENTS_VALID] = False
    if arguments_json is not None:
        attrs[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = arguments_json
    return tracer.start_span(
        f"{sc.OP_EXECUTE_TOOL} {call.name}",
        context=context,
        kind=SpanKind.INTERNAL,
        attributes=attrs,
        start_time=start_ns,
    )


def end_tool_span(span: Span, result: str | None, is_error: bool, end_ns: int | None, capture: bool) -> Span:
    """Put what came back of a tool on its span (``None``: nothing did, the run closed
    first) and end it; return a stand-in that keeps only the span's identity.

    The SDK span (attributes, events, links) would otherwise stay alive with the run that
    keeps the tool execution, and a long run would hold every one of them.
    """
    if result is None:
        span.set_attribute(sc.AGENTWRAP_TOOL_RESULT_MISSING, True)
    elif capture:
        span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, result)
    if is_error:
        span.set_attribute(sc.ERROR_TYPE, "tool_error")
        span.set_status(Status(StatusCode.ERROR, "the tool reported an error"))
    span.end(end_time=end_ns)
    return trace.NonRecordingSpan(span.get_span_context())


# -- a run's root span ----------------------------------------------------------------------


def start_root_span(
    tracer: Tracer,
    name: str | None,
    run_id: str,
    release: str | None,
    attributes: Mapping[str, Any],
    start_ns: int,
) -> Span:
    """Open ``invoke_agent {name}``, the root of a run's calls and tools."""
    attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT, sc.AGENTWRAP_RUN_ID: run_id}
    if name:
        attrs[sc.GEN_AI_AGENT_NAME] = name
        attrs[sc.AGENTWRAP_RUN_NAME] = name
    if release:
        attrs[sc.AGENTWRAP_RUN_RELEASE] = release
    for key, value in attributes.items():
        if isinstance(value, (str, bool, int, float)):
            attrs[sc.AGENTWRAP_RUN_ATTRIBUTE_PREFIX + key] = value
    return tracer.start_span(
        f"{sc.OP_INVOKE_AGENT} {name}" if name else sc.OP_INVOKE_AGENT,
        kind=SpanKind.INTERNAL,
        attributes=attrs,
        start_time=start_ns,
    )


def mark_implicit(span: Span, kind: str) -> None:
    """Say on a root span that agentwrap opened the run by itself (``trace``/``conversation``)."""
    span.set_attribute(sc.AGENTWRAP_RUN_IMPLICIT, kind)


def set_parent_run(span: Span, parent_run_id: str) -> None:
    """Name the run a child run was opened in on the child's root span."""
    span.set_attribute(sc.AGENTWRAP_RUN_PARENT_ID, parent_run_id)


def set_termination(span: Span, fields: Mapping[str, Any]) -> None:
    """``run.terminated``'s fields as ``agentwrap.run.termination.*`` root span attributes.

    Attributes rather than a span event: the root's only event is the run summary.
    """
    span.set_attributes(
        {
            sc.AGENTWRAP_RUN_TERMINATION_PREFIX + key: [str(v) for v in value]
            if isinstance(value, list)
            else value
            for key, value in fields.items()
            if value is not None
        }
    )


def add_summary_event(span: Span, record: Mapping[str, Any], tool_calls: int, end_ns: int | None) -> None:
    """The run summary as the root span's ``run.summary`` event.

    An event, never ``gen_ai.usage.*`` attributes: a backend that sums token usage over spans
    would otherwise count the run's tokens twice.
    """
    summary = record["summarized_metadata"]
    span.add_event(
        sc.EVENT_RUN_SUMMARY,
        attributes={
            sc.AGENTWRAP_RUN_SUMMARY: canonical_json(summary),
            sc.AGENTWRAP_RUN_TURNS: summary["total_number_of_turns"],
            sc.AGENTWRAP_RUN_TOOL_CALLS: tool_calls,
            sc.AGENTWRAP_RUN_SAME_TOOL_RETRIES: summary["number_of_same_tool_retries"],
        },
        timestamp=end_ns,
    )


def end_root_span(span: Span, exc: BaseException | None, end_ns: int | None) -> None:
    """End a run's root span; an exception that ended the run makes it an error."""
    if exc is not None:
        span.set_attribute(sc.ERROR_TYPE, type(exc).__qualname__)
        span.set_status(Status(StatusCode.ERROR, type(exc).__qualname__))
    span.end(end_time=end_ns)


# -- events -----------------------------------------------------------------------------------


def add_warning_event(span: Span, name: str, fields: Mapping[str, Any], when_ns: int) -> None:
    """A warning (or info) event on the span it is about; values a span cannot hold become text."""
    if span.is_recording():
        span.add_event(
            name, {k: _span_value(v) for k, v in fields.items() if v is not None}, timestamp=when_ns
        )


def _span_value(value: Any) -> Any:
    if isinstance(value, (str, bool, int, float)):
        return value
    return str(value)

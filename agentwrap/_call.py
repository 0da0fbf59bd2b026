"""One LLM call: its span, its place in the run, and its end (exactly once).

Patches create a :class:`Call` from an :class:`~agentwrap.records.LLMRequest` right before the
SDK sends the request, and end it with :meth:`Call.finish` or :meth:`Call.fail`. Everything
here runs behind :func:`~agentwrap._errors.guarded` at the patch boundary.
"""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from agentwrap import _semconv as sc
from agentwrap._errors import guarded
from agentwrap._implicit import implicit_run
from agentwrap._run import Run, current_run
from agentwrap._telemetry import Telemetry, get_telemetry
from agentwrap.records import LLMRequest, LLMResponse, Usage

__all__ = ["Call", "in_traced_call", "start_call"]

# True while a patch's wrapped SDK method runs for a traced call (between activate and
# deactivate): a lower layer (the HTTP client the SDK sends with) must not trace it again.
_sending: contextvars.ContextVar[bool] = contextvars.ContextVar("agentwrap_sending", default=False)


def in_traced_call() -> bool:
    """Whether the caller is inside an SDK call that agentwrap already traces."""
    return _sending.get()


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
    if capture and (response.output_text or response.tool_calls):
        attrs[sc.GEN_AI_OUTPUT_MESSAGES] = json.dumps(_output_messages(response), ensure_ascii=False)
    return attrs


def _output_messages(response: LLMResponse) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if response.output_text:
        parts.append({"type": "text", "content": response.output_text})
    for call in response.tool_calls:
        parts.append(
            {"type": "tool_call", "id": call.call_id, "name": call.name, "arguments": call.arguments}
        )
    reason = response.finish_reasons[0] if response.finish_reasons else None
    return [{"role": "assistant", "parts": parts, "finish_reason": reason}]


class Call:
    """The life of one LLM call, from request to response or error."""

    __slots__ = (
        "request",
        "telemetry",
        "run",
        "span",
        "started_ns",
        "first_chunk_ns",
        "ended",
        "_token",
        "_sending",
    )

    def __init__(self, telemetry: Telemetry, request: LLMRequest) -> None:
        self.request = request
        self.telemetry = telemetry
        self.run: Run | None = current_run()  # None for a run that has closed
        if self.run is None and telemetry.config.implicit_runs:
            self.run = implicit_run(telemetry, request)
        self.started_ns = time.time_ns()
        self.first_chunk_ns: int | None = None
        self.ended = False
        self._token: contextvars.Token[otel_context.Context] | None = None
        self._sending: contextvars.Token[bool] | None = None
        if self.run is not None:
            # May raise BudgetExceeded (enforce mode): before the span starts and anything is sent.
            self.run.on_request(request, self.started_ns)
        name = f"{request.operation} {request.model}" if request.model else request.operation
        parent = None
        if self.run is not None:
            parent = self.run.call_context
            if parent is None and not trace.get_current_span().get_span_context().is_valid:
                parent = self.run.root_context  # the run came along into a pool thread, no span did
        self.span = telemetry.tracer.start_span(
            name,
            context=parent,
            kind=SpanKind.CLIENT,
            attributes=_request_attributes(request, telemetry.config.capture_content),
            start_time=self.started_ns,
        )

    # The span is current only while the SDK method runs (so HTTP-level spans nest under it),
    # never across a returned stream: the caller's context must be the same after each read.
    def activate(self) -> None:
        """Make the call's span current for the duration of the wrapped SDK method."""
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        self._sending = _sending.set(True)

    def deactivate(self) -> None:
        """Undo :meth:`activate` (safe to call when it was not activated)."""
        token, self._token = self._token, None
        if token is not None:
            otel_context.detach(token)
        sending, self._sending = self._sending, None
        if sending is not None:
            _sending.reset(sending)

    def invoke(self, wrapped: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run the wrapped SDK method exactly once with the span current.

        The SDK's exception, if any, ends the call and propagates as the same object.
        """
        guarded(self.activate)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            guarded(self.deactivate)
            guarded(self.fail, exc)
            raise
        guarded(self.deactivate)
        return result

    async def ainvoke(
        self, wrapped: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """The async twin of :meth:`invoke`: awaits the wrapped method, timed around the await."""
        guarded(self.activate)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            guarded(self.deactivate)
            guarded(self.fail, exc)
            raise
        guarded(self.deactivate)
        return result

    def on_first_chunk(self) -> None:
        """Note the time of the first streamed chunk (time to first token).

        The attribute is set with the others when the call ends: one ``set_attributes`` instead
        of a lock and a value check more while the chunks flow."""
        if self.first_chunk_ns is None:
            self.first_chunk_ns = time.time_ns()

    def _add_time_to_first_chunk(self, attrs: dict[str, Any]) -> None:
        if self.first_chunk_ns is not None:
            ttfc = (self.first_chunk_ns - self.started_ns) / 1e9
            attrs[sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttfc

    def finish(self, response: LLMResponse | None, *, completed: bool = True) -> None:
        """End the call with what the model answered (or what a stream added up to)."""
        if self.ended:
            return
        self.ended = True
        end_ns = time.time_ns()
        # One set_attributes: each call takes the span's lock and cleans the values again.
        attrs = (
            _response_attributes(response, self.telemetry.config.capture_content)
            if response is not None
            else {}
        )
        if self.request.stream:
            attrs[sc.AGENTWRAP_STREAM_COMPLETED] = completed
            self._add_time_to_first_chunk(attrs)
        if attrs:
            self.span.set_attributes(attrs)
        self._end(response, end_ns, None, completed)

    def fail(self, exc: BaseException) -> None:
        """End the call with the SDK's exception (which the caller then sees, unchanged)."""
        if self.ended:
            return
        self.ended = True
        end_ns = time.time_ns()
        error_type = type(exc).__qualname__
        attrs: dict[str, Any] = {sc.ERROR_TYPE: error_type}
        self._add_time_to_first_chunk(attrs)  # a stream that broke off after some chunks
        self.span.set_attributes(attrs)
        # Only the class name: provider error messages can echo parts of an API key.
        self.span.set_status(Status(StatusCode.ERROR, error_type))
        self._end(None, end_ns, error_type)

    def _end(
        self, response: LLMResponse | None, end_ns: int, error_type: str | None, completed: bool = True
    ) -> None:
        # The run records the call while its span is open, so the events its observers find
        # land on it; then the span ends, and the metrics are recorded (once per call, never
        # per chunk).
        run = self.run
        if run is not None and self.request.counts_as_turn:
            times = (self.started_ns, end_ns)
            guarded(run.call_ended, self.span, self.request, response, times, error_type, completed)
        self.span.end(end_time=end_ns)
        args = (self.request, response, self.started_ns, end_ns, self.first_chunk_ns, error_type)
        guarded(self.telemetry.record_call, *args)


def start_call(request: LLMRequest) -> Call:
    """Open a call under the active telemetry (patches call this through ``guarded``)."""
    return Call(get_telemetry(), request)

"""One LLM call: its span, its place in the run, and its end (exactly once).

Patches create a :class:`Call` from an :class:`~agentwrap.records.LLMRequest` right before the
SDK sends the request, and end it with :meth:`Call.finish` or :meth:`Call.fail`. Everything
here runs behind :func:`~agentwrap._errors.guarded` at the patch boundary.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from agentwrap import _tracing
from agentwrap._errors import guarded
from agentwrap._implicit import implicit_run
from agentwrap._run import Run
from agentwrap._scope import current_run
from agentwrap._telemetry import Telemetry, get_telemetry
from agentwrap.records import LLMRequest, LLMResponse

__all__ = ["Call", "in_traced_call", "start_call"]

# True while a patch's wrapped SDK method runs for a traced call (between activate and
# deactivate): a lower layer (the HTTP client the SDK sends with) must not trace it again.
_sending: contextvars.ContextVar[bool] = contextvars.ContextVar("agentwrap_sending", default=False)


def in_traced_call() -> bool:
    """Whether the caller is inside an SDK call that agentwrap already traces."""
    return _sending.get()


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
        parent = None
        if self.run is not None:
            parent = self.run.call_context
            if parent is None and not trace.get_current_span().get_span_context().is_valid:
                parent = self.run.root_context  # the run came along into a pool thread, no span did
        capture = telemetry.config.capture_content
        self.span = _tracing.start_call_span(telemetry.tracer, request, parent, self.started_ns, capture)

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

    def _first_chunk_s(self) -> float | None:
        """Time to first chunk in seconds (None: no chunk came, or not a stream)."""
        if self.first_chunk_ns is None:
            return None
        return (self.first_chunk_ns - self.started_ns) / 1e9

    def finish(self, response: LLMResponse | None, *, completed: bool = True) -> None:
        """End the call with what the model answered (or what a stream added up to)."""
        if self.ended:
            return
        self.ended = True
        end_ns = time.time_ns()
        stream = self.request.stream
        _tracing.set_call_response(
            self.span,
            response,
            stream=stream,
            completed=completed,
            first_chunk_s=self._first_chunk_s() if stream else None,
            capture=self.telemetry.config.capture_content,
        )
        self._end(response, end_ns, None, completed)

    def fail(self, exc: BaseException) -> None:
        """End the call with the SDK's exception (which the caller then sees, unchanged)."""
        if self.ended:
            return
        self.ended = True
        end_ns = time.time_ns()
        error_type = type(exc).__qualname__
        _tracing.set_call_error(self.span, error_type, self._first_chunk_s())
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

"""A run: the accumulator of one agent run with its root span, its observers and its close.

A run owns a root span; the LLM calls made in it become its children, and the tool executions
derived from the conversation hang under it too. Its calls tell it what happened (a request
about to go out, a call that ended) and it is the only caller of its observers (bounds,
heuristics, detectors; see :mod:`agentwrap._observers`). When it closes it ends the pending
tool spans, lets its observers conclude, and hands the summary of the seed schema to the
sinks. Opening one and making it current is :mod:`agentwrap._scope`'s.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from agentwrap import _events, _open_runs, _tools, _tracing
from agentwrap._accumulator import RunAccumulator
from agentwrap._errors import guarded
from agentwrap._observers import Observers
from agentwrap._summary import build_summary_record
from agentwrap._telemetry import Telemetry
from agentwrap._tools import ToolExecution
from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse

__all__ = ["Run"]


class Run(RunAccumulator):
    """One agent run. Thread-safe: calls may come from several threads."""

    # The OTel context the run's LLM call spans start in (None: the caller's current one).
    call_context: otel_context.Context | None = None

    def __init__(
        self,
        telemetry: Telemetry,
        name: str | None = None,
        release: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        limits: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.telemetry = telemetry
        self.name = name
        self.release = release if release is not None else telemetry.config.release
        self.attributes = dict(attributes or {})
        self.limits = dict(limits or {})
        self.span = _tracing.start_root_span(
            telemetry.tracer, name, self.run_id, self.release, self.attributes, self.started_ns
        )
        self.trace_id = format(self.span.get_span_context().trace_id, "032x")
        # Where the run's tool spans hang, and its calls when no span is current where they
        # are made (a pool thread the run was carried into, see agentwrap._propagate).
        self.root_context = trace.set_span_in_context(self.span)
        self._observers = Observers.build(self, telemetry.observers)
        _open_runs.register(self)

    # -- what calls tell the run -------------------------------------------------------------

    def on_request(self, request: LLMRequest, now_ns: int) -> None:
        """A request is about to be sent: the tool results it carries close pending tools.

        Then the observers see it; in enforce mode the bounds raise
        :class:`~agentwrap.BudgetExceeded` here, before the call's span starts and before the
        SDK sends anything.
        """
        if self.prompt_version_hash is None and request.prompt_version_hash and request.counts_as_turn:
            self.prompt_version_hash = request.prompt_version_hash  # the first call's is the run's
        if request.tool_results:
            with self._lock:
                finished = self._answered(request.tool_results, now_ns)
            for tool in finished:
                self._end_tool(tool)
        self._observers.before_send(request)

    def call_ended(
        self,
        span: trace.Span,
        request: LLMRequest,
        response: LLMResponse | None,
        times: tuple[int, int],
        error_type: str | None = None,
        completed: bool = True,
    ) -> None:
        """A call of this run ended (``times``: its start and end), its span still open.

        The run keeps it as one :class:`~agentwrap.records.LLMCallRecord`, opens a tool span
        per tool call it asked for, and then its observers see the record (their events land
        on the call's span, which the caller ends afterwards). A stream the application
        abandoned (``completed=False``) is recorded but not judged. A call that ends after the
        run has closed (a stream drained late) changes nothing: a closed run's records are final.
        """
        span_id = format(span.get_span_context().span_id, "016x")
        with self._lock:
            if self.closed:
                record, started = None, []
            else:
                record = self._keep_call(span_id, request, response, times, error_type)
                started = self._start_tools(response, record) if response is not None else []
        if record is not None:
            answer = response if completed and error_type is None else None  # nothing else is judged
            self._observers.on_call_end(record, request, answer, span)
            self._observers.on_turn(record, started)
        self._call_done(times[1], response)

    def _start_tools(self, response: LLMResponse, record: LLMCallRecord) -> list[ToolExecution]:
        """A tool execution per tool call the response asked for (with the lock held)."""
        asked = response.tool_calls
        if not asked:
            return []
        capture, tracer = self.telemetry.config.capture_content, self.telemetry.tracer
        started = []
        for call, share in zip(asked, _tools.split_usage(response.usage, len(asked)), strict=True):
            tool = _tools.start_tool(tracer, self.root_context, call, record, share, capture)
            self._keep_tool(tool)
            started.append(tool)
        return started

    def _call_done(self, end_ns: int, response: LLMResponse | None) -> None:
        """What a kind of run adds once one of its calls has ended (implicit runs override it)."""

    def _end_tool(self, tool: ToolExecution) -> None:
        self._observers.on_tool_end(tool)  # while the span is open: their events land on it
        # The execution keeps only the ended span's identity from now on (see end_tool_span).
        capture = self.telemetry.config.capture_content
        tool.span = _tracing.end_tool_span(tool.span, tool.result, tool.is_error, tool.ended_ns, capture)

    # -- closing -------------------------------------------------------------------------------

    def close(self, exc: BaseException | None = None) -> dict[str, Any] | None:
        """End the run once: pending tools, observers, summary to the sinks, root span."""
        with self._lock:
            if self.closed:
                return self.summary
            self.closed = True
            self.ended_ns, self.latency_s = self._end_times()
            pending = list(self.pending.values())
            self.pending.clear()
        _open_runs.forget(self)
        for tool in pending:
            tool.ended_ns = self.ended_ns
            guarded(self._end_tool, tool)
        # Detectors and bounds conclude before the summary, which carries the termination; the
        # observers are dropped then: the run and they no longer keep each other alive.
        self._termination = self._observers.close(exc)
        if self._termination is not None:
            guarded(self._publish_termination, self._termination)
        record = guarded(build_summary_record, self)
        if record is not None:
            self.summary = record["summarized_metadata"]
            guarded(_tracing.add_summary_event, self.span, record, len(self.tools), self.ended_ns)
            self.telemetry.emit(record)
        _tracing.end_root_span(self.span, exc, self.ended_ns)
        return self.summary

    def _publish_termination(self, fields: dict[str, Any]) -> None:
        _tracing.set_termination(self.span, fields)
        _events.emit_terminated(self, dict(fields), _tracing.span_id_of(self.span))

    def _end_times(self) -> tuple[int, float]:
        """When the run ended (unix ns) and how long it lasted (s); implicit runs override."""
        return time.time_ns(), self.elapsed_s()

    def adopt(self, child: Run) -> None:
        """Make ``child`` a child run of this one (its summary record names this run)."""
        child.parent = self
        _tracing.set_parent_run(child.span, self.run_id)
        with self._lock:
            self.children.append(child)

"""Runs: the scope of one agent run and its accumulator.

A run is opened with ``agentwrap.run()`` (sync or async ``with``). It lives in a ContextVar,
so concurrent asyncio tasks and threads started with a copied context each see their own run.
It owns a root span; LLM calls made inside it become its children, and the tool executions
derived from the conversation hang under it too. When it closes it ends pending tool spans,
builds the summary of the seed schema and hands it to the sinks.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from agentwrap import _bounded
from agentwrap import _semconv as sc
from agentwrap._bounded import HeadTail
from agentwrap._errors import guarded
from agentwrap._hashing import canonical_json, parse_arguments, sha256_hex
from agentwrap._telemetry import Telemetry, get_telemetry
from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse, ToolCallRequest, Usage

__all__ = ["Run", "RunScope", "ToolExecution", "current_run", "run", "running"]

RunToken = contextvars.Token["Run | None"]
OtelToken = contextvars.Token[otel_context.Context]

EVENTS_KEPT = 1000  # warning records a run keeps for its summary's detectors; all are counted

_current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar("agentwrap_run", default=None)
# Every run not yet closed, so that exit and SIGTERM can still write their summaries.
_open_runs: dict[str, Run] = {}
_open_lock = threading.Lock()


def open_runs() -> list[Run]:
    """The runs opened and not yet closed, oldest first."""
    with _open_lock:
        return list(_open_runs.values())


def current_run() -> Run | None:
    """The run the calling code is in, if any.

    A run that has closed is no one's current run, even where work it started still holds it
    in its context (a task or pool task that outlived it): its summary is already out.
    """
    run = _current_run.get()
    return None if run is None or run.closed else run


@contextlib.contextmanager
def running(run: Run) -> Iterator[None]:
    """Make ``run`` the current run for the block; nothing else of the context changes."""
    token = _current_run.set(run)
    try:
        yield
    finally:
        _current_run.reset(token)


@dataclass(slots=True)
class ToolExecution:
    """A tool call the model asked for, and (once sent back) its result."""

    call_id: str
    name: str
    arguments: Any
    arguments_hash: str
    span: trace.Span
    span_id: str
    requested_ns: int
    step: int  # the step of the LLM call that asked for it
    repeat_count: int = 1  # identical calls (same tool and arguments) so far, this one included
    usage: dict[str, int] | None = None
    result: str | None = None
    is_error: bool = False
    ended_ns: int | None = None


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if limit <= 0 or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and "text" in p for p in content):
        return "".join(str(p["text"]) for p in content)  # content blocks: keep their text
    return canonical_json(content)


def _split_usage(usage: Usage | None, parts: int) -> list[dict[str, int]]:
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


class _NoMonitor:
    """A run's monitor when no observer factory built one, and once it closed: does nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


_NO_MONITOR = _NoMonitor()


class Run:
    """The accumulator of one agent run. Thread-safe: calls may come from several threads."""

    # The OTel context the run's LLM call spans start in (None: the caller's current one).
    call_context: otel_context.Context | None = None

    def __init__(
        self,
        telemetry: Telemetry,
        name: str | None = None,
        release: str | None = None,
        attributes: dict[str, Any] | None = None,
        limits: Mapping[str, Any] | None = None,
    ) -> None:
        self.telemetry = telemetry
        self.name = name
        self.release = release if release is not None else telemetry.config.release
        self.attributes = dict(attributes or {})
        self.limits = dict(limits or {})  # its own bounds over the global ones (agentwrap.detect)
        self.run_id = uuid.uuid4().hex
        # Bounded in a long run: the first and last RECORDS_KEPT; len() counts all of them.
        self.turns: HeadTail[LLMCallRecord] = HeadTail(_bounded.RECORDS_KEPT)
        self.tools: HeadTail[ToolExecution] = HeadTail(_bounded.RECORDS_KEPT)
        # Running totals over every turn and tool call, for the summary.
        self.model_counts: Counter[str] = Counter()
        self.input_tokens = 0
        self.output_tokens = 0
        self.tool_names: dict[str, None] = {}  # in order of first use
        self.tool_key_counts: Counter[tuple[str, str]] = Counter()  # (name, arguments hash)
        self.pending: dict[str, ToolExecution] = {}
        self.prompt_version_hash: str | None = None
        self.parent: Run | None = None
        self.children: list[Run] = []
        self.closed = False
        self.summary: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []  # the first EVENTS_KEPT; warning_counts counts all
        self.warning_counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.started_ns = time.time_ns()
        self._started_perf = time.perf_counter()
        self.ended_ns: int | None = None
        self.span = telemetry.tracer.start_span(
            f"{sc.OP_INVOKE_AGENT} {name}" if name else sc.OP_INVOKE_AGENT,
            kind=SpanKind.INTERNAL,
            attributes=self._root_attributes(),
            start_time=self.started_ns,
        )
        ctx = self.span.get_span_context()
        self.trace_id = format(ctx.trace_id, "032x")
        # Where the run's tool spans hang, and its calls when no span is current where they
        # are made (a pool thread the run was carried into, see agentwrap._propagate).
        self.root_context = trace.set_span_in_context(self.span)
        # run.terminated's fields once closed; the monitor runs bounds, heuristics, detectors.
        self.termination: dict[str, Any] | None = None
        # The first the observer factories build (the composition root registered them).
        # Only the run calls its monitor: calls tell the run, and the run tells the monitor.
        built = (guarded(factory, self) for factory in telemetry.observers)
        self.monitor = next((m for m in built if m is not None), _NO_MONITOR)
        with _open_lock:
            _open_runs[self.run_id] = self

    def _root_attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT,
            sc.AGENTWRAP_RUN_ID: self.run_id,
        }
        if self.name:
            attrs[sc.GEN_AI_AGENT_NAME] = self.name
            attrs[sc.AGENTWRAP_RUN_NAME] = self.name
        if self.release:
            attrs[sc.AGENTWRAP_RUN_RELEASE] = self.release
        for key, value in self.attributes.items():
            if isinstance(value, (str, bool, int, float)):
                attrs[sc.AGENTWRAP_RUN_ATTRIBUTE_PREFIX + key] = value
        return attrs

    # -- what calls tell the run -------------------------------------------------------------

    def on_request(self, request: LLMRequest, now_ns: int) -> None:
        """A request is about to be sent: the tool results it carries close pending tools.

        Then the monitor sees it; in enforce mode its bounds raise
        :class:`~agentwrap.BudgetExceeded` here (``guarded`` lets it through), before the
        call's span starts and before the SDK sends anything.
        """
        if self.prompt_version_hash is None and request.prompt_version_hash and request.counts_as_turn:
            self.prompt_version_hash = request.prompt_version_hash
        if request.tool_results:
            self._tool_results(request, now_ns)
        guarded(self.monitor.before_send, request)

    def _tool_results(self, request: LLMRequest, now_ns: int) -> None:
        limit = self.telemetry.config.result_max_chars
        with self._lock:
            finished = []
            for result in request.tool_results:
                tool = self.pending.pop(result.call_id, None)
                if tool is not None:
                    tool.result = truncate(_result_text(result.content), limit)
                    tool.is_error = result.is_error
                    tool.ended_ns = now_ns
                    finished.append(tool)
        for tool in finished:
            self._end_tool_span(tool)

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
        per tool call it asked for, and then the monitor sees the record (its events land on
        the call's span, which the caller ends afterwards). A stream the application abandoned
        (``completed=False``) is recorded but not judged. A call that ends after the run has
        closed (a stream drained late) changes nothing: a closed run's records are final.
        """
        usage = response.usage if response is not None else None
        asked = response.tool_calls if response is not None else []
        with self._lock:
            if self.closed:
                record = None
            else:
                record = self._record(span, request, response, times, error_type)
                started = self._start_tools(asked, record, usage) if asked else []
        if record is not None:
            monitor = self.monitor
            guarded(monitor.on_call_end, record, request, response, span, completed)
            guarded(monitor.on_turn, record, started)
        self._call_done(times[1], response)

    def _record(
        self,
        span: trace.Span,
        request: LLMRequest,
        response: LLMResponse | None,
        times: tuple[int, int],
        error_type: str | None,
    ) -> LLMCallRecord:
        """Build the call's one record and count it; call with the lock held."""
        span_id = format(span.get_span_context().span_id, "016x")
        step = len(self.turns) + 1
        if response is None:  # the call failed: only the request is known
            record = LLMCallRecord(
                span_id, step, request.model, *times, error_type=error_type, input_hash=request.input_hash
            )
        else:
            usage = response.usage
            record = LLMCallRecord(
                span_id,
                step,
                response.model or request.model,
                *times,
                input_tokens=usage.input_tokens if usage is not None else None,
                output_tokens=usage.output_tokens if usage is not None else None,
                finish_reasons=tuple(response.finish_reasons),
                error_type=error_type,
                input_hash=request.input_hash,
                tool_call_count=len(response.tool_calls),
            )
        self.turns.append(record)
        if record.model:
            self.model_counts[record.model] += 1
        self.input_tokens += record.input_tokens or 0
        self.output_tokens += record.output_tokens or 0
        return record

    def _call_done(self, end_ns: int, response: LLMResponse | None) -> None:
        """What a kind of run adds once one of its calls has ended (implicit runs override it)."""

    def _start_tools(
        self, asked: list[ToolCallRequest], record: LLMCallRecord, usage: Usage | None
    ) -> list[ToolExecution]:
        """Open a tool span per tool call the model asked for; call with the lock held."""
        started: list[ToolExecution] = []
        for call, share in zip(asked, _split_usage(usage, len(asked)), strict=True):
            tool = self._start_tool(call, record, share)
            key = (tool.name, tool.arguments_hash)
            self.tool_key_counts[key] += 1
            tool.repeat_count = self.tool_key_counts[key]
            self.tools.append(tool)
            self.tool_names[tool.name] = None
            self.pending[tool.call_id] = tool
            started.append(tool)
        return started

    def kept_calls(self) -> list[LLMCallRecord]:
        """The calls the run keeps (all of them below the cap), in order."""
        with self._lock:
            return list(self.turns)

    def kept_tools(self) -> list[ToolExecution]:
        """The tool executions the run keeps (all of them below the cap), in order."""
        with self._lock:
            return list(self.tools)

    def add_event(self, record: dict[str, Any]) -> None:
        """Keep a warning event of this run (the summary record counts them by name)."""
        with self._lock:
            if record.get("severity") == "warning":
                self.warning_counts[str(record.get("name"))] += 1
            if len(self.events) < EVENTS_KEPT:  # a looping run warns on every call: stay bounded
                self.events.append(record)

    # -- tool spans ----------------------------------------------------------------------------

    def _start_tool(
        self, call: ToolCallRequest, record: LLMCallRecord, share: dict[str, int]
    ) -> ToolExecution:
        arguments, ok = parse_arguments(call.arguments)
        attrs: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL,
            sc.GEN_AI_TOOL_NAME: call.name,
            sc.GEN_AI_TOOL_CALL_ID: call.call_id,
            sc.GEN_AI_TOOL_TYPE: "function",
            sc.AGENTWRAP_TOOL_ARGUMENTS_HASH: sha256_hex(arguments),
        }
        if not ok:
            attrs["agentwrap.tool.call.arguments_valid"] = False
        if self.telemetry.config.capture_content:
            attrs[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = canonical_json(arguments)
        span = self.telemetry.tracer.start_span(
            f"{sc.OP_EXECUTE_TOOL} {call.name}",
            context=self.root_context,
            kind=SpanKind.INTERNAL,
            attributes=attrs,
            start_time=record.end_ns,
        )
        return ToolExecution(
            call_id=call.call_id,
            name=call.name,
            # Only shown with content capture on; without it, a long run need not hold them.
            arguments=arguments if self.telemetry.config.capture_content else None,
            arguments_hash=attrs[sc.AGENTWRAP_TOOL_ARGUMENTS_HASH],
            span=span,
            span_id=format(span.get_span_context().span_id, "016x"),
            requested_ns=record.end_ns,
            step=record.step,
            usage=share,
        )

    def _end_tool_span(self, tool: ToolExecution) -> None:
        span = tool.span
        if tool.result is None:
            span.set_attribute(sc.AGENTWRAP_TOOL_RESULT_MISSING, True)
        elif self.telemetry.config.capture_content:
            span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, tool.result)
        if tool.is_error:
            span.set_attribute(sc.ERROR_TYPE, "tool_error")
            span.set_status(Status(StatusCode.ERROR, "the tool reported an error"))
        guarded(self.monitor.on_tool_end, tool)  # while the span is open: events land on it
        span.end(end_time=tool.ended_ns)
        # Keep only the ended span's identity: the SDK span (attributes, events, links) would
        # otherwise stay alive with the run, and a long run would hold every one of them.
        tool.span = trace.NonRecordingSpan(span.get_span_context())

    # -- closing -------------------------------------------------------------------------------

    def close(self, exc: BaseException | None = None) -> dict[str, Any] | None:
        """End the run once: pending tools, summary to the sinks, root span."""
        with self._lock:
            if self.closed:
                return self.summary
            self.closed = True
            self.ended_ns, self.latency_s = self._end_times()
            pending = list(self.pending.values())
            self.pending.clear()
        with _open_lock:
            _open_runs.pop(self.run_id, None)
        for tool in pending:
            tool.ended_ns = self.ended_ns
            guarded(self._end_tool_span, tool)
        guarded(self.monitor.on_close, exc)  # detectors and run.terminated, before the summary
        from agentwrap._summary import build_summary_record  # late: summary imports this module

        record = guarded(build_summary_record, self)
        if record is not None:
            self.summary = record["summarized_metadata"]
            guarded(self._annotate_root, record)
            self.telemetry.emit(record)
        if exc is not None:
            self.span.set_attribute(sc.ERROR_TYPE, type(exc).__qualname__)
            self.span.set_status(Status(StatusCode.ERROR, type(exc).__qualname__))
        self.span.end(end_time=self.ended_ns)
        # A late call (a stream drained after the run closed) changes nothing, and the run and
        # its monitor no longer reference each other: reference counting frees a closed run.
        self.monitor = _NO_MONITOR
        return self.summary

    def _end_times(self) -> tuple[int, float]:
        """When the run ended (unix ns) and how long it lasted (s); implicit runs override."""
        return time.time_ns(), time.perf_counter() - self._started_perf

    def adopt(self, child: Run) -> None:
        """Make ``child`` a child run of this one (its summary record names this run)."""
        child.parent = self
        child.span.set_attribute(sc.AGENTWRAP_RUN_PARENT_ID, self.run_id)
        with self._lock:
            self.children.append(child)

    def _annotate_root(self, record: dict[str, Any]) -> None:
        # The summary is an event on the root span, never gen_ai.usage.* attributes: a backend
        # that sums token usage over spans would otherwise count the run's tokens twice.
        summary = record["summarized_metadata"]
        self.span.add_event(
            sc.EVENT_RUN_SUMMARY,
            attributes={
                sc.AGENTWRAP_RUN_SUMMARY: canonical_json(summary),
                "agentwrap.run.turns": summary["total_number_of_turns"],
                "agentwrap.run.tool_calls": len(self.tools),
                "agentwrap.run.same_tool_retries": summary["number_of_same_tool_retries"],
            },
            timestamp=self.ended_ns,
        )


class RunScope:
    """``with agentwrap.run(...)`` / ``async with``: opens a Run and makes it current."""

    def __init__(self, name: str | None, release: str | None, attributes: dict[str, Any]) -> None:
        self._args = (name, release, attributes)
        self.limits: dict[str, Any] = {}  # the run's own bounds (agentwrap.detect.bounds)
        self.run: Run | None = None
        self._tokens: tuple[RunToken, OtelToken] | None = None

    def __enter__(self) -> Run:
        name, release, attributes = self._args
        run = Run(get_telemetry(), name=name, release=release, attributes=attributes, limits=self.limits)
        parent = current_run()
        if parent is not None:
            parent.adopt(run)
        self.run = run
        run_token = _current_run.set(run)
        otel_token = otel_context.attach(trace.set_span_in_context(run.span))
        self._tokens = (run_token, otel_token)
        return run

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._tokens is not None:
            run_token, otel_token = self._tokens
            self._tokens = None
            guarded(otel_context.detach, otel_token)
            _current_run.reset(run_token)
        if self.run is not None:
            guarded(self.run.close, exc)

    async def __aenter__(self) -> Run:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def run(name: str | None = None, release: str | None = None, **attributes: Any) -> RunScope:
    """Open an explicit run scope.

    Args:
        name: The run's name (``gen_ai.agent.name`` of its root span), e.g. ``"airline-agent"``.
        release: The release version stamped on the summary (default: ``AGENTWRAP_RELEASE``).
        **attributes: Extra attributes for the root span (``agentwrap.run.attribute.<key>``),
            except the run's own bounds: ``max_turns``, ``max_tool_calls``,
            ``max_tool_retries``, ``max_total_tokens``, ``max_errors``, ``max_wall_time`` and
            ``budget_mode`` (see :mod:`agentwrap.detect`).

    Returns:
        A context manager for ``with`` and ``async with``; entering it yields the :class:`Run`,
        whose ``summary`` holds the seed-schema summary once the block has exited.
    """
    from agentwrap.detect.bounds import split_limits

    limits = split_limits(attributes)  # raises ValueError on a bad budget_mode: the caller's mistake
    scope = RunScope(name, release, attributes)
    scope.limits = limits
    return scope

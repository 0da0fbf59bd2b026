"""What one run's calls add up to: its identity, the records it keeps and its running totals.

:class:`~agentwrap._run.Run` is an accumulator with a root span, observers and a close; the
summary (:mod:`agentwrap._summary`), the warning events (:mod:`agentwrap._events`) and the
observers read a run through what is here. Everything a run's observers may read is public
and read-only to them; the run itself changes it, under its lock, as its calls report.

A long run holds bounded memory: its calls and tool executions are kept in a
:class:`~agentwrap._bounded.HeadTail` (the first and the last ``RECORDS_KEPT``; ``len()``
counts all of them), its warning records up to ``EVENTS_KEPT``; the totals count everything.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from typing import Any

from agentwrap import _bounded, _tools
from agentwrap._bounded import HeadTail
from agentwrap._telemetry import Telemetry
from agentwrap._tools import ToolExecution
from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse, ToolResult

__all__ = ["EVENTS_KEPT", "RunAccumulator"]

EVENTS_KEPT = 1000  # warning records a run keeps for its summary's detectors; all are counted


class RunAccumulator:
    """The records and totals of one agent run. Thread-safe: calls may come from several threads.

    Attributes:
        telemetry: The Telemetry the run was opened under.
        name, release, attributes: What ``agentwrap.run()`` was given.
        limits: The run's own bounds over the global ones (``agentwrap.run(max_turns=...)``).
        run_id, trace_id: The run's id and the trace of its root span (32 hex digits).
        turns: Its LLM calls, as :class:`~agentwrap.records.LLMCallRecord` (chat/generation).
        tools: Its tool executions, in the order the model asked for them.
        pending: The tool executions whose result has not come back yet, by call id.
        model_counts, input_tokens, output_tokens, tool_names, tool_key_counts: Running
            totals over every call and tool call (``tool_key_counts`` by tool name and
            arguments hash: the run's one count of identical tool calls).
        prompt_version_hash: The first call's prompt version (the summary's ``hash_of_prompt``).
        events, warning_counts: Its warning records (the first ``EVENTS_KEPT``), counted by name.
        parent, children: The run it was opened in, and the runs opened in it.
        started_ns, ended_ns, latency_s: When it opened and closed, and how long it lasted.
    """

    # Who the run is: set by the run as it opens (agentwrap._run.Run).
    telemetry: Telemetry
    name: str | None
    release: str | None
    attributes: dict[str, Any]
    limits: dict[str, Any]
    trace_id: str

    def __init__(self) -> None:
        self.run_id = uuid.uuid4().hex
        self.turns: HeadTail[LLMCallRecord] = HeadTail(_bounded.RECORDS_KEPT)
        self.tools: HeadTail[ToolExecution] = HeadTail(_bounded.RECORDS_KEPT)
        self.pending: dict[str, ToolExecution] = {}
        self.model_counts: Counter[str] = Counter()
        self.input_tokens = 0
        self.output_tokens = 0
        self.tool_names: dict[str, None] = {}  # in order of first use
        self.tool_key_counts: Counter[tuple[str, str]] = Counter()
        self.prompt_version_hash: str | None = None
        self.events: list[dict[str, Any]] = []
        self.warning_counts: Counter[str] = Counter()
        self.parent: RunAccumulator | None = None
        self.children: list[RunAccumulator] = []
        self.closed = False
        self.summary: dict[str, Any] | None = None
        self._termination: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self.started_ns = time.time_ns()
        self._started_perf = time.perf_counter()
        self.ended_ns: int | None = None
        self.latency_s = 0.0

    @property
    def termination(self) -> dict[str, Any] | None:
        """Why and how the run stopped (``run.terminated``'s fields), once it has closed."""
        return self._termination

    def elapsed_s(self) -> float:
        """Wall time since the run opened, in seconds."""
        return time.perf_counter() - self._started_perf

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

    # -- what the run adds, under its lock ------------------------------------------------------

    def _answered(self, results: list[ToolResult], now_ns: int) -> list[ToolExecution]:
        """Take the pending tool executions these results answer (with the lock held)."""
        limit = self.telemetry.config.result_max_chars
        finished = []
        for result in results:
            tool = self.pending.pop(result.call_id, None)
            if tool is not None:
                tool.result = _tools.truncate(_tools.result_text(result.content), limit)
                tool.is_error = result.is_error
                tool.ended_ns = now_ns
                finished.append(tool)
        return finished

    def _keep_call(
        self,
        span_id: str,
        request: LLMRequest,
        response: LLMResponse | None,
        times: tuple[int, int],
        error_type: str | None,
    ) -> LLMCallRecord:
        """Build a call's one record, keep it and count it (with the lock held)."""
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

    def _keep_tool(self, tool: ToolExecution) -> None:
        """Keep a tool execution the model asked for and count it (with the lock held)."""
        key = (tool.name, tool.arguments_hash)
        self.tool_key_counts[key] += 1
        tool.repeat_count = self.tool_key_counts[key]
        self.tools.append(tool)
        self.tool_names[tool.name] = None
        self.pending[tool.call_id] = tool

"""Layer 2 for one run: every registered heuristic, fed by the run's hooks.

One instance of each heuristic in :data:`~agentwrap.detect.heuristics.REGISTRY` per run, in
registry order; what they find is emitted at once, on the span it is about (the call's, or the
tool's), outside the observer's lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentwrap._observers import RunObserver
from agentwrap.detect._shared import Found, emit_found, per_config
from agentwrap.detect.heuristics import REGISTRY, Thresholds, looks_like_error

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from agentwrap._config import Config
    from agentwrap._run import Run
    from agentwrap._tools import ToolExecution
    from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse

__all__ = ["HeuristicsObserver"]


def _thresholds(config: Config) -> Thresholds:
    return Thresholds.from_mapping(config.thresholds)


_thresholds_of = per_config(_thresholds)


class HeuristicsObserver(RunObserver):
    """The heuristics of one run."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._lock = threading.Lock()
        thresholds = _thresholds_of(run.telemetry.config)
        built = [cls(thresholds) for cls in REGISTRY]
        # Each hook calls only the heuristics that have it.
        self._on_call = [h for h in built if "on_call" in h.hooks]
        self._on_tool = [h for h in built if "on_tool" in h.hooks]
        self._on_tool_result = [h for h in built if "on_tool_result" in h.hooks]

    def on_call_end(
        self, call: LLMCallRecord, request: LLMRequest, response: LLMResponse | None, span: Span
    ) -> None:
        """The per-call heuristics, while the call's span is still open."""
        found: list[Found] = []
        with self._lock:
            for heuristic in self._on_call:
                fields = heuristic.on_call(call, request, response)
                if fields is not None:
                    found.append((heuristic.event, fields, span, None))
        if found:
            emit_found(self.run, found)

    def on_turn(self, call: LLMCallRecord, tools: Sequence[ToolExecution]) -> None:
        """The per-tool heuristics, for each tool call the model asked for."""
        found: list[Found] = []
        with self._lock:
            for tool in tools:
                for heuristic in self._on_tool:
                    fields = heuristic.on_tool(tool)
                    if fields is not None:
                        found.append((heuristic.event, fields, tool.span, None))
        if found:
            emit_found(self.run, found)

    def on_tool_end(self, tool: ToolExecution) -> None:
        """The tool-result heuristics (a result reads as an error: its flag, else its text)."""
        if tool.result is None:
            return  # no result came back (the run closed first): neither success nor error
        failed = tool.is_error or looks_like_error(tool.result)
        found: list[Found] = []
        with self._lock:
            for heuristic in self._on_tool_result:
                fields = heuristic.on_tool_result(tool, failed)
                if fields is not None:
                    found.append((heuristic.event, fields, tool.span, None))
        if found:
            emit_found(self.run, found)

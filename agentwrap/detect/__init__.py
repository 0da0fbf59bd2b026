# ruff: noqa: E501 - the event table is Markdown, one row per line (copied into the README)
"""Silent failures: structural bounds, heuristics, and detectors with ``first_seen``.

An agent can answer "200 OK" after twenty LLM calls and the same tool retried fifteen times.
None of that is an error; all of it is worth surfacing. agentwrap watches every run in three
layers (the seed document's) and turns what it finds into named, structured events:

1. **Bounds** (:mod:`agentwrap.detect.bounds`): ``max_turns``, ``max_tool_calls``,
   ``max_tool_retries``, ``max_total_tokens``, ``max_errors``, ``max_wall_time``, globally
   (``instrument(max_turns=20)``, ``AGENTWRAP_MAX_TURNS=20``) or per run
   (``agentwrap.run(max_turns=20)``). ``budget_mode="observe"`` (default) only emits
   ``run.limit_reached``; ``"enforce"`` makes the next LLM call raise
   :class:`agentwrap.BudgetExceeded` before anything is sent.
2. **Heuristics** (:mod:`agentwrap.detect.heuristics`): named warnings as calls happen;
   thresholds in :class:`Thresholds` (``thresholds={"repeated_calls": 4}`` or
   ``AGENTWRAP_THRESHOLDS="repeated_calls=4"``).
3. **Detectors** (:mod:`agentwrap.detect.api`): your own function over a run's records,
   registered with :func:`agentwrap.register_detector` or the ``agentwrap.detectors`` entry
   point group; ``agentwrap backfill`` replays stored history through it.

Every warning carries ``first_seen``: the first time that pattern (event name, plus a
detector's ``key``) was ever seen, kept in an SQLite file (:mod:`agentwrap.detect.store`;
``store=`` / ``AGENTWRAP_STORE``, default under the user's data directory, ``"off"`` for
memory only) and moved back to the earliest stored occurrence by ``agentwrap backfill``.

Each event goes three ways: a span event on the span it is about, a record to the sinks (the
``agentwrap`` logger with the fields as ``extra`` attributes, so stdlib logging and structlog
both see them; the JSONL file), and the run summary record's ``"warnings"`` counter (beside
the seed's ``summarized_metadata``, which stays exactly the seed's). A record is::

    {"type": "event", "name": "tool.repeated_calls", "severity": "warning",
     "time_unix_nano": ..., "trace_id": ..., "span_id": ..., "run_id": ..., "run_name": ...,
     "release": ..., "fields": {"tool_name": "search_flights", "repeat_count": 3, "step": 3,
     ..., "first_seen": "2026-11-25T23:46:30.123Z", ...}}

Events and their fields
-----------------------

``step`` is the 1-based number of the LLM call (turn) in the run. Every ``warning`` also has
``first_seen`` (ISO 8601 UTC), ``first_seen_unix_nano`` and ``first_seen_trace_id``.

| Event | Layer | Severity | On span | Fields |
|---|---|---|---|---|
| `run.limit_reached` | 1 | warning | the run's root | `bound` (`max_turns`, `max_tool_calls`, `max_tool_retries`, `max_total_tokens`, `max_errors`, `max_wall_time`), `limit`, `value` (what the run reached), `step`, `mode` (`observe`/`enforce`), `action` (`observed`, `call_refused`, `next_call_refused`). Once per bound and run, the moment it is crossed. |
| `run.terminated` | 1 | info | the run's root (as `agentwrap.run.termination.*` attributes) | The seed's `termination_reason` (`completed`, `error`, `cancelled`, or the bound that stopped the run), `steps_taken`, `max_steps` (= `max_turns`), `num_errors` (failed calls + tool errors), `max_errors`, `steps_pct_of_limit`; plus `limits_reached`, `budget_mode`. Every run, at close: an INFO record on the `agentwrap` logger (where run summaries are logged), and in files and stores as the summary record's `"termination"`. |
| `tool.repeated_calls` | 2 | warning | `execute_tool` | `tool_name`, `repeat_count` (identical calls so far, >= `repeated_calls`, default 3), `step`, `arguments_hash`. |
| `llm.repeated_request` | 2 | warning | `chat` | `repeat_count` (identical full inputs sent, >= `repeated_request`, default 3), `step`, `input_hash`, `previous_error` (error type of the previous identical attempt, if any). |
| `tool.error_streak` | 2 | warning | the last failing `execute_tool` | `tool_name`, `streak` (= `error_streak`, default 3), `step`, `tools`. Once per streak. |
| `tool.oscillation` | 2 | warning | `execute_tool` | `tools` (the cycle, `[A, B]` or `[A, B, C]`), `period` (2 or 3), `cycle_length` (calls in the repeated cycle: `oscillation`, default 4, for A-B-A-B; 6 for A-B-C-A-B-C; same arguments each time), `step`. Once per cycle. |
| `output.truncated` | 2 | warning | `chat` | `step`, `finish_reason` (`length`, `max_tokens`, `max_output_tokens`), `output_tokens`, `max_tokens`. |
| `response.empty` | 2 | warning | `chat` | `step`, `finish_reason`, `output_tokens`: a completed answer with no text, no tool call and no refusal. |
| `prompt.growth` | 2 | warning | `chat` | `step`, `prompt_tokens`, `first_prompt_tokens`, `message_count`, `first_message_count`, `growth_ratio`. Once per run. |
| `latency.outlier` | 2 | warning | `chat` | `step`, `latency_s`, `median_s` (of the run's earlier calls), `ratio`. |
| *your detector's events* | 3 | warning | the run's root | Your fields, plus `detector` (its name); the record's `span_id` is the span the event names. |
"""

from __future__ import annotations

from agentwrap.detect.api import (
    ENTRY_POINT_GROUP,
    Detector,
    DetectorEvent,
    LLMCallRecord,
    RunRecords,
    ToolCallRecord,
    all_detectors,
    load_entry_point_detectors,
    register_detector,
    unregister_detector,
)
from agentwrap.detect.bounds import BOUND_NAMES, Bounds, BudgetExceeded
from agentwrap.detect.bounds import LIMIT_REACHED as _LIMIT_REACHED
from agentwrap.detect.bounds import TERMINATED as _TERMINATED
from agentwrap.detect.heuristics import REGISTRY as _REGISTRY
from agentwrap.detect.heuristics import Thresholds, looks_like_error
from agentwrap.detect.store import FirstSeen, FirstSeenStore, default_store_path, open_store

__all__ = [
    "BOUND_NAMES",
    "Bounds",
    "BudgetExceeded",
    "Detector",
    "DetectorEvent",
    "ENTRY_POINT_GROUP",
    "EVENT_NAMES",
    "FirstSeen",
    "FirstSeenStore",
    "LLMCallRecord",
    "RunRecords",
    "Thresholds",
    "ToolCallRecord",
    "all_detectors",
    "default_store_path",
    "load_entry_point_detectors",
    "looks_like_error",
    "open_store",
    "register_detector",
    "unregister_detector",
]

# The built-in events (layers 1 and 2), as in the table above (a test holds it to the registry).
EVENT_NAMES = (_LIMIT_REACHED, _TERMINATED, *(heuristic.event for heuristic in _REGISTRY))

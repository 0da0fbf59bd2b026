"""The per-run aggregate record, in exactly the schema of the seed document.

The seed's ``summarized_metadata`` fields, and what each one means here:

- ``trace_id``: the trace of the run's root span (32 hex digits).
- ``sequence_of_tool_calls``: every tool call the model asked for, in order; ``span_id`` is
  its ``execute_tool`` span; ``args`` the parsed arguments and ``result`` the result sent back,
  truncated (both ``null`` unless content capture is on).
- ``selected_tool_calls``: the distinct tool names, in order of first use.
- ``timing_of_each_tool_calls``: per tool span, from when the model asked for it to when its
  result went back to the model, as ``"0.45s"``.
- ``token_usage_of_each_tool_call``: per tool span, the usage of the LLM call that asked for
  it; a call asking for several tools shares its usage among them so sums never double-count.
- ``number_of_same_tool_retries``: calls that repeat an earlier call of the same tool with the
  same arguments (compared by canonical hash): three identical calls are two retries.
- ``total_number_of_turns``: the run's LLM calls (chat/generation requests, failed ones
  included; embeddings are not turns).
- ``overall_latency``: wall time from opening to closing the run.
- ``hash_of_prompt``: the prompt *version*: sha256 of the first call's system instructions and
  tool definitions (not the user's messages), so runs can be grouped by prompt version.
- ``release_version``: the run's release (``run(release=...)`` or ``AGENTWRAP_RELEASE``).
- ``llm_model``: the model that answered most of the run's calls (response model, else the
  requested one).
"""

from __future__ import annotations

from typing import Any

from agentwrap._accumulator import RunAccumulator

__all__ = ["SUMMARY_FIELDS", "build_summary", "build_summary_record"]

SUMMARY_FIELDS = (
    "trace_id",
    "sequence_of_tool_calls",
    "selected_tool_calls",
    "timing_of_each_tool_calls",
    "token_usage_of_each_tool_call",
    "number_of_same_tool_retries",
    "total_number_of_turns",
    "overall_latency",
    "hash_of_prompt",
    "release_version",
    "llm_model",
)


def _seconds(ns: int) -> str:
    return f"{max(ns, 0) / 1e9:.2f}s"


def _same_tool_retries(run: RunAccumulator) -> int:
    return sum(count - 1 for count in run.tool_key_counts.values())  # every call, kept or not


def _main_model(run: RunAccumulator) -> str | None:
    models = run.model_counts
    return models.most_common(1)[0][0] if models else None


def build_summary(run: RunAccumulator) -> dict[str, Any]:
    """The seed's ``summarized_metadata`` object for a closed run."""
    capture = run.telemetry.config.capture_content
    end_ns = run.ended_ns or 0
    tools = run.kept_tools()  # past the cap: the first and last RECORDS_KEPT (see tool_calls_dropped)
    return {
        "trace_id": run.trace_id,
        "sequence_of_tool_calls": [
            {
                "span_id": t.span_id,
                "tool": t.name,
                "args": t.arguments if capture else None,
                "result": t.result if capture else None,
            }
            for t in tools
        ],
        "selected_tool_calls": list(run.tool_names),
        "timing_of_each_tool_calls": {
            t.span_id: _seconds((t.ended_ns or end_ns) - t.requested_ns) for t in tools
        },
        "token_usage_of_each_tool_call": {t.span_id: dict(t.usage or {}) for t in tools},
        "number_of_same_tool_retries": _same_tool_retries(run),
        "total_number_of_turns": len(run.turns),
        "overall_latency": f"{run.latency_s:.2f}s",
        "hash_of_prompt": run.prompt_version_hash,
        "release_version": run.release,
        "llm_model": _main_model(run),
    }


def build_summary_record(run: RunAccumulator) -> dict[str, Any]:
    """The record the sinks get: the seed object as is, plus who the run was.

    A run with more than twice ``RECORDS_KEPT`` tool calls lists the first and the last
    ``RECORDS_KEPT`` of them in ``sequence_of_tool_calls`` (and the per-tool-call maps), and
    the record says how many were left out in ``tool_calls_dropped`` (beside the seed's
    object); every other field counts all of them.
    """
    record = {
        "type": "run.summary",
        "run_id": run.run_id,
        "run_name": run.name,
        "parent_run_id": run.parent.run_id if run.parent else None,
        # Sub-agents: runs opened inside this one (beside the seed's object, like the others).
        "child_runs": len(run.children),
        "child_run_ids": [child.run_id for child in run.children],
        "start_time_unix_nano": run.started_ns,
        "end_time_unix_nano": run.ended_ns,
        "summarized_metadata": build_summary(run),
        # Beside the seed's object, never inside it: its fields stay exactly the seed's.
        "warnings": dict(run.warning_counts),
        # run.terminated's fields (agentwrap.detect): why and how the run stopped, against its bounds.
        "termination": run.termination,
        # The whole run's tokens (the seed's per-tool-call usage misses the final answer's).
        "usage": _run_usage(run),
    }
    if run.tools.dropped:
        record["tool_calls_dropped"] = run.tools.dropped
    return record


def _run_usage(run: RunAccumulator) -> dict[str, int]:
    tokens_in, tokens_out = run.input_tokens, run.output_tokens
    return {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out}

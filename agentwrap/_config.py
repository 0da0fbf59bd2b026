"""Configuration: keyword arguments first, then ``AGENTWRAP_*`` variables, then defaults.

Standard ``OTEL_*`` variables keep their meaning (service name and resource through the OTel
SDK; ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` for content capture).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["Config", "load_config"]

_TRUE = ("1", "true", "yes", "on")
# Values of the OTel GenAI content-capture variable that mean "put content on spans".
_OTEL_CAPTURE_ON = ("true", "span_only", "span_and_event", "event_only")


@dataclass(frozen=True)
class Config:
    """Everything agentwrap can be told. Field names are also the ``instrument()`` keywords.

    Attributes:
        capture_content: Record message content, tool arguments and tool results. Off by
            default: only hashes, counts and names leave the process.
        result_max_chars: Tool results are truncated to this many characters in spans and
            summaries (the seed's "truncate to 100char").
        file: Append spans, events and run summaries to this JSONL file.
        release: Release version stamped on runs that do not give their own.
        log_summaries: Emit ``run.summary`` records on the ``agentwrap`` logger.
        implicit_runs: Thread LLM calls made outside any ``agentwrap.run()`` into implicit
            runs (one per app trace, else one per conversation). On by default under
            ``AGENTWRAP_AUTO_INSTRUMENT``; see :mod:`agentwrap._implicit`.
        implicit_idle_seconds: An implicit run closes after this long without a call.
        max_turns, max_tool_calls, max_tool_retries, max_total_tokens, max_errors,
            max_wall_time: Structural bounds of every run (``None``: unbounded); a run can
            set its own with ``agentwrap.run(max_turns=...)``. See :mod:`agentwrap.detect`.
        budget_mode: ``"observe"`` (crossing a bound emits ``run.limit_reached``) or
            ``"enforce"`` (the call past the bound raises ``agentwrap.BudgetExceeded``).
        thresholds: Heuristic thresholds by name (``{"repeated_calls": 4}``); see
            :class:`agentwrap.detect.Thresholds`.
        store: The embedded store file (or a ``postgresql://`` URL) that keeps run summaries
            and events for ``agentwrap report`` (``AGENTWRAP_STORE``). The ``first_seen``
            table of :mod:`agentwrap.detect` lives in that file (a URL: in the default file
            under the user's data directory, used when unset; ``"off"``: in memory only).
    """

    capture_content: bool = False
    result_max_chars: int = 100
    file: str | None = None
    release: str | None = None
    log_summaries: bool = True
    implicit_runs: bool = False
    implicit_idle_seconds: float = 300.0
    max_turns: int | None = None
    max_tool_calls: int | None = None
    max_tool_retries: int | None = None
    max_total_tokens: int | None = None
    max_errors: int | None = None
    max_wall_time: float | None = None
    budget_mode: str = "observe"
    thresholds: Mapping[str, float] = field(default_factory=dict)
    store: str | None = None

    def __post_init__(self) -> None:
        if self.budget_mode not in ("observe", "enforce"):
            raise ValueError(f"agentwrap: budget_mode must be observe or enforce, not {self.budget_mode!r}")
        from agentwrap.detect.heuristics import Thresholds  # late: detect is imported after config

        Thresholds.from_mapping(self.thresholds)  # unknown names raise ValueError here, not mid-run

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with the given fields replaced (unknown names raise TypeError)."""
        return replace(self, **overrides)


def _env_bool(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name)
    return None if raw is None or raw == "" else raw.strip().lower() in _TRUE


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    capture = _env_bool(env, "AGENTWRAP_CAPTURE_CONTENT")
    if capture is None:
        otel = env.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "").strip().lower()
        capture = otel in _OTEL_CAPTURE_ON if otel else None
    if capture is not None:
        values["capture_content"] = capture
    if env.get("AGENTWRAP_RESULT_MAX_CHARS", "").strip().isdigit():
        values["result_max_chars"] = int(env["AGENTWRAP_RESULT_MAX_CHARS"])
    if env.get("AGENTWRAP_FILE"):
        values["file"] = env["AGENTWRAP_FILE"]
    if env.get("AGENTWRAP_RELEASE"):
        values["release"] = env["AGENTWRAP_RELEASE"]
    log = _env_bool(env, "AGENTWRAP_LOG_SUMMARIES")
    if log is not None:
        values["log_summaries"] = log
    implicit = _env_bool(env, "AGENTWRAP_IMPLICIT_RUNS")
    if implicit is not None:
        values["implicit_runs"] = implicit
    try:
        values["implicit_idle_seconds"] = float(env["AGENTWRAP_IMPLICIT_IDLE_SECONDS"])
    except (KeyError, ValueError):
        pass  # unset or malformed: the default
    values.update(_detect_from_env(env))
    return values


_BOUND_VARIABLES = {
    "max_turns": int,
    "max_tool_calls": int,
    "max_tool_retries": int,
    "max_total_tokens": int,
    "max_errors": int,
    "max_wall_time": float,
}


def _detect_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Bounds, budget mode, heuristic thresholds and the first_seen store (``agentwrap.detect``)."""
    values: dict[str, Any] = {}
    for name, kind in _BOUND_VARIABLES.items():
        raw = env.get("AGENTWRAP_" + name.upper(), "").strip()
        try:
            if raw:
                values[name] = kind(raw)
        except ValueError:
            pass  # a malformed variable is ignored, like an unset one
    mode = env.get("AGENTWRAP_BUDGET_MODE", "").strip().lower()
    if mode in ("observe", "enforce"):
        values["budget_mode"] = mode
    thresholds: dict[str, float] = {}
    for item in env.get("AGENTWRAP_THRESHOLDS", "").split(","):  # "repeated_calls=4,latency_factor=3"
        key, _, raw = item.partition("=")
        try:
            thresholds[key.strip()] = float(raw)
        except ValueError:
            continue
    if thresholds:
        values["thresholds"] = thresholds
    if env.get("AGENTWRAP_STORE"):
        values["store"] = env["AGENTWRAP_STORE"]
    return values


def load_config(env: Mapping[str, str] | None = None, **kwargs: Any) -> Config:
    """Build a Config from keyword arguments over environment variables over defaults."""
    known = {f.name for f in fields(Config)}
    unknown = set(kwargs) - known
    if unknown:
        raise TypeError(f"agentwrap: unknown configuration option(s): {', '.join(sorted(unknown))}")
    values = _from_env(os.environ if env is None else env)
    values.update({k: v for k, v in kwargs.items() if v is not None})
    return Config(**values)

"""Configuration: keyword arguments first, then ``AGENTWRAP_*`` variables, then defaults.

Standard ``OTEL_*`` variables keep their meaning (service name and resource through the OTel
SDK; ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` for content capture).

Every value is checked once, here, by :mod:`agentwrap._settings`: a bad keyword argument (or
``Config`` field) raises ``TypeError`` or ``ValueError`` naming the setting and what it
accepts; a bad variable is one warning line on the ``agentwrap`` logger (once per process),
and is ignored as if it were unset, so that everything else is still traced.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from agentwrap._log import log
from agentwrap._settings import check, parse_variable

__all__ = ["Config", "config_changes", "load_config"]

# Values of the OTel GenAI content-capture variable that mean "put content on spans", or not.
_OTEL_CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_OTEL_CAPTURE_ON = ("true", "span_only", "span_and_event", "event_only")
_OTEL_CAPTURE_OFF = ("false", "no_content")


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

    Raises:
        TypeError: A value of the wrong type (``max_turns="abc"``).
        ValueError: A value out of range (``max_turns=-1``, an unknown threshold or budget mode).
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
        for setting in fields(self):  # frozen: the checked (normalized) values are set in place
            object.__setattr__(self, setting.name, check(setting.name, getattr(self, setting.name)))

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with the given fields replaced (unknown names raise TypeError)."""
        return replace(self, **overrides)


def config_changes(before: Config, after: Config) -> list[tuple[str, Any, Any]]:
    """The settings that differ between two configs: (name, before, after), in field order."""
    return [
        (f.name, getattr(before, f.name), getattr(after, f.name))
        for f in fields(Config)
        if getattr(before, f.name) != getattr(after, f.name)
    ]


_warned: set[tuple[str, str]] = set()  # (variable, value) already reported


def _ignore(variable: str, raw: str, why: object, what: str = "is ignored") -> None:
    """One warning line for a bad variable, once per value and process."""
    if (variable, raw) not in _warned:
        _warned.add((variable, raw))
        log.warning("agentwrap: %s=%r %s: %s", variable, raw, what, str(why).removeprefix("agentwrap: "))


def _otel_capture(env: Mapping[str, str]) -> bool | None:
    raw = env.get(_OTEL_CAPTURE, "").strip()
    if raw.lower() in _OTEL_CAPTURE_ON or raw.lower() in _OTEL_CAPTURE_OFF:
        return raw.lower() in _OTEL_CAPTURE_ON
    if raw:
        _ignore(_OTEL_CAPTURE, raw, f"it accepts {', '.join(_OTEL_CAPTURE_ON + _OTEL_CAPTURE_OFF)}")
    return None


def _thresholds(variable: str, raw: str) -> dict[str, float]:
    """``AGENTWRAP_THRESHOLDS``: each good item is kept, the bad ones are reported together."""
    kept: dict[str, float] = {}
    bad: list[str] = []
    for item in filter(str.strip, raw.split(",")):
        try:
            kept.update(parse_variable("thresholds", item))
        except (TypeError, ValueError) as exc:
            bad.append(f"{item.strip()!r} ({str(exc).removeprefix('agentwrap: ')})")
    if bad:
        _ignore(variable, raw, "; ".join(bad), "has items ignored" if kept else "is ignored")
    return kept


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for setting in fields(Config):
        variable = "AGENTWRAP_" + setting.name.upper()
        raw = env.get(variable, "")
        if not raw.strip():
            continue  # unset or empty: the default
        if setting.name == "thresholds":
            values["thresholds"] = _thresholds(variable, raw)
            continue
        try:
            values[setting.name] = parse_variable(setting.name, raw)
        except (TypeError, ValueError) as exc:
            _ignore(variable, raw, exc)
    if "capture_content" not in values:
        capture = _otel_capture(env)
        if capture is not None:
            values["capture_content"] = capture
    return values


def load_config(env: Mapping[str, str] | None = None, **kwargs: Any) -> Config:
    """Build a Config from keyword arguments over environment variables over defaults.

    Raises:
        TypeError: An unknown keyword, or a value of the wrong type.
        ValueError: A value out of range. (Bad variables are reported and ignored instead.)
    """
    known = {f.name for f in fields(Config)}
    unknown = set(kwargs) - known
    if unknown:
        raise TypeError(
            f"agentwrap: unknown configuration option(s): {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    values = _from_env(os.environ if env is None else env)
    values.update({k: v for k, v in kwargs.items() if v is not None})
    return Config(**values)

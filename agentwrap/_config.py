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
        store: The embedded store file (or a ``postgresql://`` URL) that keeps run summaries
            and events for ``agentwrap report`` (``AGENTWRAP_STORE``).
    """

    capture_content: bool = False
    result_max_chars: int = 100
    file: str | None = None
    release: str | None = None
    log_summaries: bool = True
    store: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

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

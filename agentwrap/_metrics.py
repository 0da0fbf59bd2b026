"""OpenTelemetry metrics: the GenAI client histograms per LLM call, and run-level metrics.

Recorded once per call when it ends and once per run when it closes (never per stream
chunk), from values the call and the run already hold. Without a MeterProvider (none passed
to ``instrument(meter_provider=...)``, none set globally, no OTLP endpoint configured) the
instruments are the API's no-ops and recording costs a few attribute look-ups.

GenAI names, units and buckets follow the semantic conventions v1.41 (GENAI-SEMCONV §6):
``gen_ai.client.token.usage`` ({token}, bucket set T), ``gen_ai.client.operation.duration``
and ``gen_ai.client.operation.time_to_first_chunk`` (s, bucket set D). Run-level metrics are
agentwrap's own (``agentwrap.run.*``), with the release and prompt version as attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import metrics
from opentelemetry.metrics import _internal as _metrics_internal

from agentwrap import _semconv as sc
from agentwrap._version import __version__

if TYPE_CHECKING:
    from agentwrap.records import LLMRequest, LLMResponse

__all__ = ["DURATION_BUCKETS", "TOKEN_BUCKETS", "Metrics"]

DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
TOKEN_BUCKETS = [
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
]  # fmt: skip
COUNT_BUCKETS = [0, 1, 2, 4, 8, 16, 32, 64, 128]
RUN_DURATION_BUCKETS = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6]

GEN_AI_TOKEN_TYPE = "gen_ai.token.type"


def _histogram(meter: metrics.Meter, name: str, unit: str, description: str, buckets: list[Any]) -> Any:
    try:
        return meter.create_histogram(name, unit, description, explicit_bucket_boundaries_advisory=buckets)
    except TypeError:  # an API older than the bucket advisory
        return meter.create_histogram(name, unit, description)


def _global_meter_provider_unset() -> bool:
    """Whether no global MeterProvider has been set yet (False if the API hides it)."""
    return getattr(_metrics_internal, "_METER_PROVIDER", True) is None


class Metrics:
    """The instruments, created once per ``instrument()`` from a MeterProvider."""

    def __init__(self, meter_provider: Any = None) -> None:
        provider = meter_provider or metrics.get_meter_provider()
        # The API's stand-in while the app has set no MeterProvider: its instruments record
        # nothing until one is set, so per-call recording is skipped until then.
        self._unset_global = type(provider).__name__ == "_ProxyMeterProvider"
        meter = provider.get_meter("agentwrap", __version__)
        self.token_usage = _histogram(
            meter,
            "gen_ai.client.token.usage",
            "{token}",
            "Input and output tokens per LLM call.",
            TOKEN_BUCKETS,
        )
        self.duration = _histogram(
            meter, "gen_ai.client.operation.duration", "s", "Duration of an LLM call.", DURATION_BUCKETS
        )
        self.time_to_first_chunk = _histogram(
            meter,
            "gen_ai.client.operation.time_to_first_chunk",
            "s",
            "Time from the request to the first streamed chunk.",
            DURATION_BUCKETS,
        )
        self.run_duration = _histogram(
            meter, "agentwrap.run.duration", "s", "Overall latency of an agent run.", RUN_DURATION_BUCKETS
        )
        self.run_turns = _histogram(
            meter, "agentwrap.run.turns", "{turn}", "LLM calls per run.", COUNT_BUCKETS
        )
        self.run_tool_calls = _histogram(
            meter, "agentwrap.run.tool_calls", "{tool_call}", "Tool calls per run.", COUNT_BUCKETS
        )
        self.run_retries = _histogram(
            meter, "agentwrap.run.same_tool_retries", "{retry}", "Same-tool retries per run.", COUNT_BUCKETS
        )
        self.run_tokens = _histogram(
            meter, "agentwrap.run.tokens", "{token}", "Tokens per run.", TOKEN_BUCKETS
        )
        self.runs = meter.create_counter("agentwrap.runs", "{run}", "Agent runs closed.")
        self.warnings = meter.create_counter("agentwrap.warnings", "{warning}", "Warning events, by name.")

    def record_call(
        self,
        request: LLMRequest,
        response: LLMResponse | None,
        started_ns: int,
        end_ns: int,
        first_chunk_ns: int | None,
        error_type: str | None,
    ) -> None:
        """One LLM call ended (successfully or not)."""
        if self._unset_global and _global_meter_provider_unset():
            return
        attrs = sc.call_identity_attributes(request)
        if response is not None and response.model:
            attrs[sc.GEN_AI_RESPONSE_MODEL] = response.model
        timing = dict(attrs, **{sc.ERROR_TYPE: error_type}) if error_type else attrs
        self.duration.record(max(end_ns - started_ns, 0) / 1e9, timing)
        if request.stream and first_chunk_ns is not None:
            self.time_to_first_chunk.record(max(first_chunk_ns - started_ns, 0) / 1e9, timing)
        usage = response.usage if response is not None else None
        if usage is not None:
            if usage.input_tokens is not None:
                self.token_usage.record(usage.input_tokens, dict(attrs, **{GEN_AI_TOKEN_TYPE: "input"}))
            if usage.output_tokens is not None:
                self.token_usage.record(usage.output_tokens, dict(attrs, **{GEN_AI_TOKEN_TYPE: "output"}))

    def record(self, record: dict[str, Any]) -> None:
        """A record went to the sinks: a closed run's summary, or a warning event."""
        kind = record.get("type")
        if kind == "run.summary":
            self._record_run(record)
        elif kind == "event" and record.get("severity") == "warning":
            attrs = {sc.AGENTWRAP_WARNING_NAME: str(record.get("name"))}
            if record.get("release"):
                attrs[sc.AGENTWRAP_RUN_RELEASE] = str(record["release"])
            self.warnings.add(1, attrs)

    def _record_run(self, record: dict[str, Any]) -> None:
        summary = record.get("summarized_metadata") or {}
        attrs: dict[str, Any] = {}
        for key, value in (
            (sc.AGENTWRAP_RUN_NAME, record.get("run_name")),
            (sc.AGENTWRAP_RUN_RELEASE, summary.get("release_version")),
            (sc.GEN_AI_REQUEST_MODEL, summary.get("llm_model")),
            (sc.AGENTWRAP_PROMPT_VERSION_HASH, summary.get("hash_of_prompt")),
        ):
            if value:
                attrs[key] = str(value)
        self.runs.add(1, attrs)
        latency = str(summary.get("overall_latency") or "0").rstrip("s")
        self.run_duration.record(float(latency or 0), attrs)
        self.run_turns.record(int(summary.get("total_number_of_turns") or 0), attrs)
        tool_calls = len(summary.get("sequence_of_tool_calls") or []) + int(
            record.get("tool_calls_dropped") or 0
        )
        self.run_tool_calls.record(tool_calls, attrs)
        self.run_retries.record(int(summary.get("number_of_same_tool_retries") or 0), attrs)
        usage = record.get("usage")
        if isinstance(usage, dict):
            self.run_tokens.record(int(usage.get("total_tokens") or 0), attrs)

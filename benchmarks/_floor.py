"""The ``spans-only`` variant: the OTel spans agentwrap emits per call, and nothing else.

It wraps the SDKs' ``request`` at class level as agentwrap does and, per call, starts the
call's span with request attributes (current while the SDK sends), sets response attributes,
ends it, then starts and ends one tool span when the scenario's answer asks for a tool (the
non-streaming scenarios). No hashing, no run, no detectors, no stream handling: the cost of the
spans alone in the same pipeline, so the report can split agentwrap's added time into what any
instrumentation emitting these spans pays (OTel SDK, processor, exporter) and agentwrap's
own work.
"""

from __future__ import annotations

import importlib
from typing import Any

import wrapt
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AnyValue

__all__ = ["install_spans_only"]

_REQUEST: dict[str, AnyValue] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "server.address": "bench.invalid",
    "server.port": 80,
    "gen_ai.request.temperature": 0.2,
    "agentwrap.prompt.hash": "sha256-" + "0" * 64,
    "agentwrap.prompt.version_hash": "sha256-" + "1" * 64,
    "openai.api.type": "chat_completions",
}
_RESPONSE: dict[str, AnyValue] = {
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.response.model": "gpt-4o-mini",
    "gen_ai.response.finish_reasons": ["tool_calls"],
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.usage.output_tokens": 60,
    "gen_ai.usage.cache_read.input_tokens": 0,
    "gen_ai.usage.reasoning.output_tokens": 0,
    "openai.response.system_fingerprint": "fp_fake",
    "openai.response.service_tier": "default",
}
_TOOL: dict[str, AnyValue] = {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": "lookup_booking",
    "gen_ai.tool.call.id": "call_1",
    "gen_ai.tool.type": "function",
    "agentwrap.tool.call.arguments_hash": "sha256-" + "2" * 64,
}


def _spans(tracer: trace.Tracer, stream: bool) -> tuple[Any, Any]:
    span = tracer.start_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=_REQUEST)
    return span, context.attach(trace.set_span_in_context(span))


def _end(tracer: trace.Tracer, span: Any, token: Any, stream: bool) -> None:
    context.detach(token)
    span.set_attributes(_RESPONSE)
    span.end()
    if not stream:  # the non-streaming scenarios' answers ask for one tool
        tracer.start_span("execute_tool lookup_booking", attributes=_TOOL).end()


def install_spans_only(provider: Any) -> dict[str, str]:
    """Wrap openai's and anthropic's client classes; ``{sdk: status}``."""
    tracer = provider.get_tracer("spans-only")

    def sync(wrapped: Any, instance: Any, args: Any, kwargs: dict[str, Any]) -> Any:
        stream = bool(kwargs.get("stream"))
        span, token = _spans(tracer, stream)
        try:
            return wrapped(*args, **kwargs)
        finally:
            _end(tracer, span, token, stream)

    async def asynchronous(wrapped: Any, instance: Any, args: Any, kwargs: dict[str, Any]) -> Any:
        stream = bool(kwargs.get("stream"))
        span, token = _spans(tracer, stream)
        try:
            return await wrapped(*args, **kwargs)
        finally:
            _end(tracer, span, token, stream)

    status = {}
    for sdk in ("openai", "anthropic"):
        base = importlib.import_module(f"{sdk}._base_client")
        wrapt.wrap_function_wrapper(base, "SyncAPIClient.request", sync)
        wrapt.wrap_function_wrapper(base, "AsyncAPIClient.request", asynchronous)
        status[sdk] = "ok"
    return status

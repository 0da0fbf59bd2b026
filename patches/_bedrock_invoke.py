"""Bedrock InvokeModel and InvokeModelWithResponseStream: a model's own body format.

The body is the model provider's format. Anthropic's Messages body (Claude on Bedrock: an
``anthropic_version`` and ``messages``) is read by the Anthropic patch's translators, its
answer and stream events alike. Any other body is traced with its model and a hash of the
body; its token counts come from what Bedrock reports for every model: the
``x-amzn-bedrock-input-token-count`` / ``-output-token-count`` response headers, and in a
stream the ``amazon-bedrock-invocationMetrics`` of the last chunk.
"""

from __future__ import annotations

import json
from typing import Any

from agentwrap.provider import LLMRequest, LLMResponse, Usage, semconv, sha256_hex, token_count

from ._anthropic_messages import MessagesEndpoint, MessagesStreamAccumulator
from ._bedrock_converse import BEDROCK
from ._httpx import _namespace

__all__ = ["InvokeEndpoint", "InvokeStreamAccumulator", "json_body"]

_MESSAGES = MessagesEndpoint()
_METRICS = "amazon-bedrock-invocationMetrics"


def json_body(raw: Any) -> dict[str, Any]:
    """The JSON object of an InvokeModel ``body`` given as bytes or str (a file is not read)."""
    if not isinstance(raw, (bytes, bytearray, str)):
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _is_messages(body: dict[str, Any]) -> bool:
    return isinstance(body.get("messages"), list) and "anthropic_version" in body


def _usage(input_count: Any, output_count: Any) -> Usage | None:
    """Bedrock's own counts (header strings or metric numbers) as neutral usage, None if neither."""
    usage = Usage(
        input_tokens=token_count(input_count, "inputTokenCount"),
        output_tokens=token_count(output_count, "outputTokenCount"),
    )
    return usage if usage.input_tokens is not None or usage.output_tokens is not None else None


class InvokeEndpoint:
    """Translator for one InvokeModel call (made per call: it knows the model and the body's format)."""

    __slots__ = ("model_id", "stream", "messages")

    def __init__(self, model_id: str | None, stream: bool) -> None:
        self.model_id, self.stream = model_id, stream
        self.messages = False

    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        """The neutral request: Anthropic's when the body is its Messages format, else a generic one."""
        self.messages = _is_messages(body)
        if self.messages:
            request = _MESSAGES.request(body, stream)
            request.provider, request.model, request.stream = BEDROCK, self.model_id, stream
            return request
        return LLMRequest(
            provider=BEDROCK,
            operation=semconv.OP_CHAT
            if isinstance(body.get("messages"), list)
            else semconv.OP_TEXT_COMPLETION,
            model=self.model_id,
            stream=stream,
            input_hash=sha256_hex(body) if body else None,
        )

    def response(self, answer: tuple[bytes, dict[str, Any]]) -> LLMResponse:
        """The neutral response for the body's bytes and the HTTP headers they came with."""
        data, headers = answer
        if self.messages:
            response = _MESSAGES.response(_namespace(data))
            response.model = response.model or self.model_id
            return response
        return LLMResponse(
            usage=_usage(
                headers.get("x-amzn-bedrock-input-token-count"),
                headers.get("x-amzn-bedrock-output-token-count"),
            )
        )

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> InvokeStreamAccumulator:
        """A fresh accumulator for one InvokeModelWithResponseStream event stream."""
        inner = MessagesStreamAccumulator(request, body) if self.messages else None
        return InvokeStreamAccumulator(inner)


class InvokeStreamAccumulator:
    """Adds up ``{"chunk": {"bytes": ...}}`` events: Anthropic's stream events, or any model's chunks."""

    __slots__ = ("_inner", "_metrics")

    def __init__(self, inner: MessagesStreamAccumulator | None) -> None:
        self._inner = inner
        self._metrics: Any = None

    def add(self, event: Any) -> None:
        """See one event."""
        data = event.get("chunk", {}).get("bytes") if isinstance(event, dict) else None
        if not isinstance(data, (bytes, bytearray)):
            return
        if self._inner is None and _METRICS.encode() not in data:
            return  # a model whose chunks we do not read: only the last one's counts matter
        parsed = _namespace(bytes(data))
        if isinstance(parsed, dict) and _METRICS in parsed:
            self._metrics = parsed[_METRICS]
        if self._inner is not None:
            self._inner.add(parsed)

    def response(self, completed: bool) -> LLMResponse:
        """What the chunks add up to; Bedrock's counts stand in where the model's are estimates."""
        metrics = self._metrics if isinstance(self._metrics, dict) else {}
        reported = _usage(metrics.get("inputTokenCount"), metrics.get("outputTokenCount"))
        if self._inner is None:
            return LLMResponse(usage=reported)
        response = self._inner.response(completed)
        if reported is not None and (response.usage is None or response.usage.estimated):
            response.usage = reported
        return response

"""OpenAI Embeddings: ``POST /embeddings``.

An embeddings call gets its span (``embeddings {model}``) but is not a turn of the run: it
asks the model for no answer, so it neither counts in ``total_number_of_turns`` nor sets the
run's prompt version. Recent SDKs ask for ``base64`` on the wire when the caller chose no
format (and decode it for them): the recorded ``gen_ai.request.encoding_formats`` is what was
sent.
"""

from __future__ import annotations

from typing import Any

from agentwrap.provider import LLMRequest, LLMResponse, StreamAccumulator, Usage, semconv, sha256_hex

from ._openai_fields import field

__all__ = ["EmbeddingsEndpoint"]


class EmbeddingsEndpoint:
    """Translator for ``/embeddings``."""

    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        """Build the neutral request from the JSON body."""
        inputs = body.get("input")
        attributes: dict[str, Any] = {}
        encoding = body.get("encoding_format")
        if isinstance(encoding, str):
            attributes[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
        dimensions = body.get("dimensions")
        if isinstance(dimensions, int) and not isinstance(dimensions, bool):
            attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
        batch = isinstance(inputs, list) and not all(isinstance(i, int) for i in inputs)
        return LLMRequest(
            provider=semconv.PROVIDER_OPENAI,
            operation=semconv.OP_EMBEDDINGS,
            model=body.get("model") if isinstance(body.get("model"), str) else None,
            input_hash=sha256_hex(inputs),
            message_count=len(inputs) if batch and isinstance(inputs, list) else 1,
            counts_as_turn=False,
            attributes=attributes,
        )

    def response(self, result: Any) -> LLMResponse:
        """Build the neutral response from a ``CreateEmbeddingResponse``."""
        attributes: dict[str, Any] = {}
        data = field(result, "data") or []
        vector = field(data[0], "embedding") if data else None
        if isinstance(vector, list) and vector:
            attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)
        usage = field(result, "usage")
        tokens = field(usage, "prompt_tokens")
        return LLMResponse(
            model=field(result, "model"),
            usage=Usage(input_tokens=tokens) if isinstance(tokens, int) else None,
            attributes=attributes,
        )

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> StreamAccumulator:
        """Embeddings never stream."""
        raise TypeError("the embeddings endpoint does not stream")

"""Script items for :class:`~agentwrap.testing.FakeLLMServer`: what the fake model answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """A tool (function) call the fake model makes.

    Attributes:
        name: Name of the tool to call.
        arguments: Tool arguments. Sent as a JSON string to OpenAI clients and as a JSON
            object to Anthropic clients.
        id: Call id. When ``None`` the server generates a deterministic one
            (``call_<n>`` for OpenAI, ``toolu_<n>`` for Anthropic).
    """

    name: str
    arguments: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class Usage:
    """Token usage reported by the fake model.

    Values are copied verbatim into each provider's usage fields (no provider-specific
    arithmetic), so what a test asserts on is exactly what it scripted.

    Attributes:
        input_tokens: Prompt tokens (``prompt_tokens`` / ``input_tokens``).
        output_tokens: Generated tokens (``completion_tokens`` / ``output_tokens``).
        cache_read_input_tokens: Tokens read from the prompt cache (OpenAI ``cached_tokens``).
        cache_creation_input_tokens: Tokens written to the prompt cache.
        reasoning_tokens: Reasoning tokens (OpenAI only; Anthropic has no such field).
    """

    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Reply:
    """A successful model answer, rendered in whichever wire format the request used.

    Attributes:
        text: Assistant text.
        tool_calls: Tool calls to make; any sequence is accepted and stored as a tuple.
        usage: Token usage; ``None`` computes a deterministic estimate from the request.
        finish_reason: OpenAI-style finish reason; ``None`` means ``"tool_calls"`` when there
            are tool calls, else ``"stop"``. Mapped for Anthropic (``tool_use``, ``end_turn``,
            ``max_tokens``); Anthropic names are mapped back for OpenAI.
        model: Model name to report; ``None`` echoes the request's model.
        delay: Seconds to wait before the response headers are sent.
        chunk_delay: Seconds to wait between SSE events when streaming.
        chunks: Streaming only: split the text into this many content chunks
            (default: one chunk per word).
        include_usage: Streaming only: whether to send usage. ``None`` follows the request
            (OpenAI Chat: ``stream_options.include_usage``; Anthropic/Responses: always).
        fail_after_chunks: Streaming only: abruptly close the connection after this many
            content events (text or tool-argument deltas) to simulate a mid-stream failure.
            A reply with fewer content events completes normally.
        raw_usage: Fields written verbatim over the usage object the reply sends, in the
            wire format's own names (``{"prompt_tokens": "many"}``, ``{"input_tokens": None}``):
            values a well-behaved server never sends, for testing how a client copes.
        refusal: A refusal instead of the answer's text (OpenAI structured outputs): Chat
            sends it as ``message.refusal`` with null content (streamed: ``refusal`` deltas),
            Responses as a ``refusal`` part of the message item. Anthropic has no such field
            (its refusal is the ``refusal`` stop reason: ``finish_reason="content_filter"``).
        reasoning: The model's reasoning, sent before the answer: an Anthropic ``thinking``
            block (streamed: ``thinking_delta`` events), a Responses ``reasoning`` item with
            one summary part (streamed: in the terminal event's response), Gemini parts marked
            ``thought`` (streamed: one per piece, before the text). Chat has none.
    """

    text: str = ""
    # Sequence so that passing a list type-checks; __post_init__ always stores a tuple.
    tool_calls: Sequence[ToolCall] = ()
    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    chunks: int | None = None
    include_usage: bool | None = None
    fail_after_chunks: int | None = None
    raw_usage: Mapping[str, Any] | None = None
    refusal: str | None = None
    reasoning: str | None = None

    def __post_init__(self) -> None:
        # Frozen dataclass: object.__setattr__ is the sanctioned way to normalise a field.
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        if self.delay < 0 or self.chunk_delay < 0:
            raise ValueError("delay and chunk_delay must be >= 0")
        if self.chunks is not None and self.chunks < 1:
            raise ValueError("chunks must be >= 1")
        if self.fail_after_chunks is not None and self.fail_after_chunks < 0:
            raise ValueError("fail_after_chunks must be >= 0")


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error answer, rendered in the provider's error format.

    Attributes:
        status: HTTP status code (the SDKs map it to their error classes, e.g. 429 ->
            ``RateLimitError``, 500 -> ``InternalServerError``).
        message: Error message.
        type: Error type. The default ``"server_error"`` becomes ``"api_error"`` for Anthropic.
        delay: Seconds to wait before the response is sent.
        headers: Extra response headers, e.g. ``{"retry-after": "1"}``.
    """

    status: int = 500
    message: str = "internal error"
    type: str = "server_error"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received.

    Attributes:
        method: HTTP method, e.g. ``"POST"``.
        path: Request path without the query string, e.g. ``"/v1/chat/completions"``.
        headers: Request headers with lower-cased names.
        body: Parsed JSON body, or ``None`` when it was empty or not a JSON object.
        received_at: Arrival time (``time.time()``).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    received_at: float

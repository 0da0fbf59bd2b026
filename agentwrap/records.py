"""Neutral records: what a provider patch tells the core about one LLM call, and what a run keeps.

Patches translate an SDK's request, response and stream objects into these dataclasses and
nothing else crosses the boundary: the core never sees an SDK type. Adding a provider means
filling these records, not teaching the core a new object model. When a call of a run ends,
the run keeps it as one :class:`LLMCallRecord`, the record its observers and detectors read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LLMCallRecord",
    "LLMRequest",
    "LLMResponse",
    "ToolCallRequest",
    "ToolResult",
    "Usage",
]


@dataclass(slots=True)
class Usage:
    """Token usage of one call, already mapped to the OTel GenAI meaning.

    ``input_tokens`` is the total input *including* cached tokens (Anthropic reports cache
    separately; its patch adds them up). The cache and reasoning counts are subsets.
    ``estimated`` is true when the provider sent no usage and agentwrap counted tokens itself.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    reasoning_output_tokens: int | None = None
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens, counting an unknown side as zero."""
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass(slots=True)
class ToolCallRequest:
    """A tool call the model asked for in a response.

    ``arguments`` is what the model produced: usually a JSON string (OpenAI) or an object
    (Anthropic). The core parses and hashes it; it may be malformed.
    """

    call_id: str
    name: str
    arguments: Any = None


@dataclass(slots=True)
class ToolResult:
    """A tool result the application sent back to the model in a later request."""

    call_id: str
    content: Any = None
    is_error: bool = False


@dataclass(slots=True)
class LLMRequest:
    """What the application asked for.

    ``params`` holds request parameters already keyed by their ``gen_ai.request.*`` suffix
    (``temperature``, ``max_tokens``, ...). ``input_hash`` identifies the whole input (for
    duplicate-request detection); ``prompt_version_hash`` identifies the prompt *version*
    (system instructions and tool definitions) and is the run's ``hash_of_prompt``.
    ``messages``, ``system`` and ``tools`` are only kept when content capture is on, already in
    the GenAI conventions' message-parts form. ``attributes`` carries provider-specific span
    attributes (``openai.api.type``, ...) that the core copies without reading.
    ``prefix_hashes[i]`` identifies the conversation's leading items ``0..i`` (instructions
    first, then messages; see :func:`agentwrap.provider.conversation_hashes`): the core threads
    calls made outside any run into one implicit run because each request extends the last.
    """

    provider: str
    operation: str
    model: str | None
    stream: bool = False
    server_address: str | None = None
    server_port: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    input_hash: str | None = None
    prompt_version_hash: str | None = None
    message_count: int = 0
    tool_results: list[ToolResult] = field(default_factory=list)
    previous_response_id: str | None = None
    prefix_hashes: list[str] | None = None
    messages: Any = None
    system: Any = None
    tools: Any = None
    counts_as_turn: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LLMResponse:
    """What the model answered (for a stream: what the drained stream added up to).

    ``refusal`` is the text of a refusal the API reports apart from the answer (OpenAI's
    ``message.refusal``, a Responses ``refusal`` part; ``""`` for Anthropic's ``refusal`` stop
    reason): an answer, not an empty one. ``reasoning`` holds the model's reasoning text
    (Anthropic thinking blocks, Responses reasoning summaries, Gemini thought parts), one entry
    per block; translators fill it only with content capture on.
    """

    response_id: str | None = None
    model: str | None = None
    finish_reasons: list[str] = field(default_factory=list)
    usage: Usage | None = None
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    output_text: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    refusal: str | None = None
    reasoning: tuple[str, ...] = ()


@dataclass(slots=True, unsafe_hash=True)
class LLMCallRecord:
    """One LLM call of a run (chat/generation; embeddings are not turns), once it has ended.

    The run builds it once, when the call ends, and shares it: the run's records and totals,
    its observers (bounds, heuristics) and user detectors (``RunRecords.llm_calls``) all read
    the same object, so treat it as read-only. It is not frozen only because a frozen
    dataclass costs about twice as much to build, and one is built per call.

    ``step`` is its 1-based position among the run's calls. ``input_hash`` identifies the
    whole input (two calls with the same hash sent the same request).
    """

    span_id: str
    step: int
    model: str | None
    start_ns: int
    end_ns: int
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reasons: tuple[str, ...] = ()
    error_type: str | None = None
    input_hash: str | None = None
    tool_call_count: int = 0

    @property
    def duration_s(self) -> float:
        """Wall time of the call in seconds."""
        return max(self.end_ns - self.start_ns, 0) / 1e9

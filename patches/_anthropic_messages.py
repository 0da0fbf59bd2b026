"""Anthropic Messages: ``POST /v1/messages`` (also the beta surface), JSON and SSE events.

Request fields come from the JSON body the SDK is about to send (``options.json_data``: a dict
whose unset fields hold the SDK's ``Omit`` sentinel, so every value is type-checked before use);
response fields from the SDK's parsed ``Message`` / ``BetaMessage`` / ``ParsedMessage`` objects
and raw stream events, read by attribute name so that unknown or missing fields degrade to
"not recorded" instead of an error. Content blocks in the request may be dicts (what users write)
or the SDK's own models (an assistant turn appended as ``response.content``); both are read.
"""

from __future__ import annotations

import json
from typing import Any

from agentwrap.provider import (
    LLMRequest,
    LLMResponse,
    ToolCallRequest,
    ToolResult,
    Usage,
    canonical_json,
    capture_content,
    conversation_hashes,
    count_tokens,
    semconv,
    sha256_hex_items,
    token_count,
)

from ._prompt_version import prompt_version as _shared_prompt_version

__all__ = ["MessagesEndpoint", "MessagesStreamAccumulator", "usage_from"]

_NUMBER_PARAMS = ("max_tokens", "temperature", "top_p", "top_k")
_OUTPUT_TYPES = {"json_schema": "json"}


def _get(obj: Any, name: str) -> Any:
    """A field of a request block: a dict key or a model attribute."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def request_params(body: dict[str, Any]) -> dict[str, Any]:
    """The ``gen_ai.request.*`` parameters present in a body."""
    params: dict[str, Any] = {}
    for key in _NUMBER_PARAMS:
        value = body.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            params[key] = value
    stop = body.get("stop_sequences")
    if isinstance(stop, list) and stop and all(isinstance(s, str) for s in stop):
        params["stop_sequences"] = list(stop)
    return params


def _output_type(body: dict[str, Any]) -> str | None:
    # ``output_config.format`` (``output_format`` in older and beta SDKs); messages.parse sets it.
    for fmt in (_get(body.get("output_config"), "format"), body.get("output_format")):
        kind = _get(fmt, "type")
        if isinstance(kind, str) and kind in _OUTPUT_TYPES:
            return _OUTPUT_TYPES[kind]
    return None


def prompt_version(system: Any, tools: Any) -> str | None:
    """The hash of a prompt version: its system instructions and tool definitions.

    The OpenAI patches' hash, on the same normalized form (system text joined from its blocks;
    each tool as name, description and schema; ``cache_control`` ignored): one prompt run
    through Chat Completions, Responses or Messages has one ``hash_of_prompt``.
    """
    systems = [system] if system and isinstance(system, (str, list)) else []
    flat = [
        {k: v for k, v in tool.items() if k != "type"}
        if isinstance(tool, dict) and tool.get("type") == "custom"
        else tool
        for tool in tools or ()
    ]
    return _shared_prompt_version(systems, flat)


def _previous_message_id(body: dict[str, Any]) -> str | None:
    """The message a beta ``thread: {"type": "continue"}`` request continues (the server keeps
    the earlier turns, like OpenAI's ``previous_response_id``; the beta tool runner uses it)."""
    thread = body.get("thread")
    if _get(thread, "type") != "continue":
        return None
    return _str(_get(thread, "previous_message_id"))


def _new_tool_results(messages: list[Any]) -> list[ToolResult]:
    """``tool_result`` blocks sent since the last assistant message (the ones that close tools).

    Scanning back from the end keeps this O(new messages), not O(conversation).
    """
    results: list[ToolResult] = []
    for message in reversed(messages):
        role = _get(message, "role")
        if role == "assistant":
            break
        content = _get(message, "content")
        if role != "user" or not isinstance(content, list):
            continue
        found = [
            ToolResult(
                call_id=str(block_id),
                content=_get(block, "content"),
                is_error=_get(block, "is_error") is True,
            )
            for block in content
            if _get(block, "type") == "tool_result" and (block_id := _get(block, "tool_use_id"))
        ]
        results[:0] = found  # keep the conversation's order
    return results


# -- content capture (only when capture_content() is on) ------------------------------------


def _part(block: Any) -> dict[str, Any]:
    kind = _get(block, "type")
    if isinstance(block, str):
        return {"type": "text", "content": block}
    if kind == "text":
        return {"type": "text", "content": _get(block, "text") or ""}
    if kind == "tool_use":
        return {
            "type": "tool_call",
            "id": _get(block, "id"),
            "name": _get(block, "name"),
            "arguments": _get(block, "input"),
        }
    if kind == "tool_result":
        return {
            "type": "tool_call_response",
            "id": _get(block, "tool_use_id"),
            "response": _get(block, "content"),
        }
    if kind == "thinking":
        return {"type": "reasoning", "content": _get(block, "thinking") or ""}
    return {"type": str(kind or "generic")}


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    return [_part(block) for block in content] if isinstance(content, list) else []


def semconv_messages(messages: list[Any]) -> list[dict[str, Any]]:
    """Messages in the GenAI conventions' parts form (tool results stay in their user message)."""
    return [
        {"role": str(_get(m, "role") or "user"), "parts": _parts(_get(m, "content"))}
        for m in messages
        if isinstance(m, dict) or hasattr(m, "role")
    ]


def semconv_tools(tools: Any) -> list[dict[str, Any]]:
    """Tool definitions in the conventions' form; server tools keep their own type."""
    out = []
    for tool in tools if isinstance(tools, list) else []:
        kind = _get(tool, "type")
        if kind in (None, "custom"):
            out.append(
                {
                    "type": "function",
                    "name": _get(tool, "name"),
                    "description": _get(tool, "description"),
                    "parameters": _get(tool, "input_schema"),
                }
            )
        else:
            out.append({"type": str(kind), "name": _get(tool, "name")})
    return out


# -- responses --------------------------------------------------------------------------------


_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def _counts(raw: Any) -> dict[str, int]:
    """The token counts a usage object carries (fields it lacks, leaves null or holds something
    that is no count in are left out: see :func:`token_count`)."""
    counts = {n: v for n in _USAGE_FIELDS if (v := token_count(getattr(raw, n, None), n)) is not None}
    # An SDK older than the API keeps the unknown details object as a dict.
    thinking = _get(getattr(raw, "output_tokens_details", None), "thinking_tokens")
    if (thinking := token_count(thinking, "thinking_tokens")) is not None:
        counts["thinking_tokens"] = thinking  # newer APIs: extended thinking's share of the output
    return counts


def usage_from(raw: Any) -> Usage | None:
    """Anthropic usage (a ``Usage`` object) as neutral Usage; None if absent."""
    return None if raw is None else _usage(_counts(raw))


def _usage(counts: dict[str, int]) -> Usage:
    """Neutral usage from Anthropic's counts: the input total includes cache reads and writes.

    Anthropic's ``input_tokens`` excludes cached tokens; the conventions' input total includes
    them (GENAI-SEMCONV §7), and the cache counts are subsets of it.
    """
    base = counts.get("input_tokens")
    read, write = counts.get("cache_read_input_tokens"), counts.get("cache_creation_input_tokens")
    return Usage(
        input_tokens=None if base is None else base + (read or 0) + (write or 0),
        output_tokens=counts.get("output_tokens"),
        cache_read_input_tokens=read,
        cache_creation_input_tokens=write,
        reasoning_output_tokens=counts.get("thinking_tokens"),
    )


def _response_from_blocks(result: Any, blocks: Any, usage: Usage | None, stop_reason: Any) -> LLMResponse:
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[ToolCallRequest] = []
    for block in blocks or ():
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(str(getattr(block, "text", "") or ""))
        elif kind == "thinking":
            thoughts.append(str(getattr(block, "thinking", "") or ""))
        elif kind == "tool_use":  # server_tool_use runs at Anthropic: not the application's tool
            calls.append(ToolCallRequest(str(block.id), str(block.name), getattr(block, "input", None)))
    return LLMResponse(
        response_id=_str(getattr(result, "id", None)),
        model=_str(getattr(result, "model", None)),
        finish_reasons=[stop_reason] if isinstance(stop_reason, str) else [],
        usage=usage,
        tool_calls=calls,
        output_text="".join(texts) if texts else None,
        refusal="" if stop_reason == "refusal" else None,  # the text, if any, is the output's
        reasoning=tuple(thoughts) if thoughts and capture_content() else (),
    )


class MessagesEndpoint:
    """Translator for ``/v1/messages``."""

    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        """Build the neutral request from the JSON body."""
        messages = body.get("messages")
        messages = messages if isinstance(messages, list) else []
        system = body.get("system")
        system = system if isinstance(system, (str, list)) and system else None
        tools = body.get("tools") if isinstance(body.get("tools"), list) else None
        attributes: dict[str, Any] = {}
        output_type = _output_type(body)
        if output_type:
            attributes[semconv.GEN_AI_OUTPUT_TYPE] = output_type
        request = LLMRequest(
            provider=semconv.PROVIDER_ANTHROPIC,
            operation=semconv.OP_CHAT,
            model=_str(body.get("model")),
            stream=stream or body.get("stream") is True,
            params=request_params(body),
            # The system prompt is part of the input (for OpenAI it is a message). Incremental:
            # the conversation's earlier items are not serialized again on every call.
            input_hash=sha256_hex_items([{"system": system}, *messages] if system else messages),
            prompt_version_hash=prompt_version(system, tools),
            message_count=len(messages),
            tool_results=_new_tool_results(messages),
            previous_response_id=_previous_message_id(body),
            prefix_hashes=conversation_hashes(system, messages),
            attributes=attributes,
        )
        if capture_content():
            request.messages = semconv_messages(messages)
            request.system = _parts(system) or None
            request.tools = semconv_tools(tools) or None
        return request

    def response(self, result: Any) -> LLMResponse:
        """Build the neutral response from a ``Message`` (or beta / parsed message)."""
        return _response_from_blocks(
            result,
            getattr(result, "content", None),
            usage_from(getattr(result, "usage", None)),
            getattr(result, "stop_reason", None),
        )

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> MessagesStreamAccumulator:
        """A fresh accumulator for a streamed call (``stream=True`` or ``messages.stream()``)."""
        return MessagesStreamAccumulator(request, body)


class _Block:
    __slots__ = ("type", "id", "name", "input", "pieces")

    def __init__(self, block: Any) -> None:
        self.type = getattr(block, "type", None)
        self.id = getattr(block, "id", None)
        self.name = getattr(block, "name", None)
        self.input = getattr(block, "input", None)
        self.pieces: list[str] = [str(getattr(block, "text", "") or "")] if self.type == "text" else []

    def tool_call(self) -> ToolCallRequest | None:
        if self.type != "tool_use" or not self.id or not self.name:
            return None
        return ToolCallRequest(str(self.id), str(self.name), _tool_input(self.input, "".join(self.pieces)))


def _tool_input(start: Any, streamed: str) -> Any:
    # The input arrives as input_json_delta pieces after an empty ``input`` in the block start.
    if not streamed:
        return start if start is not None else {}
    try:
        return json.loads(streamed)
    except ValueError:
        return streamed  # truncated or malformed: the core marks it invalid


class MessagesStreamAccumulator:
    """Adds up raw stream events (``message_start`` ... ``message_stop``) into one response."""

    __slots__ = ("_request", "_body", "_message", "_usage", "_blocks", "_stop_reason", "_delta_seen")

    def __init__(self, request: LLMRequest, body: dict[str, Any]) -> None:
        self._request, self._body = request, body
        self._message: Any = None
        self._usage: dict[str, int] = {}
        self._blocks: dict[int, _Block] = {}
        self._stop_reason: str | None = None
        self._delta_seen = False

    def add(self, event: Any) -> None:
        """See one event."""
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":
            self._add_delta(getattr(event, "index", 0), getattr(event, "delta", None))
        elif kind == "content_block_start":
            self._blocks[getattr(event, "index", 0)] = _Block(getattr(event, "content_block", None))
        elif kind == "message_start":
            self._message = getattr(event, "message", None)
            self._merge_usage(getattr(self._message, "usage", None))
        elif kind == "message_delta":
            self._delta_seen = True
            self._merge_usage(getattr(event, "usage", None))
            reason = getattr(getattr(event, "delta", None), "stop_reason", None)
            if isinstance(reason, str):
                self._stop_reason = reason

    def _add_delta(self, index: int, delta: Any) -> None:
        block = self._blocks.get(index)
        if block is None or delta is None:
            return
        kind = getattr(delta, "type", None)
        if kind == "text_delta":
            block.pieces.append(str(getattr(delta, "text", "") or ""))
        elif kind == "input_json_delta":
            block.pieces.append(str(getattr(delta, "partial_json", "") or ""))
        elif kind == "thinking_delta":
            block.pieces.append(str(getattr(delta, "thinking", "") or ""))

    def _merge_usage(self, usage: Any) -> None:
        # message_delta carries the final (cumulative) counts; a None there keeps the start's.
        self._usage.update(_counts(usage))

    def response(self, completed: bool) -> LLMResponse:
        """What the events seen so far add up to."""
        blocks = [self._blocks[i] for i in sorted(self._blocks)]
        texts = ["".join(b.pieces) for b in blocks if b.type == "text"]
        thoughts = ["".join(b.pieces) for b in blocks if b.type == "thinking"]
        calls = [call for b in blocks if (call := b.tool_call()) is not None]
        text = "".join(texts)
        return LLMResponse(
            response_id=_str(getattr(self._message, "id", None)),
            model=_str(getattr(self._message, "model", None)),
            finish_reasons=[self._stop_reason] if self._stop_reason else [],
            usage=self._final_usage(text, calls),
            tool_calls=calls,
            output_text=text if texts else None,
            refusal="" if self._stop_reason == "refusal" else None,
            reasoning=tuple(thoughts) if thoughts and capture_content() else (),
        )

    def _final_usage(self, text: str, calls: list[ToolCallRequest]) -> Usage:
        usage = _usage(self._usage)
        model = self._request.model
        if usage.input_tokens is None and self._message is None:  # no message_start: nothing reported
            messages = self._body.get("messages")
            usage.input_tokens = count_tokens(canonical_json(messages) if messages else "", model)
            usage.estimated = True
        if not self._delta_seen:  # message_start's output count is a placeholder
            output = text + "".join(f"{c.name}{canonical_json(c.arguments)}" for c in calls)
            usage.output_tokens = count_tokens(output, model)
            usage.estimated = True
        return usage

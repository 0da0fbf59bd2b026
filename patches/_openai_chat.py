"""OpenAI Chat Completions: ``POST /chat/completions``, JSON and SSE chunks.

Request fields come from the JSON body the SDK sends; response fields from its parsed
``ChatCompletion`` / ``ChatCompletionChunk`` objects, read with ``getattr`` so that unknown or
missing fields degrade to "not recorded" instead of an error.
"""

from __future__ import annotations

import operator
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
    fold_items,
    semconv,
    sha256_hex_items,
)

from ._openai_fields import estimated_usage, usage_from
from ._prompt_version import prompt_version

__all__ = ["ChatCompletionsEndpoint", "ChatStreamAccumulator", "estimated_usage", "usage_from"]

# JSON body key -> gen_ai.request.<suffix>
_PARAMS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "seed": "seed",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
}
_OUTPUT_TYPES = {"json_object": "json", "json_schema": "json", "text": "text"}


def request_params(body: dict[str, Any]) -> dict[str, Any]:
    """The ``gen_ai.request.*`` parameters present in a body (shared with Responses)."""
    params: dict[str, Any] = {}
    for key, suffix in _PARAMS.items():
        value = body.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            params[suffix] = value
    stop = body.get("stop")
    if isinstance(stop, str):
        params["stop_sequences"] = [stop]
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        params["stop_sequences"] = list(stop)
    n = body.get("n")
    if isinstance(n, int) and n != 1:
        params["choice.count"] = n
    return params


def _output_type(body: dict[str, Any]) -> str | None:
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    return _OUTPUT_TYPES.get(kind) if isinstance(kind, str) else None


def _new_tool_results(messages: list[Any]) -> list[ToolResult]:
    """Tool results sent since the last assistant message (the ones that can close spans).

    Scanning back from the end keeps this O(new messages), not O(conversation).
    """
    results: list[ToolResult] = []
    for message in reversed(messages):
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "assistant":
            break
        if role == "tool" and message.get("tool_call_id"):
            results.append(ToolResult(call_id=str(message["tool_call_id"]), content=message.get("content")))
    results.reverse()
    return results


_ROLE = operator.itemgetter("role")
_SYSTEM_ROLES = ("system", "developer")


def _system_contents(messages: list[Any]) -> list[Any]:
    """The contents of the system and developer messages, in order.

    Runs on every call over the whole, growing conversation, so the roles are read and counted
    at C speed and the loop stops at the last system message (usually near the start).
    """
    try:
        roles = list(map(_ROLE, messages))
    except (KeyError, IndexError, TypeError):  # not all dicts with a role: the plain way
        return [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") in _SYSTEM_ROLES]
    wanted = roles.count("system") + roles.count("developer")
    found: list[Any] = []
    for index, role in enumerate(roles):
        if len(found) == wanted:
            break
        if role == "system" or role == "developer":
            found.append(messages[index].get("content"))
    return found


def _add_system(found: tuple[Any, ...], message: Any) -> tuple[Any, ...]:
    if isinstance(message, dict) and message.get("role") in _SYSTEM_ROLES:
        return (*found, message.get("content"))
    return found


def _system_contents_after_hash(messages: list[Any]) -> list[Any]:
    """:func:`_system_contents`, in O(new messages) right after ``sha256_hex_items(messages)``
    (which proved the earlier messages unchanged); a full scan otherwise."""
    if len(messages) < 64:  # the C-speed scan is cheaper than a fold this short
        return _system_contents(messages)
    return list(fold_items(messages, "openai.chat.system", _add_system, ()))


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content if isinstance(content, list) else []:
        if isinstance(part, dict) and part.get("type") == "text":
            parts.append({"type": "text", "content": part.get("text", "")})
        elif isinstance(part, dict):
            parts.append({"type": str(part.get("type", "generic"))})
    return parts


def semconv_messages(messages: list[Any]) -> list[dict[str, Any]]:
    """Chat messages in the GenAI conventions' parts form (only when content is captured)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = str(message.get("role", "user"))
        parts = _parts(message.get("content"))
        for call in message.get("tool_calls") or []:
            fn = call.get("function") or {}
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id"),
                    "name": fn.get("name"),
                    "arguments": fn.get("arguments"),
                }
            )
        if role == "tool":
            parts = [
                {
                    "type": "tool_call_response",
                    "id": message.get("tool_call_id"),
                    "response": message.get("content"),
                }
            ]
        out.append({"role": "system" if role == "developer" else role, "parts": parts})
    return out


def semconv_tools(tools: Any) -> list[dict[str, Any]]:
    """Tool definitions in the conventions' form."""
    out = []
    for tool in tools if isinstance(tools, list) else []:
        fn = tool.get("function", tool) if isinstance(tool, dict) else {}
        out.append(
            {
                "type": "function",
                "name": fn.get("name"),
                "description": fn.get("description"),
                "parameters": fn.get("parameters"),
            }
        )
    return out


def _refusal(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _response_attributes(result: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    fingerprint = getattr(result, "system_fingerprint", None)
    if isinstance(fingerprint, str):
        attrs[semconv.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    tier = getattr(result, "service_tier", None)
    if isinstance(tier, str):
        attrs[semconv.OPENAI_RESPONSE_SERVICE_TIER] = tier
    return attrs


class ChatCompletionsEndpoint:
    """Translator for ``/chat/completions``."""

    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        """Build the neutral request from the JSON body."""
        messages = body.get("messages")
        messages = messages if isinstance(messages, list) else []
        tools = body.get("tools")
        input_hash = sha256_hex_items(messages)  # = sha256_hex(messages), incremental
        system = _system_contents_after_hash(messages)  # after the hash: it reuses its chain
        attributes: dict[str, Any] = {semconv.OPENAI_API_TYPE: "chat_completions"}
        tier = body.get("service_tier")
        if isinstance(tier, str) and tier != "auto":
            attributes[semconv.OPENAI_REQUEST_SERVICE_TIER] = tier
        output_type = _output_type(body)
        if output_type:
            attributes[semconv.GEN_AI_OUTPUT_TYPE] = output_type
        request = LLMRequest(
            provider=semconv.PROVIDER_OPENAI,
            operation=semconv.OP_CHAT,
            model=body.get("model") if isinstance(body.get("model"), str) else None,
            stream=stream or bool(body.get("stream")),
            params=request_params(body),
            input_hash=input_hash,
            prompt_version_hash=prompt_version(system, tools),
            message_count=len(messages),
            tool_results=_new_tool_results(messages),
            prefix_hashes=conversation_hashes(None, messages),
            attributes=attributes,
        )
        if capture_content():
            request.messages = semconv_messages(messages)
            request.tools = semconv_tools(tools) or None
        return request

    def response(self, result: Any) -> LLMResponse:
        """Build the neutral response from a ``ChatCompletion``."""
        choices = getattr(result, "choices", None) or []
        first = choices[0] if choices else None
        message = getattr(first, "message", None)
        tool_calls = []
        for call in getattr(message, "tool_calls", None) or []:
            fn = getattr(call, "function", None)
            if fn is not None:
                tool_calls.append(ToolCallRequest(str(call.id), str(fn.name), getattr(fn, "arguments", None)))
        return LLMResponse(
            response_id=getattr(result, "id", None),
            model=getattr(result, "model", None),
            finish_reasons=[str(c.finish_reason) for c in choices if getattr(c, "finish_reason", None)],
            usage=usage_from(getattr(result, "usage", None)),
            tool_calls=tool_calls,
            output_text=getattr(message, "content", None),
            attributes=_response_attributes(result),
            refusal=_refusal(getattr(message, "refusal", None)),
        )

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> ChatStreamAccumulator:
        """A fresh accumulator for a ``stream=True`` call."""
        return ChatStreamAccumulator(request, body)


class ChatStreamAccumulator:
    """Adds up ``ChatCompletionChunk`` objects into one response."""

    __slots__ = (
        "_request",
        "_body",
        "_id",
        "_model",
        "_finish",
        "_text",
        "_tools",
        "_usage",
        "_attrs",
        "_refusal",
    )

    def __init__(self, request: LLMRequest, body: dict[str, Any]) -> None:
        self._request, self._body = request, body
        self._id: str | None = None
        self._model: str | None = None
        self._finish: dict[int, str] = {}
        self._text: list[str] = []
        self._tools: dict[int, list[Any]] = {}  # index -> [id, name, argument pieces]
        self._usage: Any = None
        self._attrs: dict[str, Any] = {}
        self._refusal: list[str] = []  # structured outputs: refusal deltas instead of content

    def add(self, chunk: Any) -> None:
        """See one chunk."""
        if self._id is None:
            self._id = getattr(chunk, "id", None)
            self._model = getattr(chunk, "model", None)
            self._attrs = _response_attributes(chunk)
        # The common chunk, read as plain attributes (this runs for every chunk of every
        # stream): one choice, index 0, the SDK's model with all its fields. Everything is read
        # before anything is kept, so an odd chunk falls through to the lenient path whole.
        try:
            usage, choices = chunk.usage, chunk.choices
            if len(choices) == 1:
                choice = choices[0]
                index, reason, delta = choice.index, choice.finish_reason, choice.delta
                if index == 0 and delta is not None:
                    content, tool_calls = delta.content, delta.tool_calls
                    if usage is not None:
                        self._usage = usage
                    if content is None and tool_calls is None:  # rare: read only then
                        self._add_refusal(delta)
                    self._keep(0, reason, content, tool_calls)
                    return
        except (AttributeError, TypeError):
            pass
        self._add_lenient(chunk)

    def _add_lenient(self, chunk: Any) -> None:
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage
        for choice in getattr(chunk, "choices", None) or ():
            index, delta = getattr(choice, "index", 0), getattr(choice, "delta", None)
            content = getattr(delta, "content", None) if delta is not None else None
            tool_calls = getattr(delta, "tool_calls", None) if delta is not None else None
            if index == 0:
                self._add_refusal(delta)
            self._keep(index, getattr(choice, "finish_reason", None), content, tool_calls)

    def _add_refusal(self, delta: Any) -> None:
        if piece := _refusal(getattr(delta, "refusal", None)):
            self._refusal.append(piece)

    def _keep(self, index: int, reason: Any, content: Any, tool_calls: Any) -> None:
        # Every choice's finish reason; the text and tool calls of the first choice only.
        if reason:
            self._finish[index] = str(reason)
        if index != 0:
            return
        if content:
            self._text.append(content)
        for call in tool_calls or ():
            self._add_tool_delta(call)

    def _add_tool_delta(self, call: Any) -> None:
        slot = self._tools.setdefault(getattr(call, "index", 0), [None, None, []])
        if getattr(call, "id", None):
            slot[0] = call.id
        fn = getattr(call, "function", None)
        if fn is not None:
            if getattr(fn, "name", None):
                slot[1] = fn.name
            if getattr(fn, "arguments", None):
                slot[2].append(fn.arguments)

    def response(self, completed: bool) -> LLMResponse:
        """What the stream added up to."""
        text = "".join(self._text)
        calls = [
            ToolCallRequest(str(call_id), str(name), "".join(pieces))
            for call_id, name, pieces in (self._tools[i] for i in sorted(self._tools))
            if call_id and name
        ]
        usage = usage_from(self._usage) if self._usage is not None else self._estimate(text, calls)
        return LLMResponse(
            response_id=self._id,
            model=self._model,
            finish_reasons=[self._finish[i] for i in sorted(self._finish)],
            usage=usage,
            tool_calls=calls,
            output_text=text,
            attributes=self._attrs,
            refusal="".join(self._refusal) if self._refusal else None,
        )

    def _estimate(self, text: str, calls: list[ToolCallRequest]) -> Usage:
        # The stream carried no usage chunk (stream_options.include_usage was not set): count.
        messages = self._body.get("messages")
        return estimated_usage(canonical_json(messages) if messages else "", text, calls, self._request.model)

"""Bedrock Converse and ConverseStream: botocore's parameters in, its parsed dicts out.

The request is the keyword arguments of ``client.converse(...)`` (``modelId``, ``messages``,
``system``, ``inferenceConfig``, ``toolConfig``) as botocore hands them to its dispatch; the
response is the dict botocore parsed, and a stream's events are the dicts its ``EventStream``
yields (``{"contentBlockDelta": {...}}``, ...). Keys are read with defaults, so what a model or
an API version lacks is "not recorded", never an error.

Usage: Converse's ``inputTokens`` leaves out the tokens read from and written to the prompt
cache (``totalTokens`` counts them), so the conventions' input total adds them, as for
Anthropic's own API.
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

__all__ = ["BEDROCK", "ConverseEndpoint", "ConverseStreamAccumulator", "usage_from"]

BEDROCK = semconv.PROVIDER_AWS_BEDROCK

# inferenceConfig key -> gen_ai.request.<suffix>
_PARAMS = {"maxTokens": "max_tokens", "temperature": "temperature", "topP": "top_p"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def request_params(body: dict[str, Any]) -> dict[str, Any]:
    """The ``gen_ai.request.*`` parameters of ``inferenceConfig`` (and a model's ``top_k``)."""
    config = _dict(body.get("inferenceConfig"))
    params: dict[str, Any] = {}
    for key, suffix in _PARAMS.items():
        value = config.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            params[suffix] = value
    stop = config.get("stopSequences")
    if isinstance(stop, list) and stop and all(isinstance(s, str) for s in stop):
        params["stop_sequences"] = list(stop)
    top_k = _dict(body.get("additionalModelRequestFields")).get("top_k")
    if isinstance(top_k, int) and not isinstance(top_k, bool):
        params["top_k"] = top_k
    return params


def _tool_specs(body: dict[str, Any]) -> list[dict[str, Any]]:
    specs = (_dict(tool).get("toolSpec") for tool in _list(_dict(body.get("toolConfig")).get("tools")))
    return [spec for spec in specs if isinstance(spec, dict)]


def prompt_version(system: list[Any], specs: list[dict[str, Any]]) -> str | None:
    """The prompt version's hash on the OpenAI patches' normalized form, so one prompt hashes
    alike across providers (cache points are left out)."""
    texts = [{"text": block["text"]} for block in system if isinstance(_dict(block).get("text"), str)]
    flat = [
        {
            "name": s.get("name"),
            "description": s.get("description"),
            "parameters": _dict(s.get("inputSchema")).get("json"),
        }
        for s in specs
    ]
    return _shared_prompt_version([texts] if texts else [], flat)


def new_tool_results(messages: list[Any]) -> list[ToolResult]:
    """``toolResult`` blocks sent since the last assistant message (O(new messages))."""
    results: list[ToolResult] = []
    for message in reversed(messages):
        message = _dict(message)
        if message.get("role") == "assistant":
            break
        found = [
            ToolResult(str(result["toolUseId"]), result.get("content"), result.get("status") == "error")
            for block in _list(message.get("content"))
            if isinstance(result := _dict(block).get("toolResult"), dict) and result.get("toolUseId")
        ]
        results[:0] = found
    return results


# -- content capture (only when capture_content() is on) ------------------------------------


def _part(block: Any) -> dict[str, Any]:
    block = _dict(block)
    if isinstance(block.get("text"), str):
        return {"type": "text", "content": block["text"]}
    use, result = _dict(block.get("toolUse")), _dict(block.get("toolResult"))
    if use:
        return {
            "type": "tool_call",
            "id": use.get("toolUseId"),
            "name": use.get("name"),
            "arguments": use.get("input"),
        }
    if result:
        return {
            "type": "tool_call_response",
            "id": result.get("toolUseId"),
            "response": result.get("content"),
        }
    if "reasoningContent" in block:
        text = _dict(_dict(block["reasoningContent"]).get("reasoningText")).get("text")
        return {"type": "reasoning", "content": text if isinstance(text, str) else ""}
    return {"type": "generic", "generic_type": next(iter(block), "unknown")}


def semconv_messages(messages: list[Any]) -> list[dict[str, Any]]:
    """Messages in the GenAI conventions' parts form (tool results stay in their user message)."""
    return [
        {
            "role": str(_dict(m).get("role") or "user"),
            "parts": [_part(b) for b in _list(_dict(m).get("content"))],
        }
        for m in messages
    ]


def _capture(
    request: LLMRequest, messages: list[Any], system: list[Any], specs: list[dict[str, Any]]
) -> None:
    request.messages = semconv_messages(messages)
    request.system = [_part(block) for block in system if "text" in _dict(block)] or None
    request.tools = [
        {
            "type": "function",
            "name": s.get("name"),
            "description": s.get("description"),
            "parameters": _dict(s.get("inputSchema")).get("json"),
        }
        for s in specs
    ] or None


# -- responses --------------------------------------------------------------------------------


_COUNTS = ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")


def usage_from(raw: Any) -> Usage | None:
    """Converse ``usage`` as neutral usage; the input total includes cache reads and writes."""
    fields = _dict(raw)
    counts = {name: count for name in _COUNTS if (count := token_count(fields.get(name), name)) is not None}
    if not counts:
        return None
    base, read, write = (
        counts.get("inputTokens"),
        counts.get("cacheReadInputTokens"),
        counts.get("cacheWriteInputTokens"),
    )
    return Usage(
        input_tokens=None if base is None else base + (read or 0) + (write or 0),
        output_tokens=counts.get("outputTokens"),
        cache_read_input_tokens=read,
        cache_creation_input_tokens=write,
    )


def _from_blocks(blocks: list[Any]) -> tuple[list[str], list[ToolCallRequest]]:
    texts, calls = [], []
    for block in blocks:
        block = _dict(block)
        use = _dict(block.get("toolUse"))
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif use.get("toolUseId") and use.get("name"):
            calls.append(ToolCallRequest(str(use["toolUseId"]), str(use["name"]), use.get("input")))
    return texts, calls


def _response(texts: list[str], calls: list[ToolCallRequest], stop: Any, usage: Usage | None) -> LLMResponse:
    return LLMResponse(
        finish_reasons=[stop] if isinstance(stop, str) else [],
        usage=usage,
        tool_calls=calls,
        output_text="".join(texts) if texts else None,
    )


class ConverseEndpoint:
    """Translator for ``Converse`` and ``ConverseStream``."""

    __slots__ = ()

    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        """The neutral request for the call's parameters."""
        messages = _list(body.get("messages"))
        system = _list(body.get("system"))
        specs = _tool_specs(body)
        model = body.get("modelId")
        request = LLMRequest(
            provider=BEDROCK,
            operation=semconv.OP_CHAT,
            model=model if isinstance(model, str) else None,
            stream=stream,
            params=request_params(body),
            input_hash=sha256_hex_items([{"system": system}, *messages] if system else messages),
            prompt_version_hash=prompt_version(system, specs),
            message_count=len(messages),
            tool_results=new_tool_results(messages),
            prefix_hashes=conversation_hashes(system, messages),
        )
        if capture_content():
            _capture(request, messages, system, specs)
        return request

    def response(self, result: Any) -> LLMResponse:
        """The neutral response for botocore's parsed ``Converse`` answer."""
        result = _dict(result)
        blocks = _list(_dict(_dict(result.get("output")).get("message")).get("content"))
        texts, calls = _from_blocks(blocks)
        return _response(texts, calls, result.get("stopReason"), usage_from(result.get("usage")))

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> ConverseStreamAccumulator:
        """A fresh accumulator for one ``ConverseStream`` event stream."""
        return ConverseStreamAccumulator(request, body)


class ConverseStreamAccumulator:
    """Adds up ConverseStream events (``messageStart`` ... ``metadata``) into one response."""

    __slots__ = ("_request", "_body", "_texts", "_tools", "_stop", "_usage")

    def __init__(self, request: LLMRequest, body: dict[str, Any]) -> None:
        self._request, self._body = request, body
        self._texts: list[str] = []
        self._tools: dict[int, tuple[str, str, list[str]]] = {}
        self._stop: Any = None
        self._usage: Any = None

    def add(self, event: Any) -> bool:
        """See one event; only content deltas count for the time to first chunk."""
        delta = event.get("contentBlockDelta") if isinstance(event, dict) else None
        if delta is not None:
            self._add_delta(delta)
            return True
        if not isinstance(event, dict):
            return False
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = _dict(_dict(start.get("start")).get("toolUse"))
            if use.get("toolUseId") and use.get("name"):
                self._tools[start.get("contentBlockIndex", 0)] = (str(use["toolUseId"]), str(use["name"]), [])
        elif "messageStop" in event:
            self._stop = _dict(event["messageStop"]).get("stopReason")
        elif "metadata" in event:
            self._usage = _dict(event["metadata"]).get("usage")
        return False

    def _add_delta(self, event: Any) -> None:
        delta = _dict(_dict(event).get("delta"))
        if isinstance(delta.get("text"), str):
            self._texts.append(delta["text"])
        elif "toolUse" in delta:
            tool = self._tools.get(_dict(event).get("contentBlockIndex", 0))
            piece = _dict(delta["toolUse"]).get("input")
            if tool is not None and isinstance(piece, str):
                tool[2].append(piece)

    def response(self, completed: bool) -> LLMResponse:
        """What the events seen so far add up to."""
        calls = [
            ToolCallRequest(i, name, _tool_input("".join(pieces))) for i, name, pieces in self._tools.values()
        ]
        response = _response(self._texts, calls, self._stop, usage_from(self._usage))
        response.usage = self._final_usage(response)
        return response

    def _final_usage(self, response: LLMResponse) -> Usage:
        usage = response.usage or Usage()
        model = self._request.model
        if usage.input_tokens is None:  # the metadata event never came
            messages = self._body.get("messages")
            usage.input_tokens = count_tokens(canonical_json(messages) if messages else "", model)
            usage.estimated = True
        if usage.output_tokens is None:
            text = (response.output_text or "") + "".join(
                f"{c.name}{canonical_json(c.arguments)}" for c in response.tool_calls
            )
            usage.output_tokens = count_tokens(text, model)
            usage.estimated = True
        return usage


def _tool_input(streamed: str) -> Any:
    if not streamed:
        return {}
    try:
        return json.loads(streamed)
    except ValueError:
        return streamed  # truncated or malformed: the core marks it invalid

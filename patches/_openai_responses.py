"""OpenAI Responses API: ``POST /responses``, JSON and SSE events.

``create``, ``parse``, the ``stream()`` helper and the raw-response wrappers all send the same
body to the same URL, so one translator serves them. What differs from Chat Completions:

- the input is a string or a list of *items*: messages, the model's own ``function_call``
  items, and the application's ``function_call_output`` items (tool results, by ``call_id``);
- system instructions travel separately (``instructions``) and tools are flat;
- with ``previous_response_id`` the server keeps the conversation, so a request carries only
  the new items: tool results still name their ``call_id``, which is all a tool span needs;
- there is no finish reason: it is derived from the response's ``status`` (see
  :func:`finish_reason`).
"""

from __future__ import annotations

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
    semconv,
    sha256_hex_items,
)

from ._openai_chat import request_params, semconv_tools
from ._openai_fields import estimated_usage, field, usage_from
from ._prompt_version import prompt_version

__all__ = ["ResponsesEndpoint", "ResponsesStreamAccumulator", "finish_reason"]

_OUTPUT_TYPES = {"json_object": "json", "json_schema": "json", "text": "text"}
# incomplete_details.reason -> the finish reason Chat Completions would have given
_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}
# Items the model produced (a conversation's turn boundary when scanning back for results).
_MODEL_ITEMS = {"function_call", "reasoning", "web_search_call", "file_search_call", "computer_call"}
_TERMINAL_EVENTS = {"response.completed", "response.incomplete", "response.failed"}
# Sent before the model produced anything: not the "first chunk" of time to first chunk.
_LIFECYCLE_EVENTS = {"response.created", "response.in_progress", "response.queued"}


def _items(body: dict[str, Any]) -> list[Any]:
    raw = body.get("input")
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    return list(raw) if isinstance(raw, list) else []


def _new_tool_results(items: list[Any]) -> list[ToolResult]:
    """``function_call_output`` items sent since the model's last output items.

    Scanning back stops at the first item the model produced, so a long resent conversation
    costs O(new items); with ``previous_response_id`` the input holds only new items anyway.
    """
    results: list[ToolResult] = []
    for item in reversed(items):
        kind = field(item, "type")
        if kind == "function_call_output" and field(item, "call_id"):
            results.append(ToolResult(call_id=str(field(item, "call_id")), content=field(item, "output")))
        elif kind in _MODEL_ITEMS or field(item, "role") == "assistant":
            break
    results.reverse()
    return results


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content if isinstance(content, list) else []:
        kind = str(field(part, "type") or "generic")
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "content": field(part, "text") or ""})
        elif kind == "refusal":
            parts.append({"type": "text", "content": field(part, "refusal") or ""})
        else:
            parts.append({"type": kind})
    return parts


def semconv_items(items: list[Any]) -> list[dict[str, Any]]:
    """Input items in the GenAI conventions' message-parts form (content capture only)."""
    out: list[dict[str, Any]] = []
    for item in items:
        kind = field(item, "type")
        if kind == "function_call":
            part = {
                "type": "tool_call",
                "id": field(item, "call_id"),
                "name": field(item, "name"),
                "arguments": field(item, "arguments"),
            }
            out.append({"role": "assistant", "parts": [part]})
        elif kind == "function_call_output":
            part = {
                "type": "tool_call_response",
                "id": field(item, "call_id"),
                "response": field(item, "output"),
            }
            out.append({"role": "tool", "parts": [part]})
        elif kind in (None, "message"):
            role = str(field(item, "role") or "user")
            out.append(
                {"role": "system" if role == "developer" else role, "parts": _parts(field(item, "content"))}
            )
        else:
            out.append(
                {"role": "assistant" if kind in _MODEL_ITEMS else "user", "parts": [{"type": str(kind)}]}
            )
    return out


def finish_reason(response: Any, asks_for_tools: bool | None = None) -> str | None:
    """The Chat-Completions-style finish reason of a Responses ``response`` object.

    ``completed`` gives ``tool_calls`` when the output asks for function calls, else ``stop``;
    ``incomplete`` gives ``length`` or ``content_filter``; ``failed`` gives ``error``.
    ``asks_for_tools``: whether the output holds a function call, if the caller already knows.
    """
    status = field(response, "status")
    if status == "completed":
        if asks_for_tools is None:
            asks_for_tools = any(field(i, "type") == "function_call" for i in field(response, "output") or [])
        return "tool_calls" if asks_for_tools else "stop"
    if status == "incomplete":
        reason = field(field(response, "incomplete_details"), "reason")
        return _INCOMPLETE.get(str(reason), str(reason or "incomplete"))
    if status in ("failed", "cancelled"):
        return "error"
    return None


def _output(response: Any) -> tuple[LLMResponse, bool]:
    """The output's text, refusal, function calls and (with content capture) reasoning, and
    whether it has a function call item: one pass over the items (this runs on every call)."""
    texts: list[str] = []
    refusals: list[str] = []
    out = LLMResponse()
    asks_for_tools = False
    for item in field(response, "output") or []:
        kind = field(item, "type")
        if kind == "function_call":
            asks_for_tools = True
            call_id = field(item, "call_id")
            if call_id:
                name, arguments = str(field(item, "name")), field(item, "arguments")
                out.tool_calls.append(ToolCallRequest(str(call_id), name, arguments))
        elif kind == "message":
            for part in field(item, "content") or []:
                part_type = field(part, "type")
                if part_type == "output_text":
                    texts.append(str(field(part, "text") or ""))
                elif part_type == "refusal":
                    refusals.append(str(field(part, "refusal") or ""))
        elif kind == "reasoning" and capture_content():
            out.reasoning += (_reasoning_text(item),)
    out.output_text = "".join(texts) if texts else None
    out.refusal = "".join(refusals) or None
    return out, asks_for_tools


def _reasoning_text(item: Any) -> str:
    """A reasoning item's text: its summary parts, then its reasoning-text parts (open models)."""
    parts = [*(field(item, "summary") or []), *(field(item, "content") or [])]
    return "\n".join(str(field(part, "text") or "") for part in parts)


def _response_attributes(response: Any) -> dict[str, Any]:
    tier = field(response, "service_tier")
    return {semconv.OPENAI_RESPONSE_SERVICE_TIER: tier} if isinstance(tier, str) else {}


def _conversation_id(body: dict[str, Any]) -> str | None:
    conversation = body.get("conversation")
    if isinstance(conversation, dict):
        conversation = conversation.get("id")
    return conversation if isinstance(conversation, str) else None


class ResponsesEndpoint:
    """Translator for ``/responses``."""

    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        """Build the neutral request from the JSON body."""
        items = _items(body)
        instructions = body.get("instructions")
        system = [instructions] if isinstance(instructions, str) and instructions else []
        tools = body.get("tools")
        params = request_params(body)
        if isinstance(body.get("max_output_tokens"), int):
            params["max_tokens"] = body["max_output_tokens"]
        previous = body.get("previous_response_id")
        request = LLMRequest(
            provider=semconv.PROVIDER_OPENAI,
            operation=semconv.OP_CHAT,
            model=body.get("model") if isinstance(body.get("model"), str) else None,
            stream=stream or bool(body.get("stream")),
            params=params,
            # Incremental across the calls of a conversation (the Agents SDK resends it whole):
            # the head item carries what is not an input item.
            input_hash=sha256_hex_items([{"instructions": instructions, "previous": previous}, *items]),
            prompt_version_hash=prompt_version(system, tools),
            message_count=len(items),
            tool_results=_new_tool_results(items),
            previous_response_id=previous if isinstance(previous, str) else None,
            prefix_hashes=conversation_hashes(instructions, items),
            attributes=self._attributes(body),
        )
        if capture_content():
            request.messages = semconv_items(items)
            request.system = [{"type": "text", "content": s} for s in system] or None
            request.tools = semconv_tools(tools) or None
        return request

    @staticmethod
    def _attributes(body: dict[str, Any]) -> dict[str, Any]:
        attributes: dict[str, Any] = {semconv.OPENAI_API_TYPE: "responses"}
        tier = body.get("service_tier")
        if isinstance(tier, str) and tier != "auto":
            attributes[semconv.OPENAI_REQUEST_SERVICE_TIER] = tier
        fmt = field(field(body.get("text"), "format"), "type")
        if isinstance(fmt, str) and fmt in _OUTPUT_TYPES:
            attributes[semconv.GEN_AI_OUTPUT_TYPE] = _OUTPUT_TYPES[fmt]
        conversation = _conversation_id(body)
        if conversation:
            attributes[semconv.GEN_AI_CONVERSATION_ID] = conversation
        return attributes

    def response(self, result: Any) -> LLMResponse:
        """Build the neutral response from a ``Response`` (or ``ParsedResponse``)."""
        response, asks_for_tools = _output(result)
        reason = finish_reason(result, asks_for_tools)
        response.response_id, response.model = field(result, "id"), field(result, "model")
        response.finish_reasons = [reason] if reason else []
        response.usage = usage_from(field(result, "usage"))
        response.attributes = _response_attributes(result)
        return response

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> ResponsesStreamAccumulator:
        """A fresh accumulator for a ``stream=True`` call."""
        return ResponsesStreamAccumulator(self, request, body)


class ResponsesStreamAccumulator:
    """Follows Responses stream events; the terminal event carries the whole response.

    A stream cut off before ``response.completed`` still yields what arrived: the id and model
    of ``response.created``, the text deltas, and the function calls whose items completed.
    """

    __slots__ = ("_endpoint", "_request", "_body", "_final", "_id", "_model", "_text", "_calls")

    def __init__(self, endpoint: ResponsesEndpoint, request: LLMRequest, body: dict[str, Any]) -> None:
        self._endpoint, self._request, self._body = endpoint, request, body
        self._final: Any = None
        self._id: str | None = None
        self._model: str | None = None
        self._text: list[str] = []
        self._calls: list[ToolCallRequest] = []

    def add(self, event: Any) -> bool:
        """See one stream event; False for lifecycle events that carry no output yet."""
        kind = field(event, "type")
        if kind in _TERMINAL_EVENTS:
            self._final = field(event, "response")
        elif kind == "response.created":
            response = field(event, "response")
            self._id, self._model = field(response, "id"), field(response, "model")
        elif kind == "response.output_text.delta":
            self._text.append(str(field(event, "delta") or ""))
        elif kind == "response.output_item.done":
            item = field(event, "item")
            if field(item, "type") == "function_call" and field(item, "call_id"):
                call = ToolCallRequest(
                    str(field(item, "call_id")), str(field(item, "name")), field(item, "arguments")
                )
                self._calls.append(call)
        return kind not in _LIFECYCLE_EVENTS

    def response(self, completed: bool) -> LLMResponse:
        """What the stream added up to."""
        if self._final is not None:
            response = self._endpoint.response(self._final)
            if response.usage is None:
                response.usage = self._estimate(response.output_text or "", response.tool_calls)
            return response
        text = "".join(self._text)
        return LLMResponse(
            response_id=self._id,
            model=self._model,
            usage=self._estimate(text, self._calls),
            tool_calls=list(self._calls),
            output_text=text or None,
        )

    def _estimate(self, text: str, calls: list[ToolCallRequest]) -> Usage:
        # No usage arrived (the stream broke off before its terminal event): count.
        prompt = canonical_json([self._body.get("instructions"), self._body.get("input")])
        return estimated_usage(prompt, text, calls, self._request.model)

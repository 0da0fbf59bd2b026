"""Gemini function calling and content parts: call ids, tool results, the conventions' forms.

A ``functionCall`` part names its call with an ``id`` on some models and platforms only; the
Gemini Developer API mostly sends none, and the ``functionResponse`` that answers it then
carries only the function's name. A call without an id is named here by what it answered (the
hash of the input it was the answer to), its name and its place among the turn's calls; a later
request repeats that model turn before its function responses, so the same id is derived again
from the request's own contents and each response is paired, by name and order, with a call.
"""

from __future__ import annotations

from typing import Any

from agentwrap.provider import ToolResult, sha256_hex_items

__all__ = ["call_ids", "new_tool_results", "semconv_messages", "semconv_parts", "semconv_tools"]

_ROLES = {"model": "assistant", "user": "user", "function": "tool", "tool": "tool"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def call_ids(calls: list[dict[str, Any]], answered: str | None) -> list[str]:
    """The id of each function call of one model turn: its own, else one derived (see above)."""
    tag = answered[7:19] if answered else "0"
    return [
        call["id"] if isinstance(call.get("id"), str) and call["id"] else f"{call.get('name')}-{tag}-{index}"
        for index, call in enumerate(calls)
    ]


def _function_parts(content: Any, kind: str) -> list[dict[str, Any]]:
    parts = (_dict(part).get(kind) for part in _list(_dict(content).get("parts")))
    return [part for part in parts if isinstance(part, dict)]


def new_tool_results(contents: list[Any], head: list[Any]) -> list[ToolResult]:
    """The function responses sent since the model's last turn, each with its call's id.

    Scanning back from the end keeps this O(new contents), not O(conversation). ``head`` is
    what comes before ``contents`` in the input hash (the system instruction).
    """
    responses: list[dict[str, Any]] = []
    turn = len(contents)
    while turn > 0 and _dict(contents[turn - 1]).get("role") != "model":
        turn -= 1
        responses[:0] = _function_parts(contents[turn], "functionResponse")
    if not responses:
        return []
    calls = _function_parts(contents[turn - 1], "functionCall") if turn > 0 else []
    unnamed = any(not isinstance(r.get("id"), str) or not r["id"] for r in responses)
    ids = call_ids(calls, sha256_hex_items([*head, *contents[: turn - 1]])) if calls and unnamed else []
    return [
        ToolResult(call_id, r.get("response"), _is_error(r.get("response")))
        for r, call_id in _pair(responses, calls, ids)
    ]


def _pair(
    responses: list[dict[str, Any]], calls: list[dict[str, Any]], ids: list[str]
) -> list[tuple[dict[str, Any], str]]:
    """Each response with the id of its call: its own id, else the first unanswered call of its name."""
    unused = list(range(len(ids)))
    paired = []
    for response in responses:
        own = response.get("id")
        if isinstance(own, str) and own:
            paired.append((response, own))
            continue
        index = next((i for i in unused if calls[i].get("name") == response.get("name")), None)
        if index is not None:
            unused.remove(index)
            paired.append((response, ids[index]))
    return paired


def _is_error(response: Any) -> bool:
    # The SDK's own function calling (and the API's docs) answer {"error": ...} for a failed call.
    return isinstance(response, dict) and "error" in response and not {"output", "result"} & response.keys()


# -- content capture (only when capture_content() is on) ------------------------------------


def _part(part: Any) -> dict[str, Any]:
    part = _dict(part)
    if isinstance(part.get("text"), str):
        return {"type": "reasoning" if part.get("thought") is True else "text", "content": part["text"]}
    call = part.get("functionCall")
    if isinstance(call, dict):
        return {
            "type": "tool_call",
            "id": call.get("id"),
            "name": call.get("name"),
            "arguments": call.get("args"),
        }
    response = part.get("functionResponse")
    if isinstance(response, dict):
        return {"type": "tool_call_response", "id": response.get("id"), "response": response.get("response")}
    blob = part.get("inlineData")
    if isinstance(blob, dict):  # the bytes themselves are left out
        return {"type": "blob", "mime_type": blob.get("mimeType")}
    file = part.get("fileData")
    if isinstance(file, dict):
        return {"type": "uri", "mime_type": file.get("mimeType"), "uri": file.get("fileUri")}
    kind = next((key for key in part if key not in ("thoughtSignature", "thought")), "generic")
    return {"type": "generic", "generic_type": kind}


def semconv_parts(parts: Any) -> list[dict[str, Any]]:
    """Parts in the GenAI conventions' form."""
    return [_part(part) for part in _list(parts)]


def semconv_messages(contents: list[Any]) -> list[dict[str, Any]]:
    """Contents as the conventions' messages (``model`` is the assistant)."""
    return [
        {
            "role": _ROLES.get(str(_dict(c).get("role") or "user"), "user"),
            "parts": semconv_parts(_dict(c).get("parts")),
        }
        for c in contents
        if isinstance(c, dict)
    ]


def semconv_tools(tools: list[Any]) -> list[dict[str, Any]]:
    """Tool definitions in the conventions' form; built-in tools (search, code) keep their kind."""
    out: list[dict[str, Any]] = []
    for tool in tools:
        for key, value in _dict(tool).items():
            if key != "functionDeclarations":
                out.append({"type": key})
                continue
            for declaration in _list(value):
                declaration = _dict(declaration)
                schema = declaration.get("parameters", declaration.get("parametersJsonSchema"))
                out.append(
                    {
                        "type": "function",
                        "name": declaration.get("name"),
                        "description": declaration.get("description"),
                        "parameters": schema
                        if schema is not None
                        else declaration.get("parameters_json_schema"),
                    }
                )
    return out

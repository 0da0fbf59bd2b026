"""The prompt-version hash, the same for one prompt whichever API it is sent through.

A run's ``hash_of_prompt`` identifies the prompt *version*: its system instructions and its
tool definitions, not the conversation. Each patch hands over the system texts and the tool
definitions as its API spells them; they are normalized here (system text joined from its
parts; each tool as name, description and parameter schema, wherever the API nests them) so
that one prompt sent through Chat Completions, Responses or Messages has one hash, and a new
provider that maps its tools the same way joins them.
"""

from __future__ import annotations

from typing import Any

from agentwrap.provider import sha256_hex_memo

__all__ = ["prompt_version"]


def prompt_version(system: list[Any], tools: Any) -> str | None:
    """The hash of what makes a prompt version: its system instructions and tool definitions.

    Both are normalized (system text joined from its parts, tools as name, description and
    parameters) so that the same prompt hashes the same in every API.
    """
    tools = tools if isinstance(tools, list) else []
    if not system and not tools:
        return None
    # Every call of a run sends the same prompt: normalize and hash it once, compare after.
    return sha256_hex_memo((system, tools), _prompt_identity)


def _prompt_identity(key: tuple[list[Any], list[Any]]) -> dict[str, Any]:
    system, tools = key
    return {"system": [_text_of(s) for s in system], "tools": [_tool_identity(t) for t in tools]}


def _text_of(content: Any) -> Any:
    if isinstance(content, list) and all(isinstance(p, dict) and "text" in p for p in content):
        return "".join(str(p["text"]) for p in content)
    return content


def _tool_identity(tool: Any) -> Any:
    # Chat nests a function under "function"; Responses (and Anthropic) keep it flat. Only what
    # the model sees counts, so one prompt sent through either API hashes the same.
    if not isinstance(tool, dict):
        return tool
    fn = tool.get("function", tool) if tool.get("type", "function") == "function" else None
    if not isinstance(fn, dict):
        return tool
    schema = fn.get("parameters", fn.get("input_schema"))
    return {"name": fn.get("name"), "description": fn.get("description"), "parameters": schema}

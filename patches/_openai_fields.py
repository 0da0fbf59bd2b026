"""OpenAI fields read the same way by the Chat Completions and Responses translators: any field
of an SDK model or a dict, the usage object in either naming, and the stand-in usage of a
stream that reported none."""

from __future__ import annotations

from typing import Any

from agentwrap.provider import ToolCallRequest, Usage, count_tokens, token_count

__all__ = ["estimated_usage", "field", "usage_from"]


def field(obj: Any, name: str) -> Any:
    """``obj.name`` or ``obj[name]``: SDK models, plain dicts (request bodies, and fields an
    older SDK does not know, which its models keep as dicts) read the same way."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def usage_from(raw: Any) -> Usage | None:
    """OpenAI usage (chat or Responses naming) as neutral Usage; None if absent.

    Each count goes through :func:`token_count`: a field of the wrong type is not recorded.
    """
    if raw is None:
        return None
    names = ("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details")
    if field(raw, "prompt_tokens") is None and field(raw, "completion_tokens") is None:
        names = ("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details")
    prompt, completion, in_details, out_details = (field(raw, name) for name in names)
    return Usage(
        input_tokens=token_count(prompt, names[0]),
        output_tokens=token_count(completion, names[1]),
        cache_read_input_tokens=token_count(field(in_details, "cached_tokens"), "cached_tokens"),
        reasoning_output_tokens=token_count(field(out_details, "reasoning_tokens"), "reasoning_tokens"),
    )


def estimated_usage(prompt: str, text: str, calls: list[ToolCallRequest], model: str | None) -> Usage:
    """Usage counted by agentwrap for a stream that reported none (shared with Responses): the
    prompt's JSON in, the text and each tool call's name and arguments out."""
    output = text + "".join(f"{c.name}{c.arguments}" for c in calls)
    return Usage(
        input_tokens=count_tokens(prompt, model),
        output_tokens=count_tokens(output, model),
        estimated=True,
    )

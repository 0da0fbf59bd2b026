"""The chat stream accumulator on chunk shapes the fake server does not send: several choices
(``n=2``), a choice other than the first alone in a chunk, usage-only chunks. Real SDK chunk
objects (``ChatCompletionChunk``), parsed from the JSON the API sends."""

from __future__ import annotations

from typing import Any

import openai
from agentwrap.patches._openai_chat import ChatCompletionsEndpoint


def _chunk(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> Any:
    return openai.types.chat.ChatCompletionChunk.model_validate(
        {
            "id": "chatcmpl-9",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": choices,
            "usage": usage,
        }
    )


def _choice(
    index: int, content: str | None = None, finish: str | None = None, **delta: Any
) -> dict[str, Any]:
    return {"index": index, "delta": {"content": content, **delta}, "finish_reason": finish}


def test_two_choices_keep_the_first_text_and_every_finish_reason() -> None:
    endpoint = ChatCompletionsEndpoint()
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "n": 2}
    accumulator = endpoint.accumulator(endpoint.request(body, True), body)
    tool_delta = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "f", "arguments": "{}"},
    }
    for chunk in (
        _chunk([_choice(0, "Hel"), _choice(1, "Bon")]),
        _chunk([_choice(1, "jour")]),  # only the second choice
        _chunk([_choice(0, "lo", tool_calls=[tool_delta])]),
        _chunk([_choice(1, None, "stop"), _choice(0, None, "tool_calls")]),
        _chunk([], usage={"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}),
    ):
        accumulator.add(chunk)
    response = accumulator.response(completed=True)
    assert response.output_text == "Hello"  # the first choice's, as the span records it
    assert response.finish_reasons == ["tool_calls", "stop"]  # by choice index
    assert [(c.call_id, c.name, c.arguments) for c in response.tool_calls] == [("call_1", "f", "{}")]
    assert (response.usage.input_tokens, response.usage.output_tokens) == (7, 5)
    assert response.response_id == "chatcmpl-9" and response.model == "gpt-4o-mini"

"""The seed's airline example, end to end, offline.

An ordinary agent loop over the real openai SDK asks a scripted model (agentwrap's fake LLM
server on 127.0.0.1) to find a flight. The model calls ``search_flights`` with the same
arguments three times, gets ``no_flights_found`` each time, then answers. Nothing in the loop
knows about agentwrap except the one ``agentwrap.run()`` around it.
"""

from __future__ import annotations

import json
import time
from typing import Any

__all__ = [
    "AIRLINE_SCRIPT",
    "FINAL_ANSWER",
    "SYSTEM_PROMPT",
    "TOOLS",
    "USER_PROMPT",
    "run_airline_agent",
    "search_flights",
]

SYSTEM_PROMPT = "You are an airline booking assistant. Use the tools to find flights."
USER_PROMPT = "Find me a flight from JFK to LAX tomorrow morning."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_flights",
            "description": "Search flights between two airports.",
            "parameters": {
                "type": "object",
                "properties": {"origin": {"type": "string"}, "dest": {"type": "string"}},
                "required": ["origin", "dest"],
            },
        },
    }
]
FINAL_ANSWER = "I'm sorry: there are no flights from JFK to LAX tomorrow morning."


def search_flights(origin: str, dest: str) -> str:
    """The demo's tool: the airline has nothing (and takes a moment to say so)."""
    time.sleep(0.12)
    return "no_flights_found"


def AIRLINE_SCRIPT() -> list[Any]:  # noqa: N802 - reads as the constant it stands for
    """The model's side of the conversation: three identical searches, then an answer."""
    from agentwrap.testing import Reply, ToolCall, Usage

    search = ToolCall("search_flights", {"origin": "JFK", "dest": "LAX"})
    return [
        Reply(tool_calls=[search], usage=Usage(120, 15), delay=0.05),
        Reply(tool_calls=[search], usage=Usage(150, 15), delay=0.05),
        Reply(tool_calls=[search], usage=Usage(180, 15), delay=0.05),
        Reply(text=FINAL_ANSWER, usage=Usage(210, 18), delay=0.05),
    ]


def run_airline_agent(client: Any, model: str = "qwen-3.5-72b-instruct", max_steps: int = 10) -> str:
    """A plain tool-using agent loop, the kind agentwrap observes without changes."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": USER_PROMPT},
    ]
    for _ in range(max_steps):
        response = client.chat.completions.create(model=model, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        if not message.tool_calls:
            return str(message.content)
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = search_flights(**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return "gave up"

"""A plain tool-using agent on the openai SDK, with no line of agentwrap in it.

Run it observed, with no code change::

    AGENTWRAP_AUTO_INSTRUMENT=1 AGENTWRAP_FILE=runs.jsonl python examples/airline_agent.py
    agentwrap run --file runs.jsonl -- python examples/airline_agent.py

The client reads ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` as usual; point them at any
OpenAI-compatible server (agentwrap's tests use its fake LLM server on loopback).
"""

from __future__ import annotations

import json
from typing import Any

import openai

MODEL = "qwen-3.5-72b-instruct"
SYSTEM_PROMPT = "You are an airline booking assistant. Use the tools to find flights."
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
    },
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather forecast at an airport.",
            "parameters": {"type": "object", "properties": {"airport": {"type": "string"}}},
        },
    },
]


def search_flights(origin: str, dest: str) -> str:
    return "no_flights_found"


def get_weather(airport: str) -> str:
    return f"{airport}: clear skies"


TOOL_FUNCTIONS = {"search_flights": search_flights, "get_weather": get_weather}


def run_agent(client: openai.OpenAI, question: str, max_steps: int = 10) -> str:
    """Ask the model until it stops calling tools."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": question},
    ]
    for _ in range(max_steps):
        response = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        if not message.tool_calls:
            return str(message.content)
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = TOOL_FUNCTIONS[call.function.name](**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return "gave up"


def main() -> None:
    with openai.OpenAI(max_retries=0) as client:
        print(run_agent(client, "Find me a flight from JFK to LAX tomorrow morning."))


if __name__ == "__main__":
    main()

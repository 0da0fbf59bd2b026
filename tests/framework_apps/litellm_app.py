"""Tool-using loops over litellm.completion and litellm.acompletion, unchanged (no agentwrap).

One process for all (importing litellm costs seconds): completion() and acompletion() over the
openai SDK, then completion() for Anthropic, which litellm speaks with its own HTTP client.
"""

import asyncio
import json
import os

import litellm

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def get_weather(city: str) -> str:
    return f"{city}: sunny"


def step(messages, response):
    message = response.choices[0].message
    if not message.tool_calls:
        return message.content
    messages.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls:
        result = get_weather(**json.loads(call.function.arguments))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return None


def sync_loop(city):
    messages = [{"role": "user", "content": f"What is the weather in {city}?"}]
    while True:
        answer = step(
            messages, litellm.completion(model="openai/gpt-4o-mini", messages=messages, tools=TOOLS)
        )
        if answer is not None:
            return answer


async def async_loop(city):
    messages = [{"role": "user", "content": f"What is the weather in {city}?"}]
    while True:
        response = await litellm.acompletion(model="openai/gpt-4o-mini", messages=messages, tools=TOOLS)
        answer = step(messages, response)
        if answer is not None:
            return answer


def own_http_loop(city):
    # litellm speaks the Anthropic API with its own HTTP client (no SDK under it).
    messages = [{"role": "user", "content": f"What is the weather in {city}?"}]
    while True:
        response = litellm.completion(
            model="anthropic/gpt-4o-mini",
            messages=messages,
            tools=TOOLS,
            api_base=os.environ["FAKE_ANTHROPIC_BASE_URL"],
            api_key="sk-test",
            max_tokens=100,
        )
        answer = step(messages, response)
        if answer is not None:
            return answer


async def main_async():
    return await asyncio.gather(async_loop("Paris"), async_loop("Rome"))  # interleaved


for city in ("Paris", "Rome"):  # sync, one after the other
    print(sync_loop(city))
print(*asyncio.run(main_async()), sep="\n")  # async, interleaved in two tasks
for city in ("Paris", "Rome"):  # litellm's own HTTP client
    print(own_http_loop(city))

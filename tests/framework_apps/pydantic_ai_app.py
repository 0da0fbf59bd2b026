"""A tool-using agent on pydantic-ai, unchanged (no agentwrap in it)."""

from pydantic_ai import Agent

agent = Agent("openai:gpt-4o-mini", instructions="Answer weather questions.")


@agent.tool_plain
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: sunny"


for city in ("Paris", "Rome"):
    print(agent.run_sync(f"What is the weather in {city}?").output)

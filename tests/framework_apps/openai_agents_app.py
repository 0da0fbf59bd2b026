"""A tool-using agent on the OpenAI Agents SDK, unchanged (no agentwrap in it)."""

from agents import Agent, Runner, function_tool


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: sunny"


agent = Agent(
    name="weather", instructions="Answer weather questions.", tools=[get_weather], model="gpt-4o-mini"
)
for city in ("Paris", "Rome"):
    print(Runner.run_sync(agent, f"What is the weather in {city}?").final_output)

"""A tool-using ReAct agent on LangGraph with langchain-openai, unchanged (no agentwrap in it)."""

import warnings

from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # create_react_agent's move to langchain.agents
    from langgraph.prebuilt import create_react_agent


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: sunny"


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    graph = create_react_agent(ChatOpenAI(model="gpt-4o-mini", max_retries=0), [get_weather])
for city in ("Paris", "Rome"):
    result = graph.invoke({"messages": [("user", f"What is the weather in {city}?")]})
    print(result["messages"][-1].content)

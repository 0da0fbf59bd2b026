"""Offline testing helpers: a scripted fake LLM server speaking the OpenAI and Anthropic APIs.

Example:
    >>> from agentwrap.testing import FakeLLMServer, Reply, ToolCall
    >>> with FakeLLMServer() as server:
    ...     server.enqueue(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    ...     server.enqueue(Reply(text="Sunny."))
"""

from ._script import ErrorReply, RecordedRequest, Reply, ToolCall, Usage
from ._server import FakeLLMServer

__all__ = ["ErrorReply", "FakeLLMServer", "RecordedRequest", "Reply", "ToolCall", "Usage"]

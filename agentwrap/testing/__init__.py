"""Offline testing helpers: a scripted fake LLM server speaking the OpenAI and Anthropic APIs,
and :func:`capture`, which records what agentwrap emits in memory for assertions.

Example:
    >>> from agentwrap.testing import FakeLLMServer, Reply, ToolCall
    >>> with FakeLLMServer() as server:
    ...     server.enqueue(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    ...     server.enqueue(Reply(text="Sunny."))

    >>> from agentwrap.testing import capture
    >>> with capture() as captured:  # doctest: +SKIP
    ...     ...  # the code under test, its LLM client pointed at server.base_url
    >>> captured.events, captured.summaries, captured.spans  # doctest: +SKIP
"""

from agentwrap.sinks import ListSink

from ._capture import Captured, capture
from ._script import ErrorReply, RecordedRequest, Reply, ToolCall, Usage
from ._server import FakeLLMServer

__all__ = [
    "Captured",
    "ErrorReply",
    "FakeLLMServer",
    "ListSink",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "Usage",
    "capture",
]

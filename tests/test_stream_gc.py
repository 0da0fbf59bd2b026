"""Abandoned streams are freed where the caller drops them, never mid-request by the collector.

The openai and anthropic SDKs keep a stream in a reference cycle of its own (its ``_iterator``
generator's frame holds the stream), so a stream dropped before its end is freed by the cyclic
garbage collector, at whatever allocation triggers it. On SDKs that send through httpx 0.x
(the oldest supported ones), that can be inside httpcore's connection-pool lock, during the
next request; closing the stream's response there takes the lock again, and the thread hangs.
agentwrap's stream proxy is freed by reference counting where the caller drops it, and closes
the response there: the generators the collector closes later find it closed.
"""

from __future__ import annotations

import gc
import importlib
import textwrap
import weakref
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from agentwrap.testing import Reply
from agentwrap.testing._capture import Captured

from ._auto import clean_env, run_python
from .conftest import API_KEY

SDKS = ["openai", "anthropic"]
USER = [{"role": "user", "content": "hi"}]


def _stream(client: Any, **kwargs: Any) -> Any:
    if isinstance(client, (anthropic.Anthropic, anthropic.AsyncAnthropic)):
        return client.messages.create(model="m", max_tokens=10, messages=USER, stream=True, **kwargs)
    return client.chat.completions.create(model="m", messages=USER, stream=True, **kwargs)


def _client(sdk: str, server: Any, is_async: bool = False, **options: Any) -> Any:
    if sdk == "anthropic":
        cls: Any = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
        return cls(base_url=server.anthropic_base_url, api_key=API_KEY, max_retries=0, **options)
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    return cls(base_url=server.base_url, api_key=API_KEY, max_retries=0, **options)


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting frees objects during the test (the collector runs after it)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)  # what the test left (nothing was promoted while the collector was off)


class _Watch:
    """A weak reference to a stream proxy that a failed assertion can print (the repr() of a
    plain weak reference to a live proxy fails: it asks the SDK's stream for its ``__name__``)."""

    def __init__(self, stream: Any) -> None:
        self._ref = weakref.ref(stream)

    @property
    def freed(self) -> bool:
        return self._ref() is None

    def __repr__(self) -> str:
        return f"<stream proxy, {'freed' if self.freed else 'alive'}>"


def _abandoned(captured: Captured) -> list[str]:
    return [e["name"] for e in captured.events if e["name"] == "stream.abandoned"]


# -- thousands of abandoned streams -------------------------------------------------------------

ABANDON = """
import faulthandler, logging, sys
import agentwrap
from agentwrap.testing import FakeLLMServer, Reply

sdk, count, stall_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
logging.getLogger("agentwrap").addHandler(logging.NullHandler())  # 3,000 stream.abandoned lines
agentwrap.instrument()
with FakeLLMServer() as server:
    server.responder = lambda request: Reply(text="one two three four five six seven eight")
    if sdk == "anthropic":
        import anthropic
        client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="k", max_retries=0)
        create = lambda: client.messages.create(model="m", max_tokens=10, messages=USER, stream=True)
    else:
        import openai
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        create = lambda: client.chat.completions.create(model="m", messages=USER, stream=True)
    for i in range(count):
        if i % 100 == 0:  # a hang shows as no progress: dump every thread's stack and exit
            faulthandler.dump_traceback_later(stall_s, exit=True)
        stream = create()
        next(iter(stream))
        del stream  # no close(), no gc.collect(): the collector runs when it will
    faulthandler.cancel_dump_traceback_later()
print("abandoned", count)
"""


def _sends_through_httpcore(sdk: str) -> bool:
    # The oldest supported SDKs send through httpx 0.x (httpcore's pool, where the hang was);
    # newer ones through httpx2.
    module = importlib.import_module(sdk)
    return "httpx" in {cls.__module__.split(".")[0] for cls in module.DefaultHttpxClient.__mro__}


@pytest.mark.parametrize("sdk", SDKS)
def test_thousands_of_abandoned_streams_do_not_hang(sdk):
    # 3,000 where the hang was (make test-compat); a smaller count keeps the newest SDKs' run short.
    count = 3000 if _sends_through_httpcore(sdk) else 300
    code = f"USER = {USER!r}\n" + textwrap.dedent(ABANDON)
    proc = run_python(["-c", code, sdk, str(count), "20"], clean_env(), timeout=600)
    assert proc.returncode == 0 and f"abandoned {count}" in proc.stdout, proc.stderr[-6000:]
    assert "Exception ignored" not in proc.stderr, proc.stderr[-6000:]


# -- freed by reference counting ----------------------------------------------------------------


@pytest.mark.parametrize("sdk", SDKS)
def test_an_abandoned_stream_is_freed_and_closed_where_it_is_dropped(sdk, server, captured, no_gc):
    server.enqueue(Reply(text="a b c d e f"))
    client = _client(sdk, server)
    stream = _stream(client)
    next(iter(stream))
    proxy, response = _Watch(stream), stream.response
    del stream
    assert proxy.freed  # by reference counting, not left to the collector
    assert response.is_closed  # so the connection is released here, outside any pool lock
    assert _abandoned(captured) == ["stream.abandoned"]
    client.close()


@pytest.mark.parametrize("sdk", SDKS)
async def test_an_abandoned_async_stream_is_freed_where_it_is_dropped(sdk, server, captured, no_gc):
    server.enqueue(Reply(text="a b c d e f"))
    client = _client(sdk, server, is_async=True)
    stream = await _stream(client)
    await stream.__anext__()
    proxy = _Watch(stream)
    del stream
    assert proxy.freed
    assert _abandoned(captured) == ["stream.abandoned"]
    await client.close()


@pytest.mark.parametrize("sdk", SDKS)
def test_a_drained_stream_dropped_is_not_abandoned(sdk, server, captured, no_gc):
    server.enqueue(Reply(text="a b c"))
    client = _client(sdk, server)
    stream = _stream(client)
    for _ in stream:
        pass
    proxy = _Watch(stream)
    del stream
    assert proxy.freed
    assert _abandoned(captured) == []
    assert len(captured.spans) == 1
    client.close()


# -- what kept a stream alive: a frame of its own call ------------------------------------------


def _collect_while_handling(request: Any) -> None:
    """What happened during the request before the hang: the collector closes a generator while
    an exception is being handled (httpx's ``headers.setdefault`` handles a KeyError on every
    request), and the GeneratorExit, chained to that exception, outlives the collection. The
    exception's traceback then keeps every frame of the call alive, through ``f_back``."""

    def generator(cycle: list[Any]) -> Iterator[None]:
        try:
            yield
        except GeneratorExit as exc:
            kept = [exc]
            kept.append(kept)  # a new cycle: collected later, not by this collection
            raise

    cycle: list[Any] = []
    cycle.append(generator(cycle))
    next(cycle[0])
    del cycle
    try:
        raise KeyError("content-length")
    except KeyError:
        gc.collect()


@pytest.mark.parametrize("sdk", SDKS)
def test_no_frame_of_the_call_keeps_the_stream_alive(sdk, server, captured, no_gc):
    server.enqueue(Reply(text="a b c d e f"))
    module = importlib.import_module(sdk)
    http_client = module.DefaultHttpxClient(event_hooks={"request": [_collect_while_handling]})
    client = _client(sdk, server, http_client=http_client)
    stream = _stream(client)
    next(iter(stream))
    proxy, response = _Watch(stream), stream.response
    del stream
    assert proxy.freed
    assert response.is_closed
    assert _abandoned(captured) == ["stream.abandoned"]
    client.close()

"""Stream proxies: the SDK's stream object, unchanged to the caller, seen chunk by chunk.

The proxy passes ``isinstance`` checks and forwards every attribute and method to the SDK's
stream. It overrides only what it must: iteration (to see chunks and notice the end), the
context-manager methods (``ObjectProxy.__enter__`` would hand back the raw stream), ``close``,
and ``__del__`` (an abandoned stream still ends its span, with a ``stream.abandoned`` warning).
The call ends exactly once, whichever comes first: :class:`StreamProxy` holds that part for
both the sync and the async proxy, which differ only in how they call the SDK's stream.

A synchronous stream is also closed where its caller drops it. The SDK's stream is in a
reference cycle of its own (its ``_iterator`` generator's frame holds the stream), so it is
freed by the cyclic garbage collector, at whatever allocation triggers a collection. With
httpx 0.x that can be inside httpcore's connection-pool lock, during the next request, and
the response's generators, closed there, take that lock again: the thread hangs. The proxy is
in no cycle: reference counting frees it where the caller drops it, a safe point to close the
response, and the generators the collector closes later find it closed (so no frame of ours
may keep the proxy past that point: see :mod:`agentwrap.provider._wrapper`). A proxy that the
collector frees (an SDK helper stream, or the caller, kept it in a cycle) is no safe point: its
response is left to the SDK's generators, as without agentwrap. An asynchronous stream needs
no such care: httpcore's asynchronous pool takes no thread lock.
"""

from __future__ import annotations

import gc
from types import TracebackType
from typing import Any

import wrapt

from agentwrap import _semconv as sc
from agentwrap._call import Call
from agentwrap._errors import guarded, report_internal_error
from agentwrap._events import emit_warning
from agentwrap.provider._contracts import StreamAccumulator

__all__ = ["AsyncStreamProxy", "StreamProxy", "SyncStreamProxy", "end_stream", "wrap_stream"]


class _StreamState:
    """One stream's bookkeeping: its call, its accumulator, the chunks seen."""

    __slots__ = ("call", "accumulator", "chunks")

    def __init__(self, call: Call, accumulator: StreamAccumulator) -> None:
        self.call = call
        self.accumulator = accumulator
        self.chunks = 0

    def on_chunk(self, chunk: Any) -> None:
        # Fail-open inline rather than through guarded(): this runs for every chunk.
        try:
            self.chunks += 1
            if self.accumulator.add(chunk) is not False and self.call.first_chunk_ns is None:
                self.call.on_first_chunk()
        except Exception as exc:  # noqa: BLE001 - the caller gets its chunk regardless
            report_internal_error("agentwrap._stream.on_chunk", exc)

    def finish(self, completed: bool) -> None:
        if not self.call.ended:
            response = guarded(self.accumulator.response, completed)
            self.call.finish(response, completed=completed)

    def fail(self, exc: BaseException) -> None:
        if not self.call.ended:
            self.call.fail(exc)

    def stop(self, exc: BaseException) -> None:
        """End when reading the next chunk raised: drained, or failed with that exception."""
        if isinstance(exc, (StopIteration, StopAsyncIteration)):
            self.finish(True)
        else:
            self.fail(exc)

    def end(self, exc: BaseException | None) -> None:
        """End at a ``with`` block's exit or a close: failed if an exception left it."""
        if exc is not None and not isinstance(exc, GeneratorExit):
            self.fail(exc)
        else:
            self.finish(False)

    def abandon(self) -> None:
        if self.call.ended:
            return
        emit_warning(
            sc.EVENT_STREAM_ABANDONED,
            {"chunks_received": self.chunks, "model": self.call.request.model},
            span=self.call.span,
            run=self.call.run,
        )
        self.finish(completed=False)


class StreamProxy(wrapt.BaseObjectProxy[Any]):
    """The base of both proxies: the call behind the stream, ended exactly once."""

    def __init__(self, stream: Any, call: Call, accumulator: StreamAccumulator) -> None:
        super().__init__(stream)
        self._self_state = _StreamState(call, accumulator)

    def _self_end(self, exc: BaseException | None) -> None:
        guarded(self._self_state.end, exc)

    def __del__(self) -> None:
        state = getattr(self, "_self_state", None)  # absent if __init__ failed
        if state is not None:
            guarded(state.abandon)
            guarded(self._self_dropped)

    def _self_dropped(self) -> None:
        """What else the proxy does when it is freed, after its call ended (here: nothing)."""


class SyncStreamProxy(StreamProxy):
    """Wraps a synchronous SDK stream: an iterator, or an iterable whose ``__iter__`` makes one
    (botocore's ``EventStream`` yields its events from a generator and has no ``__next__``)."""

    def __init__(self, stream: Any, call: Call, accumulator: StreamAccumulator) -> None:
        super().__init__(stream, call, accumulator)
        # Bound once: the SDK stream's own __next__, or that of the one iterator it hands out.
        self._self_next = stream.__next__ if hasattr(type(stream), "__next__") else iter(stream).__next__

    def _self_dropped(self) -> None:
        # The collector marks an object finalized before it calls __del__, reference counting
        # after: only a proxy its caller dropped is at a safe point (see the module docstring).
        # The SDKs' close() releases the HTTP response; on a drained or closed stream it does
        # nothing. A stream with nothing to release (a plain iterator) has no close().
        close = getattr(self.__wrapped__, "close", None)
        if close is not None and not gc.is_finalized(self):
            close()

    def __iter__(self) -> SyncStreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            chunk = self._self_next()
        except BaseException as exc:
            guarded(self._self_state.stop, exc)
            raise
        self._self_state.on_chunk(chunk)
        return chunk

    def __enter__(self) -> SyncStreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_end(exc)

    def close(self) -> Any:
        """Close the SDK stream, then end the call (as incomplete if not drained)."""
        try:
            return self.__wrapped__.close()
        finally:
            self._self_end(None)


class AsyncStreamProxy(StreamProxy):
    """Wraps an asynchronous SDK stream."""

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except BaseException as exc:
            guarded(self._self_state.stop, exc)
            raise
        self._self_state.on_chunk(chunk)
        return chunk

    async def __aenter__(self) -> AsyncStreamProxy:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_end(exc)

    async def close(self) -> Any:
        """Close the SDK stream, then end the call (as incomplete if not drained)."""
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_end(None)


def wrap_stream(stream: Any, call: Call, accumulator: StreamAccumulator, is_async: bool) -> StreamProxy:
    """The proxy to hand back for an SDK stream: it ends ``call`` when the stream ends.

    ``stream`` is an iterator (an async one for ``is_async``), or a synchronous iterable whose
    iterator is another object, like botocore's ``EventStream``: its chunks are then read from
    the one iterator it hands out.
    """
    return (AsyncStreamProxy if is_async else SyncStreamProxy)(stream, call, accumulator)


def end_stream(stream: Any, exc: BaseException | None = None) -> None:
    """End the call of a stream proxy now (anything else is left alone).

    For SDK helpers that close a stream's HTTP response behind the proxy's back: the call ends
    as failed with ``exc`` (the exception leaving a ``with`` block), else as not drained. A
    call that already ended is not touched.
    """
    if isinstance(stream, StreamProxy):
        stream._self_end(exc)

"""Stream proxies: the SDK's stream object, unchanged to the caller, seen chunk by chunk.

The proxy passes ``isinstance`` checks and forwards every attribute and method to the SDK's
stream. It overrides only what it must: iteration (to see chunks and notice the end), the
context-manager methods (``ObjectProxy.__enter__`` would hand back the raw stream), ``close``,
and ``__del__`` (an abandoned stream still ends its span, with a ``stream.abandoned`` warning).
The call's span ends exactly once, whichever comes first.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

import wrapt

from agentwrap import _semconv as sc
from agentwrap._call import Call
from agentwrap._errors import guarded, report_internal_error
from agentwrap._events import emit_warning
from agentwrap.records import LLMResponse

__all__ = ["AsyncStreamProxy", "StreamAccumulator", "SyncStreamProxy"]


class StreamAccumulator(Protocol):
    """What a patch provides to add up a stream's chunks into a response."""

    def add(self, chunk: Any) -> bool | None:
        """See one chunk (event) of the stream.

        Return ``False`` for a chunk that carries no output yet (a lifecycle event such as
        Responses' ``response.created``): time to first chunk is then measured to the first
        chunk that does. ``None`` or ``True``: the chunk counts.
        """

    def response(self, completed: bool) -> LLMResponse:
        """What the chunks seen so far add up to (``completed``: the stream was drained)."""


class _StreamState:
    """The bookkeeping shared by the sync and async proxies."""

    __slots__ = ("call", "accumulator", "chunks")

    def __init__(self, call: Call, accumulator: StreamAccumulator) -> None:
        self.call = call
        self.accumulator = accumulator
        self.chunks = 0

    def on_chunk(self, chunk: Any) -> None:
        self.chunks += 1
        if self.accumulator.add(chunk) is not False and self.call.first_chunk_ns is None:
            self.call.on_first_chunk()

    def finish(self, completed: bool) -> None:
        if not self.call.ended:
            response = guarded(self.accumulator.response, completed)
            self.call.finish(response, completed=completed)

    def fail(self, exc: BaseException) -> None:
        if not self.call.ended:
            self.call.fail(exc)

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


class SyncStreamProxy(wrapt.BaseObjectProxy[Any]):
    """Wraps a synchronous SDK stream."""

    def __init__(self, stream: Any, call: Call, accumulator: StreamAccumulator) -> None:
        super().__init__(stream)
        self._self_state = _StreamState(call, accumulator)

    def __iter__(self) -> SyncStreamProxy:
        return self

    def __next__(self) -> Any:
        try:
            chunk = self.__wrapped__.__next__()
        except StopIteration:
            guarded(self._self_state.finish, True)
            raise
        except BaseException as exc:
            guarded(self._self_state.fail, exc)
            raise
        try:  # inline rather than through guarded(): this runs for every chunk
            self._self_state.on_chunk(chunk)
        except Exception as exc:  # noqa: BLE001 - fail open: the caller gets its chunk regardless
            report_internal_error("agentwrap._stream.on_chunk", exc)
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
        """Close the SDK stream, then end the span (as incomplete if not drained)."""
        try:
            return self.__wrapped__.close()
        finally:
            guarded(self._self_state.finish, False)

    def _self_end(self, exc: BaseException | None) -> None:
        if exc is not None and not isinstance(exc, GeneratorExit):
            guarded(self._self_state.fail, exc)
        else:
            guarded(self._self_state.finish, False)

    def __del__(self) -> None:
        state = getattr(self, "_self_state", None)
        if state is not None:
            guarded(state.abandon)


class AsyncStreamProxy(wrapt.BaseObjectProxy[Any]):
    """Wraps an asynchronous SDK stream."""

    def __init__(self, stream: Any, call: Call, accumulator: StreamAccumulator) -> None:
        super().__init__(stream)
        self._self_state = _StreamState(call, accumulator)

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            guarded(self._self_state.finish, True)
            raise
        except BaseException as exc:
            guarded(self._self_state.fail, exc)
            raise
        try:  # inline rather than through guarded(): this runs for every chunk
            self._self_state.on_chunk(chunk)
        except Exception as exc:  # noqa: BLE001 - fail open: the caller gets its chunk regardless
            report_internal_error("agentwrap._stream.on_chunk", exc)
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
        """Close the SDK stream, then end the span (as incomplete if not drained)."""
        try:
            return await self.__wrapped__.close()
        finally:
            guarded(self._self_state.finish, False)

    def _self_end(self, exc: BaseException | None) -> None:
        # Also called by patches when an SDK helper closed the stream's response behind the
        # proxy's back (the openai/anthropic stream() helpers do).
        if exc is not None and not isinstance(exc, GeneratorExit):
            guarded(self._self_state.fail, exc)
        else:
            guarded(self._self_state.finish, False)

    def __del__(self) -> None:
        state = getattr(self, "_self_state", None)
        if state is not None:
            guarded(state.abandon)

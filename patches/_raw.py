"""Raw API responses (``with_raw_response`` / ``with_streaming_response``) of Stainless SDKs.

The SDK hands back a response object and parses it only when the caller asks, with
``parse()`` (sync, or async on the async streaming response). The proxy keeps the object as
it is and sees what ``parse()`` returns: the parsed model ends the call; a stream is handed
back wrapped, once (``parse()`` caches, so a second call must return the same proxy). A
response that is closed or dropped unparsed still ends its span.
"""

from __future__ import annotations

import inspect
from typing import Any

import wrapt

from agentwrap.provider import Call, Endpoint, end_stream, guarded, wrap_stream

from ._closing import exit_exception

__all__ = ["wrap_raw_response"]


class _RawState:
    __slots__ = ("call", "endpoint", "body", "is_async", "stream_proxy")

    def __init__(self, call: Call, endpoint: Endpoint, body: dict[str, Any], is_async: bool) -> None:
        self.call, self.endpoint, self.body, self.is_async = call, endpoint, body, is_async
        self.stream_proxy: Any = None

    def on_parsed(self, parsed: Any) -> Any:
        if self.call.request.stream:
            if self.stream_proxy is None or self.stream_proxy.__wrapped__ is not parsed:
                accumulator = self.endpoint.accumulator(self.call.request, self.body)
                self.stream_proxy = wrap_stream(parsed, self.call, accumulator, self.is_async)
            return self.stream_proxy
        if not self.call.ended:
            self.call.finish(guarded(self.endpoint.response, parsed))
        return parsed

    def end_unparsed(self) -> None:
        if not self.call.ended and self.stream_proxy is None:
            self.call.finish(None)

    def on_close(self, exc: BaseException | None) -> None:
        # Closing the response (``with_streaming_response``'s ``with`` exit does) also ends a
        # stream parsed from it: the stream can deliver nothing more.
        if self.stream_proxy is not None:
            end_stream(self.stream_proxy, exc)
        elif exc is not None and not isinstance(exc, GeneratorExit):
            self.call.fail(exc)
        else:
            self.end_unparsed()


class _RawResponseProxy(wrapt.BaseObjectProxy[Any]):
    def __init__(self, response: Any, state: _RawState) -> None:
        super().__init__(response)
        self._self_state = state

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        parsed = self.__wrapped__.parse(*args, **kwargs)
        if kwargs.get("to") is not None:  # a caller-chosen type: not the API's object
            return parsed
        handed = guarded(self._self_state.on_parsed, parsed)
        return parsed if handed is None else handed

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            guarded(self._self_state.on_close, exit_exception())

    def __del__(self) -> None:
        state = getattr(self, "_self_state", None)
        if state is not None:
            guarded(state.end_unparsed)


class _AsyncRawResponseProxy(_RawResponseProxy):
    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        parsed = await self.__wrapped__.parse(*args, **kwargs)
        if kwargs.get("to") is not None:
            return parsed
        handed = guarded(self._self_state.on_parsed, parsed)
        return parsed if handed is None else handed

    async def close(self) -> Any:
        try:
            return await self.__wrapped__.close()
        finally:
            guarded(self._self_state.on_close, exit_exception())


def wrap_raw_response(
    response: Any, call: Call, endpoint: Endpoint, body: dict[str, Any], is_async: bool
) -> Any:
    """Wrap a raw response so that its parse() result is traced."""
    state = _RawState(call, endpoint, body, is_async)
    async_parse = inspect.iscoroutinefunction(getattr(type(response), "parse", None))
    return (_AsyncRawResponseProxy if async_parse else _RawResponseProxy)(response, state)

"""LLM API calls made with httpx or httpx2 directly, bypassing the SDKs.

LiteLLM speaks some providers' HTTP APIs itself, and plenty of code posts to
``/v1/chat/completions`` with a bare HTTP client. ``Client.send`` / ``AsyncClient.send`` is
where every request of both libraries passes (``post()``, ``request()``, ``stream()``), so it is
wrapped per class. A request is traced when it is a POST to a known LLM API path (the OpenAI
and Anthropic routes of the SDK patches) with a JSON body, and when no SDK call of ours is in
progress and the request is not an SDK's (the openai and anthropic SDKs send through
httpx/httpx2 themselves and mark their requests with ``X-Stainless-*`` headers; their calls
are traced at the SDK's request layer), so nothing is traced twice.

The JSON response, or for ``stream=True`` the SSE events as the caller reads them, go through
the same endpoint translators as the SDK patches; parsed JSON objects can be read by attribute,
which is all the translators ask of an SDK object.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import Any

import wrapt

from agentwrap.provider import Call, guarded, in_traced_call, start_call

from ._stainless import Endpoint

__all__ = ["HTTPStatusError", "patch_http_module", "route", "unpatch_http_module"]


class HTTPStatusError(Exception):
    """What a raw HTTP call that got an error status is recorded as (never raised)."""


def route(method: str, path: str) -> Endpoint | None:
    """The endpoint of an LLM API request, by method and URL path (None: not an LLM call)."""
    from . import anthropic, openai

    return openai.route(method, path) or anthropic.route(method, path)


def _from_an_sdk(headers: Any) -> bool:
    # The Stainless SDKs (openai, anthropic) mark their requests: such a call is the SDK
    # layer's to trace, or to leave alone when that SDK version is not supported.
    return any(str(name).lower().startswith("x-stainless-") for name in headers.keys())


class _Parsed(dict):  # type: ignore[type-arg]
    """A JSON object read like an SDK model (by attribute) that is still plain data (a dict):
    the translators read fields by attribute, and content capture serializes what they keep."""

    def __getattribute__(self, name: str) -> Any:
        if name not in _DICT_NAMES and dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        return object.__getattribute__(self, name)


_DICT_NAMES = frozenset(dir(dict))  # keys named like dict's methods (items, get) stay methods


def _namespace(raw: bytes | str) -> Any:
    return json.loads(raw, object_hook=_Parsed)


def _begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Call, Endpoint, dict[str, Any]] | None:
    request = args[0] if args else kwargs.get("request")
    if request is None or str(request.method).upper() != "POST" or in_traced_call():
        return None
    endpoint = route("POST", str(request.url.path))
    if endpoint is None:
        return None
    if "json" not in request.headers.get("content-type", "") or _from_an_sdk(request.headers):
        return None
    body = json.loads(request.content)  # a streamed upload raises here: not traced
    if not isinstance(body, dict):
        return None
    llm_request = endpoint.request(body, bool(body.get("stream")))
    llm_request.server_address = request.url.host or None
    llm_request.server_port = request.url.port or (443 if request.url.scheme == "https" else 80)
    return start_call(llm_request), endpoint, body


class _BodyReader:
    """Fed the body's bytes as the caller reads them: SSE events one by one, or one JSON."""

    __slots__ = ("call", "endpoint", "accumulator", "sse", "buffer", "events", "done")

    def __init__(self, call: Call, endpoint: Endpoint, body: dict[str, Any], sse: bool) -> None:
        self.call, self.endpoint, self.sse = call, endpoint, sse
        self.accumulator = endpoint.accumulator(call.request, body) if sse else None
        self.buffer = b""
        self.events = 0
        self.done = False

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        if self.accumulator is None:
            return
        self.buffer = self.buffer.replace(b"\r\n", b"\n")
        while b"\n\n" in self.buffer:
            event, self.buffer = self.buffer.split(b"\n\n", 1)
            data = b"\n".join(line[5:].strip() for line in event.split(b"\n") if line.startswith(b"data:"))
            if data and data != b"[DONE]":
                if self.events == 0:
                    self.call.on_first_chunk()
                self.events += 1
                self.accumulator.add(_namespace(data))

    def finish(self, completed: bool) -> None:
        if self.done:
            return
        self.done = True
        if self.accumulator is not None:
            self.call.finish(guarded(self.accumulator.response, completed), completed=completed)
        elif completed:
            self.call.finish(guarded(self.endpoint.response, _namespace(self.buffer)))
        else:
            self.call.finish(None, completed=False)


class _Tee:
    """Stands in for a response's byte stream: passes every chunk on, and reads it too.

    The concrete classes also derive from the HTTP library's own ``SyncByteStream`` /
    ``AsyncByteStream`` (see :func:`_tee_class`), which the library checks the stream against.
    """

    def __init__(self, stream: Any, reader: _BodyReader) -> None:
        self._stream, self._reader = stream, reader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _SyncTee(_Tee):
    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            guarded(self._reader.feed, chunk)
            yield chunk
        guarded(self._reader.finish, True)

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            guarded(self._reader.finish, False)


class _AsyncTee(_Tee):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            guarded(self._reader.feed, chunk)
            yield chunk
        guarded(self._reader.finish, True)

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            guarded(self._reader.finish, False)


_tee_classes: dict[tuple[type, bool], type] = {}


def _tee_class(response: Any, is_async: bool) -> type:
    library = sys.modules.get(type(response).__module__.split(".")[0])
    base = getattr(library, "AsyncByteStream" if is_async else "SyncByteStream", None)
    mixin: type = _AsyncTee if is_async else _SyncTee
    if not isinstance(base, type):
        return mixin
    key = (base, is_async)
    if key not in _tee_classes:
        _tee_classes[key] = type(f"Agentwrap{base.__name__}", (mixin, base), {})
    return _tee_classes[key]


def _after_send(
    call: Call, endpoint: Endpoint, body: dict[str, Any], response: Any, streamed: bool, is_async: bool
) -> None:
    if response.status_code >= 400:  # the status is all a failed call needs; body left unread
        call.fail(HTTPStatusError(f"HTTP {response.status_code}"))
    elif not streamed:  # send() read the whole body
        call.finish(guarded(endpoint.response, _namespace(response.content)))
    else:  # the caller reads the body later: see it as it goes by
        sse = "text/event-stream" in response.headers.get("content-type", "")
        reader = _BodyReader(call, endpoint, body, sse)
        response.stream = _tee_class(response, is_async)(response.stream, reader)


def _sync_send(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    started = guarded(_begin, args, kwargs)
    if started is None:
        return wrapped(*args, **kwargs)
    call, endpoint, body = started
    response = call.invoke(wrapped, args, kwargs)
    guarded(_after_send, call, endpoint, body, response, bool(kwargs.get("stream")), False)
    return response


async def _async_send(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    started = guarded(_begin, args, kwargs)
    if started is None:
        return await wrapped(*args, **kwargs)
    call, endpoint, body = started
    response = await call.ainvoke(wrapped, args, kwargs)
    guarded(_after_send, call, endpoint, body, response, bool(kwargs.get("stream")), True)
    return response


def patch_http_module(module: ModuleType) -> dict[type, Any]:
    """Wrap ``send`` of the module's ``Client`` and ``AsyncClient``; returns the originals."""
    originals: dict[type, Any] = {}
    for class_name, wrapper in (("Client", _sync_send), ("AsyncClient", _async_send)):
        cls = getattr(module, class_name, None)
        if cls is None or "send" not in vars(cls):
            continue
        originals[cls] = vars(cls)["send"]
        wrapt.wrap_function_wrapper(cls, "send", wrapper)
    return originals


def unpatch_http_module(originals: dict[type, Any]) -> None:
    """Put back what :func:`patch_http_module` replaced."""
    for cls, original in originals.items():
        setattr(cls, "send", original)  # noqa: B010 - the attribute named, as patched

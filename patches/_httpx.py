"""LLM API calls made with httpx or httpx2 directly, bypassing the SDKs.

LiteLLM speaks some providers' HTTP APIs itself, and plenty of code posts to
``/v1/chat/completions`` with a bare HTTP client. ``Client.send`` / ``AsyncClient.send`` is
where every request of both libraries passes (``post()``, ``request()``, ``stream()``), so it is
wrapped per class. A request is traced when it is a POST with a JSON body to the path of an
API that a registered patch module recognises (a :class:`~agentwrap.provider.WireFormat`:
the openai and anthropic patches' routes), and when no SDK call of ours is in progress and
that provider's own SDK did not send it (the SDKs send through httpx/httpx2 themselves, and
their calls are traced at the SDK's layer), so nothing is traced twice.

The JSON response, or for ``stream=True`` the SSE events as the caller reads them, go through
the same endpoint translators as the SDK patches; parsed JSON objects can be read by attribute,
which is all the translators ask of an SDK object.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

from agentwrap.provider import (
    Call,
    Endpoint,
    LLMRequest,
    Patches,
    WireFormat,
    guarded,
    in_traced_call,
    traced_async,
    traced_sync,
)

__all__ = ["HTTPStatusError", "HttpClientPatch", "route"]


class HTTPStatusError(Exception):
    """What a raw HTTP call that got an error status is recorded as (never raised)."""


_wire_formats: list[WireFormat] = []


def _registered_wire_formats() -> list[WireFormat]:
    # The registered patch modules that know their API's paths, in registration order. They
    # import no SDK, so importing them all (once, at the first request) costs little.
    if not _wire_formats:
        from . import PROVIDERS

        modules = [importlib.import_module(patch) for _, patch in PROVIDERS.values()]
        _wire_formats.extend(module for module in modules if isinstance(module, WireFormat))
    return _wire_formats


def _route(method: str, path: str) -> tuple[WireFormat, Endpoint] | None:
    for wire in _registered_wire_formats():
        endpoint = wire.route(method, path)
        if endpoint is not None:
            return wire, endpoint
    return None


def route(method: str, path: str) -> Endpoint | None:
    """The endpoint of an LLM API request, by method and URL path (None: not an LLM call)."""
    found = _route(method, path)
    return None if found is None else found[1]


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


_Sent = tuple[Endpoint, dict[str, Any], bool]  # the endpoint, the JSON body, send(stream=...)


def _server(url: Any) -> tuple[str | None, int]:
    return url.host or None, url.port or (443 if url.scheme == "https" else 80)


class _SendCalls:
    """The generic wrapper's hooks for ``Client.send(request, *, stream=False, ...)``."""

    __slots__ = ()

    def begin(
        self, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[LLMRequest, _Sent] | None:
        """The request of a POST to a known LLM API path that no SDK of ours sends, else None."""
        request = args[0] if args else kwargs.get("request")
        if request is None or str(request.method).upper() != "POST" or in_traced_call():
            return None
        found = _route("POST", str(request.url.path))
        if found is None:
            return None
        wire, endpoint = found
        if "json" not in request.headers.get("content-type", "") or wire.sent_by_sdk(request.headers):
            return None  # the SDK's call is its patch's to trace, or to leave alone when unsupported
        body = json.loads(request.content)  # a streamed upload raises here: not traced
        if not isinstance(body, dict):
            return None
        llm_request = endpoint.request(body, bool(body.get("stream")))
        llm_request.server_address, llm_request.server_port = _server(request.url)
        return llm_request, (endpoint, body, bool(kwargs.get("stream")))

    def on_result(self, call: Call, sent: _Sent, response: Any, is_async: bool) -> Any:
        """End the call now (status, JSON body) or as the caller reads the body; hand back the response."""
        endpoint, body, streamed = sent
        if response.status_code >= 400:  # the status is all a failed call needs; body left unread
            call.fail(HTTPStatusError(f"HTTP {response.status_code}"))
        elif not streamed:  # send() read the whole body
            call.finish(guarded(endpoint.response, _namespace(response.content)))
        else:  # the caller reads the body later: see it as it goes by
            sse = "text/event-stream" in response.headers.get("content-type", "")
            reader = _BodyReader(call, endpoint, body, sse)
            response.stream = _tee_class(response, is_async)(response.stream, reader)
        return response


class HttpClientPatch:
    """``install`` / ``uninstall`` of a patch module for an HTTP library shaped like httpx."""

    def __init__(self) -> None:
        self._patches = Patches()
        self._hooks = _SendCalls()

    def install(self, module: ModuleType) -> bool:
        """Wrap ``send`` of the module's ``Client`` and ``AsyncClient``; True if anything was wrapped."""
        if not self._patches:
            for class_name, traced in (("Client", traced_sync), ("AsyncClient", traced_async)):
                cls = getattr(module, class_name, None)
                if cls is not None and "send" in vars(cls):
                    self._patches.wrap(cls, "send", traced(self._hooks))
        return bool(self._patches)

    def uninstall(self) -> None:
        """Restore the original ``send`` methods."""
        self._patches.restore()

"""The provider kit: everything a patch module in ``agentwrap.patches`` may use of the core.

A patch finds an SDK's methods, wraps them, and translates the SDK's request, response and
stream objects into :mod:`agentwrap.records`. It talks to the core only through the names
below (and writes attribute names only as ``semconv.<NAME>``), so that adding a provider is
one new module in ``agentwrap.patches`` plus its tests, with no edit to the core.

Adding a provider
-----------------
1. **The patch module** (``patches/<name>.py``; helpers of its own in ``patches/_<name>_*.py``)
   satisfies :class:`PatchModule`: ``SUPPORTED`` (``">=X.Y"``), ``install(module) -> bool``
   and ``uninstall()``. It imports its SDK only inside ``install``, which is handed the SDK's
   module once the application imported it: importing a patch module costs no SDK import.
   ``install`` checks the version (:func:`sdk_supported`), wraps methods into a
   :class:`Patches` (classes, not instances; a method or class the SDK version lacks is
   skipped with one debug line) and returns whether anything was patched; ``uninstall``
   calls :meth:`Patches.restore`. One line in ``agentwrap.patches.PROVIDERS`` registers it:
   the provider's name, the SDK's import name (the post-import hook's trigger) and the patch
   module.
2. **One** :class:`Endpoint` **per API endpoint**: ``request(body, stream)`` builds the
   :class:`LLMRequest` from the request payload (a dict), ``response(result)`` the
   :class:`LLMResponse` from the SDK's result object, and ``accumulator(request, body)`` a
   fresh :class:`StreamAccumulator` that adds up one stream's chunks. Read SDK objects by
   attribute name with a default, so that fields an SDK version lacks are "not recorded"
   instead of an error; hash with :func:`sha256_hex_items` (incremental over a growing
   conversation); fill message content only when :func:`capture_content` says so; read every token count of
   a usage object with :func:`token_count` (odd values are coerced or dropped, never passed on).
3. **The call hooks** (:class:`CallHooks`): ``begin(instance, args, kwargs)`` returns the
   request and a state for ``on_result`` (None: not a call we trace), ``on_result(call,
   state, result, is_async)`` what the caller gets. For an endpoint-based SDK subclass
   :class:`EndpointCalls`, which writes ``on_result`` (a stream proxy for a streamed call,
   else the call ends with the endpoint's response), and write ``begin`` alone. Wrap each
   SDK method with ``traced_sync(hooks)`` or ``traced_async(hooks)``: the generic wrapper
   begins the call, runs the SDK method exactly once with the span current, passes the SDK's
   exception through as the same object, and gives back the SDK's own result whenever a step
   of ours fails. A stream proxy (:func:`wrap_stream`) ends the call exactly once, when the
   stream is drained, closed, broken off or garbage-collected; an SDK helper that closes the
   stream's response behind the proxy's back ends it with :func:`end_stream`.
4. **Optionally a** :class:`WireFormat` (``route(method, path)`` and ``sent_by_sdk(headers)``
   in the patch module): the raw-HTTP patches then recognise the API in requests sent with a
   bare httpx/httpx2 client and trace them with the same endpoints.

A new SDK *family* (one that does not funnel its calls through one request method the way the
Stainless-generated openai and anthropic SDKs do) writes its own ``begin`` (where the request
payload is: keyword arguments, a botocore ``api_params`` dict, ...) and, where a result is not
simply the response or the stream, its own ``on_result`` (a stream inside a result dict is
wrapped with :func:`wrap_stream` and put back). Nothing else changes: runs, bounds, tool spans,
summaries and sinks work from the records.
"""

from __future__ import annotations

from agentwrap import _semconv as semconv
from agentwrap._call import Call, in_traced_call, start_call
from agentwrap._errors import guarded, report_internal_error
from agentwrap._hashing import (
    canonical_json,
    fold_items,
    sha256_hex,
    sha256_hex_items,
    sha256_hex_memo,
)
from agentwrap._tokens import count_tokens
from agentwrap.provider._contracts import (
    CallHooks,
    Endpoint,
    PatchModule,
    Router,
    StreamAccumulator,
    WireFormat,
)
from agentwrap.provider._helpers import capture_content, conversation_hashes, stand_in_span, token_count
from agentwrap.provider._patching import Patches, Wrapper, sdk_supported, version_supported
from agentwrap.provider._stream import AsyncStreamProxy, StreamProxy, SyncStreamProxy, end_stream, wrap_stream
from agentwrap.provider._wrapper import EndpointCalls, Exchange, traced_async, traced_sync
from agentwrap.records import LLMRequest, LLMResponse, ToolCallRequest, ToolResult, Usage

__all__ = [
    "AsyncStreamProxy",
    "Call",
    "CallHooks",
    "Endpoint",
    "EndpointCalls",
    "Exchange",
    "LLMRequest",
    "LLMResponse",
    "PatchModule",
    "Patches",
    "Router",
    "StreamAccumulator",
    "StreamProxy",
    "SyncStreamProxy",
    "ToolCallRequest",
    "ToolResult",
    "Usage",
    "WireFormat",
    "Wrapper",
    "canonical_json",
    "capture_content",
    "conversation_hashes",
    "count_tokens",
    "end_stream",
    "fold_items",
    "guarded",
    "in_traced_call",
    "report_internal_error",
    "sdk_supported",
    "semconv",
    "sha256_hex",
    "sha256_hex_items",
    "sha256_hex_memo",
    "stand_in_span",
    "start_call",
    "token_count",
    "traced_async",
    "traced_sync",
    "version_supported",
    "wrap_stream",
]

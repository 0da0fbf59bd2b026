"""The anthropic SDK (0.43 and later: 0.x on httpx, 1.x and 2.x on httpx2).

Like the openai patch, this wraps ``anthropic._base_client.SyncAPIClient.request`` and
``AsyncAPIClient.request`` (see :mod:`._stainless`) and routes by URL: ``POST /v1/messages``,
with or without the beta surface's ``?beta=true``, is a chat call; ``/v1/messages/count_tokens``,
batches, models and files are not traced. Every Messages call shape arrives at ``request``:
``messages.create`` (sync, async, ``stream=True``), the ``messages.stream()`` helper (it calls
``_post(..., stream=True)`` and its ``MessageStream`` iterates the raw ``Stream`` we hand back
wrapped, so ``text_stream``, ``get_final_message()`` and ``until_done()`` are the SDK's own,
unchanged), ``messages.parse``, ``beta.messages.*``, ``with_raw_response`` and
``with_streaming_response``. Before 0.43 the stream helper built a stream of its own from the
raw one's response, out of our sight: those versions are not supported. The Bedrock and Vertex
clients are the same classes underneath; their calls get ``gen_ai.provider.name``
``aws.bedrock`` / ``gcp.vertex_ai``.

Three small extras, each skipped with one debug line when the SDK version lacks its target:

* **The SDK's own spans (anthropic 1.14 and later).** Such a client emits a ``CLIENT`` span per
  API call (``anthropic.messages.create``, with ``gen_ai.usage.*``) whenever its ``open_telemetry``
  option leaves traces on (the default) and a tracer provider is set. For a call agentwrap
  traces, agentwrap's span *stands in* for the SDK's: the SDK is handed a non-recording span
  that carries agentwrap's span context, so it emits no span of its own, records no second
  set of token counts, and still propagates trace context (the ``traceparent`` it sends names
  agentwrap's span) exactly as its ``propagation`` option says (see
  :func:`agentwrap.provider.stand_in_span`). Calls agentwrap does not trace
  (``count_tokens``, batches, files, models, sessions) keep the SDK's spans untouched, and so
  does every call while agentwrap is not instrumented. Detection is per call and per client:
  the SDK asks for a span only when that client's tracing is on. The beta tool runner's own
  spans (``anthropic.messages.tool_runner`` and one ``anthropic.custom_tool_use {name}`` per
  tool it runs) are kept: they carry no token counts, and they time the tool function itself,
  where agentwrap's derived ``execute_tool`` span covers the request-to-result round trip; a
  backend that counts tool executions should count one of the two (by instrumentation scope).
* **isinstance on 0.x streams.** anthropic 0.x gives ``Stream``/``AsyncStream`` a metaclass
  whose ``__instancecheck__`` accepts only the exact class, which a proxy is not; we teach it
  our proxies, so ``isinstance(stream, anthropic.Stream)`` holds as without agentwrap.
* **An exception inside ``with client.messages.stream(...)``.** The SDK's stream manager
  closes the stream without passing the exception on; we pass it to the wrapped stream first,
  so the span ends with the error status, as it does for ``with create(stream=True)``.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from agentwrap.provider import (
    Endpoint,
    Patches,
    StreamProxy,
    guarded,
    semconv,
    stand_in_span,
    version_supported,
)

from ._anthropic_messages import MessagesEndpoint
from ._stainless import StainlessCalls, install_stainless_sdk
from ._stainless import sent_by_stainless_sdk as sent_by_sdk

__all__ = ["SUPPORTED", "install", "route", "sent_by_sdk", "supported", "uninstall"]

SUPPORTED = ">=0.43"

log = logging.getLogger("agentwrap")

ROUTES: dict[str, Endpoint] = {
    "/v1/messages": MessagesEndpoint(),
}

_patches = Patches()

# Clients of Claude on a cloud platform, by class name -> gen_ai.provider.name (GENAI-SEMCONV §2).
_PLATFORMS = {
    "AnthropicBedrock": semconv.PROVIDER_AWS_BEDROCK,
    "AsyncAnthropicBedrock": semconv.PROVIDER_AWS_BEDROCK,
    "AnthropicVertex": semconv.PROVIDER_GCP_VERTEX_AI,
    "AsyncAnthropicVertex": semconv.PROVIDER_GCP_VERTEX_AI,
}
_HELPER_MANAGERS = (
    ("lib.streaming._messages", "MessageStreamManager", "__exit__"),
    ("lib.streaming._messages", "AsyncMessageStreamManager", "__aexit__"),
    ("lib.streaming._beta_messages", "BetaMessageStreamManager", "__exit__"),
    ("lib.streaming._beta_messages", "BetaAsyncMessageStreamManager", "__aexit__"),
)


def route(method: str, url: str) -> Endpoint | None:
    """The endpoint for a request, or None for calls we do not trace (count_tokens, GET, ...)."""
    if method.lower() != "post":
        return None
    path = url.split("?", 1)[0].rstrip("/")  # older SDKs put the beta flag in the URL
    for suffix, endpoint in ROUTES.items():
        if path == suffix or path.endswith(suffix):  # absolute URLs end the same way
            return endpoint
    return None


def _provider_of(client: Any) -> str | None:
    """The cloud platform that serves Claude for this client, or None for Anthropic's own API."""
    for cls in type(client).__mro__:
        name = _PLATFORMS.get(cls.__name__)
        if name is not None:
            return name
    return None


# -- the SDK's own spans --------------------------------------------------------------------


def _stand_in_span(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A non-recording span with agentwrap's context when agentwrap traces this call, else None."""
    options = args[2] if len(args) > 2 else kwargs.get("options")
    if route(str(getattr(options, "method", "")), str(getattr(options, "url", ""))) is None:
        return None
    return stand_in_span()


def _start_api_call_span(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    stand_in = guarded(_stand_in_span, args, kwargs)
    return stand_in if stand_in is not None else wrapped(*args, **kwargs)


# -- exceptions inside ``with messages.stream(...)`` -------------------------------------------


def _helper_raw_stream(manager: Any) -> Any:
    # The manager keeps its MessageStream in a name-mangled attribute (``_<Class>__stream``).
    for name, value in vars(manager).items():
        if name.endswith("__stream"):
            raw = getattr(value, "_raw_stream", None)
            if isinstance(raw, StreamProxy):
                return raw
    return None


def _helper_exit(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    raw = guarded(_helper_raw_stream, instance) if len(args) == 3 and args[1] is not None else None
    if raw is not None:
        raw.__exit__(*args)  # closes the SDK stream (as the manager is about to) and fails the span
    return wrapped(*args, **kwargs)


async def _helper_aexit(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    raw = guarded(_helper_raw_stream, instance) if len(args) == 3 and args[1] is not None else None
    if raw is not None:
        await raw.__aexit__(*args)
    return await wrapped(*args, **kwargs)


# -- isinstance on 0.x streams -------------------------------------------------------------


def _stream_instancecheck(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # anthropic 0.x gives Stream/AsyncStream a metaclass whose __instancecheck__ accepts only the
    # exact class (and, deprecated, MessageStream): a proxy would fail isinstance(s, Stream).
    if len(args) == 1 and isinstance(args[0], StreamProxy):
        return isinstance(args[0].__wrapped__, instance)
    return wrapped(*args, **kwargs)


# -- install / uninstall --------------------------------------------------------------------


def _wrap(owner: Any, name: str, wrapper: Any, what: str) -> None:
    if vars(owner).get(name) is None:
        log.debug("agentwrap: anthropic has no %s; skipped", what)
        return
    _patches.wrap(owner, name, wrapper)


def _install_handoff(module: Any) -> None:
    base_client = module._base_client
    if not hasattr(base_client, "start_api_call_span"):
        log.debug("agentwrap: anthropic %s emits no spans of its own", getattr(module, "__version__", "?"))
        return
    _wrap(base_client, "start_api_call_span", _start_api_call_span, "_base_client.start_api_call_span")


def _install_instancecheck(module: Any) -> None:
    streaming = getattr(module, "_streaming", None)
    found = [getattr(streaming, name, None) for name in ("_SyncStreamMeta", "_AsyncStreamMeta")]
    metas = [meta for meta in found if isinstance(meta, type) and "__instancecheck__" in vars(meta)]
    if len(metas) < len(found):
        log.debug("agentwrap: anthropic streams have no isinstance override (1.x and later); none needed")
        return
    for meta in metas:
        _wrap(meta, "__instancecheck__", _stream_instancecheck, f"{meta.__name__}.__instancecheck__")


def _install_helper_exits(module: Any) -> None:
    for module_name, class_name, method in _HELPER_MANAGERS:
        try:
            owner = getattr(importlib.import_module(f"{module.__name__}.{module_name}"), class_name, None)
        except ImportError:
            owner = None
        if owner is None:
            log.debug("agentwrap: anthropic has no %s; skipped", class_name)
            continue
        _wrap(
            owner, method, _helper_exit if method == "__exit__" else _helper_aexit, f"{class_name}.{method}"
        )


def supported(version: str) -> bool:
    """Whether an anthropic version is in ``SUPPORTED`` (an unreadable version is given a try)."""
    return version_supported(version, SUPPORTED)


def install(module: Any) -> bool:
    """Patch the SDK's client classes; True if anything was patched."""
    if _patches:
        return True
    hooks = StainlessCalls(route, _provider_of)
    if not install_stainless_sdk(module, "anthropic", SUPPORTED, hooks, _patches):
        return False
    guarded(_install_handoff, module)
    guarded(_install_instancecheck, module)
    guarded(_install_helper_exits, module)
    return True


def uninstall() -> None:
    """Restore the SDK's original methods."""
    _patches.restore()

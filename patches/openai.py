"""The openai SDK (1.x and 2.x on httpx, 3.x on httpx2).

Wraps ``openai._base_client.SyncAPIClient.request`` and ``AsyncAPIClient.request`` (see
:mod:`._stainless`) and routes by URL: ``/chat/completions``, ``/responses`` and
``/embeddings``; more endpoints register in ``ROUTES``. Every call shape (``create``,
``parse``, the ``stream()`` helpers, ``with_raw_response``, ``with_streaming_response``)
arrives there. The wire format is read from the JSON body the SDK is about to send and from
the SDK's parsed response objects, by attribute name only, so SDK upgrades that add fields
change nothing here. The ``stream()`` helpers and ``with_streaming_response`` close streams
behind the proxy's back; ``HELPER_METHODS`` (see :mod:`._closing`) makes those closes end
the span.
"""

from __future__ import annotations

from typing import Any

from agentwrap.provider import Endpoint, Patches, semconv, version_supported

from ._closing import Target, patch_methods_on_import
from ._openai_chat import ChatCompletionsEndpoint
from ._openai_embeddings import EmbeddingsEndpoint
from ._openai_responses import ResponsesEndpoint
from ._stainless import StainlessCalls, install_stainless_sdk
from ._stainless import sent_by_stainless_sdk as sent_by_sdk

__all__ = ["SUPPORTED", "install", "provider_of", "route", "sent_by_sdk", "supported", "uninstall"]

# Verified with the openai test-suite on 1.40.0 (the first with the chat stream() and parse()
# helpers), 1.66.0 (the first with the Responses API), 1.109.1, 2.54.0 and 3.57.0.
SUPPORTED = ">=1.40"

ROUTES: dict[str, Endpoint] = {
    "/chat/completions": ChatCompletionsEndpoint(),
    "/responses": ResponsesEndpoint(),
    "/embeddings": EmbeddingsEndpoint(),
}


def _stream_helper(module: str, prefix: str) -> list[Target]:
    """The closing methods of one ``stream()`` helper: ``<prefix>Stream.close`` / ``__exit__``,
    ``<prefix>StreamManager.__exit__``, and their ``Async<prefix>...`` twins."""
    return [
        (module, f"{prefix}Stream", "close", "close"),
        (module, f"{prefix}Stream", "__exit__", "exit"),
        (module, f"{prefix}StreamManager", "__exit__", "exit"),
        (module, f"Async{prefix}Stream", "close", "aclose"),
        (module, f"Async{prefix}Stream", "__aexit__", "aexit"),
        (module, f"Async{prefix}StreamManager", "__aexit__", "aexit"),
    ]


HELPER_METHODS: list[Target] = [
    *_stream_helper("openai.lib.streaming.chat", "ChatCompletion"),
    # The Responses API (and its helpers) exist from openai 1.66 on.
    *_stream_helper("openai.lib.streaming.responses", "Response"),
    ("openai._response", "ResponseContextManager", "__exit__", "exit"),
    ("openai._response", "AsyncResponseContextManager", "__aexit__", "aexit"),
]

_patches = Patches()


def route(method: str, url: str) -> Endpoint | None:
    """The endpoint for a request, or None for calls we do not trace (GET, files, ...)."""
    if method.lower() != "post":
        return None
    endpoint = ROUTES.get(url)
    if endpoint is not None:
        return endpoint
    # Absolute URLs and Azure deployment paths end with the same suffix.
    for suffix, candidate in ROUTES.items():
        if url.endswith(suffix):
            return candidate
    return None


def provider_of(client: Any) -> str | None:
    """``azure.ai.openai`` for the SDK's Azure clients (the conventions' name), else None."""
    cls = type(client)
    if cls not in _provider_by_class:  # a handful of client classes: remember the answer
        azure = any(c.__name__ == "BaseAzureClient" for c in cls.__mro__)
        _provider_by_class[cls] = semconv.PROVIDER_AZURE_AI_OPENAI if azure else None
    return _provider_by_class[cls]


_provider_by_class: dict[type, str | None] = {}


def supported(version: str) -> bool:
    """Whether an openai version is in ``SUPPORTED`` (an unreadable version is given a try)."""
    return version_supported(version, SUPPORTED)


def install(module: Any) -> bool:
    """Patch the SDK's client classes; True if anything was patched."""
    if _patches:
        return True
    if not install_stainless_sdk(module, "openai", SUPPORTED, StainlessCalls(route, provider_of), _patches):
        return False
    # The stream-helper modules are patched when the program first imports them (not here).
    patch_methods_on_import("openai", HELPER_METHODS, _patches)
    return True


def uninstall() -> None:
    """Restore the SDK's original methods."""
    _patches.restore()

"""The google-genai SDK (Gemini Developer API and Vertex AI), 1.20 and later.

Every model call of the SDK goes through its API client's four request methods,
``google.genai._api_client.BaseApiClient.request`` / ``request_streamed`` and their async
twins ``async_request`` / ``async_request_streamed``, with the path (``models/{model}:
generateContent``, ``...:streamGenerateContent?alt=sse``) and the JSON body it is about to send.
Wrapping those (per class, so every client is covered) gives one span per HTTP request, retries
included, for every call shape: ``models.generate_content`` and ``generate_content_stream``, the
same on ``client.aio``, chats (``send_message``, ``send_message_stream``), and each round of the
SDK's automatic function calling, whose function runs become ``execute_tool`` spans like any
application's. Other requests (``countTokens``, embeddings, files, caches, models) are not
traced. ``gen_ai.provider.name`` is ``gcp.vertex_ai`` for a client in Vertex mode, else
``gcp.gemini``.

A streamed call's span starts when the SDK's generator is made and ends when its stream ends:
drained, failed, or let go of (a ``break`` out of the loop, ``close()`` on the SDK's generator,
garbage collection), the last two as not completed. The SDK's generators are handed back
unchanged: only the inner one, which yields the raw responses, is wrapped.

The wire format is known to the raw-HTTP patches too (:func:`route`, :func:`sent_by_sdk`): a
``generateContent`` request posted with a bare httpx client (LiteLLM does) is traced with the
same translators; the SDK's own requests, which carry its ``x-goog-api-client`` header, are not
traced twice.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from agentwrap.provider import (
    EndpointCalls,
    Exchange,
    LLMRequest,
    Patches,
    sdk_supported,
    traced_async,
    traced_sync,
    version_supported,
)

from ._gemini_content import GEMINI, VERTEX, GenerateContentEndpoint, endpoint_for

__all__ = ["SUPPORTED", "install", "route", "sent_by_sdk", "supported", "uninstall"]

SUPPORTED = ">=1.20"

log = logging.getLogger("agentwrap")

_METHODS = (
    ("request", traced_sync),
    ("request_streamed", traced_sync),
    ("async_request", traced_async),
    ("async_request_streamed", traced_async),
)
_ARGUMENTS = ("http_method", "path", "request_dict", "http_options")

_patches = Patches()


def route(method: str, path: str) -> GenerateContentEndpoint | None:
    """The endpoint of a request, by HTTP method and URL path (None: not a call we trace)."""
    return endpoint_for(method, path)


def sent_by_sdk(headers: Any) -> bool:
    """Whether a request was sent by the google-genai SDK (its ``x-goog-api-client`` says so)."""
    return "google-genai-sdk/" in str(headers.get("x-goog-api-client", ""))


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], index: int) -> Any:
    return args[index] if len(args) > index else kwargs.get(_ARGUMENTS[index])


def _server(client: Any, http_options: Any) -> tuple[str | None, int | None]:
    """The host and port the request goes to: the call's own base URL, else the client's."""
    base_url = None
    for options in (http_options, getattr(client, "_http_options", None)):
        found = options.get("base_url") if isinstance(options, dict) else getattr(options, "base_url", None)
        if isinstance(found, str) and found:
            base_url = found
            break
    if base_url is None:
        return None, None
    url = urlsplit(base_url)
    return url.hostname, url.port or (443 if url.scheme == "https" else 80)


class ApiClientCalls(EndpointCalls):
    """The generic wrapper's hooks for ``request(http_method, path, request_dict, http_options)``."""

    __slots__ = ()

    def begin(
        self, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[LLMRequest, Exchange] | None:
        """The request of a ``generateContent`` call, or None for any other API request."""
        endpoint = route(str(_argument(args, kwargs, 0)), str(_argument(args, kwargs, 1)))
        body = _argument(args, kwargs, 2)
        if endpoint is None or not isinstance(body, dict):
            return None
        endpoint.provider = VERTEX if getattr(client, "vertexai", False) is True else GEMINI
        request = endpoint.request(body, endpoint.stream)
        request.server_address, request.server_port = _server(client, _argument(args, kwargs, 3))
        return request, (endpoint, body)


def supported(version: str) -> bool:
    """Whether a google-genai version is in ``SUPPORTED`` (an unreadable version is given a try)."""
    return version_supported(version, SUPPORTED)


def install(module: Any) -> bool:
    """Wrap the request methods of the SDK's API client; True if anything was patched."""
    if _patches:
        return True
    if not sdk_supported(module, "google-genai", SUPPORTED):
        return False
    api_client = getattr(module, "_api_client", None)
    # BaseApiClient since 1.2; ApiClient before (its request methods gave parsed dicts).
    client_class = getattr(api_client, "BaseApiClient", None) or getattr(api_client, "ApiClient", None)
    if client_class is None:
        log.debug("agentwrap: google-genai %s has no BaseApiClient; not instrumented", module.__version__)
        return False
    hooks = ApiClientCalls()
    for name, traced in _METHODS:
        if name in vars(client_class):
            _patches.wrap(client_class, name, traced(hooks))
        else:
            log.debug("agentwrap: google-genai has no BaseApiClient.%s; skipped", name)
    return bool(_patches)


def uninstall() -> None:
    """Restore the SDK's original methods."""
    _patches.restore()

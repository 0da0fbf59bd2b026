"""The openai SDK (1.x and 2.x on httpx, 3.x on httpx2).

Wraps ``openai._base_client.SyncAPIClient.request`` and ``AsyncAPIClient.request`` (see
:mod:`._stainless`) and routes by URL: ``/chat/completions`` here; more endpoints register in
``ROUTES``. The wire format is read from the JSON body the SDK is about to send and from the
SDK's parsed response objects, by attribute name only, so SDK upgrades that add fields change
nothing here.
"""

from __future__ import annotations

import logging
from typing import Any

from ._openai_chat import ChatCompletionsEndpoint
from ._stainless import Endpoint, patch_client_classes, unpatch_client_classes

__all__ = ["NAME", "SUPPORTED", "install", "route", "uninstall"]

NAME = "openai"
MODULE = "openai"
SUPPORTED = ">=1.40"

log = logging.getLogger("agentwrap")

ROUTES: dict[str, Endpoint] = {
    "/chat/completions": ChatCompletionsEndpoint(),
}

_originals: dict[type, Any] = {}


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


def install(module: Any) -> bool:
    """Patch the SDK's client classes; True if anything was patched."""
    if _originals:
        return True
    base_client = getattr(module, "_base_client", None)
    if base_client is None:
        log.debug(
            "agentwrap: openai %s has no _base_client; not instrumented", getattr(module, "__version__", "?")
        )
        return False
    _originals.update(patch_client_classes(base_client, route))
    if not _originals:
        log.debug("agentwrap: openai client classes have no request(); not instrumented")
    return bool(_originals)


def uninstall() -> None:
    """Restore the SDK's original methods."""
    unpatch_client_classes(_originals)
    _originals.clear()

"""LLM API calls made with httpx2 directly (see :mod:`._httpx`); SDK calls are not traced twice."""

from __future__ import annotations

from typing import Any

from ._httpx import patch_http_module, unpatch_http_module

__all__ = ["NAME", "SUPPORTED", "install", "uninstall"]

NAME = "httpx2"
MODULE = "httpx2"
SUPPORTED = ">=2.0"

_originals: dict[type, Any] = {}


def install(module: Any) -> bool:
    """Wrap the module's Client.send and AsyncClient.send; True if anything was wrapped."""
    if not _originals:
        _originals.update(patch_http_module(module))
    return bool(_originals)


def uninstall() -> None:
    """Restore the original send methods."""
    unpatch_http_module(_originals)
    _originals.clear()

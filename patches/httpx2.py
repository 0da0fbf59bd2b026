"""LLM API calls made with httpx2 directly (see :mod:`._httpx`); SDK calls are not traced twice."""

from __future__ import annotations

from ._httpx import HttpClientPatch

__all__ = ["SUPPORTED", "install", "uninstall"]

SUPPORTED = ">=2.0"

_patch = HttpClientPatch()
install = _patch.install
uninstall = _patch.uninstall

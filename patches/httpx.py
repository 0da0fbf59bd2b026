"""LLM API calls made with httpx directly (see :mod:`._httpx`); SDK calls are not traced twice."""

from __future__ import annotations

from ._httpx import HttpClientPatch

__all__ = ["SUPPORTED", "install", "uninstall"]

SUPPORTED = ">=0.23"

_patch = HttpClientPatch()
install = _patch.install
uninstall = _patch.uninstall

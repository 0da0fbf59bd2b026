"""Stable hashes of prompts and tool arguments.

A hash must not depend on dict order or on how an SDK happened to build its objects, so
everything is hashed through one canonical JSON form. Hashes are always on (they carry no
content), and look like ``sha256-<64 hex>``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "parse_arguments", "sha256_hex"]


def _fallback(obj: Any) -> Any:
    # SDK objects (pydantic models) and other stragglers: use their plain-data form if they
    # have one, else their repr. Never raise: hashing must not fail on odd input.
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:  # noqa: BLE001
            pass
    if isinstance(obj, (set, frozenset)):
        return sorted(map(repr, obj))
    if isinstance(obj, bytes):
        return obj.hex()
    return repr(obj)


def canonical_json(obj: Any) -> str:
    """Serialize with sorted keys and no whitespace; unknown objects fall back to plain data."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_fallback)


def sha256_hex(obj: Any) -> str:
    """``sha256-<hex>`` of the canonical serialization of ``obj`` (strings are hashed as is)."""
    text = obj if isinstance(obj, str) else canonical_json(obj)
    return "sha256-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def parse_arguments(raw: Any) -> tuple[Any, bool]:
    """Parse tool-call arguments the way the model sent them.

    Returns ``(value, ok)``: a JSON string becomes the object it encodes; an object stays as
    it is; malformed JSON comes back as the raw string with ``ok=False`` (models do emit
    truncated or invalid arguments, and that must be visible, not lost).
    """
    if isinstance(raw, str):
        if raw.strip() == "":
            return {}, True
        try:
            return json.loads(raw), True
        except ValueError:
            return raw, False
    return raw, True

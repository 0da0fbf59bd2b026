"""Token counts for calls whose provider sent no usage (streams without a usage chunk).

tiktoken is used only when it is installed *and* its encoding file is already in the local
cache: tiktoken would otherwise download it, and a network wait (or failure) on the caller's
path is not acceptable. Without it, a documented cheap estimate is used: one token per four
characters, rounded up (OpenAI's own rule of thumb for English text). Either way the usage is
marked ``estimated``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["count_tokens", "estimate_tokens"]

# The encoding files tiktoken would fetch, keyed by encoding name.
_ENCODING_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
_OLDER_MODELS = ("gpt-4-", "gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")

_lock = threading.Lock()
_encoders: dict[str, Callable[[str], int] | None] = {}


def estimate_tokens(text: str) -> int:
    """The cheap estimate: ceil(len(text) / 4)."""
    return (len(text) + 3) // 4


def _encoding_name(model: str | None) -> str:
    name = (model or "").lower()
    if name.startswith(_OLDER_MODELS) and not name.startswith(("gpt-4o", "gpt-4.1")):
        return "cl100k_base"
    return "o200k_base"


def _cached_locally(encoding: str) -> bool:
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    if cache_dir == "":
        return False
    cache_dir = cache_dir or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    key = hashlib.sha1(_ENCODING_URLS[encoding].encode()).hexdigest()
    return os.path.exists(os.path.join(cache_dir, key))


def _load_encoder(encoding: str) -> Callable[[str], int] | None:
    if importlib.util.find_spec("tiktoken") is None or not _cached_locally(encoding):
        return None
    try:
        import tiktoken

        enc: Any = tiktoken.get_encoding(encoding)
    except Exception:  # noqa: BLE001 - a broken tokenizer falls back to the estimate
        return None
    return lambda text: len(enc.encode(text, disallowed_special=()))


def count_tokens(text: str, model: str | None = None) -> int:
    """Tokens in ``text``: tiktoken when available offline, else :func:`estimate_tokens`."""
    if not text:
        return 0
    encoding = _encoding_name(model)
    if encoding not in _encoders:
        with _lock:
            if encoding not in _encoders:
                _encoders[encoding] = _load_encoder(encoding)
    encoder = _encoders[encoding]
    return encoder(text) if encoder is not None else estimate_tokens(text)

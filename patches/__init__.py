"""Provider patches: the only code that knows an SDK (installed as ``agentwrap.patches``).

Each module here exposes ``NAME``, ``MODULE`` (the SDK's import name), ``SUPPORTED`` (the
version range it is tested against), ``install(sdk_module) -> bool`` and ``uninstall()``.
``PROVIDERS`` lists them for the core, which imports a patch module only once its SDK has
been imported by the application.
"""

from __future__ import annotations

__all__ = ["PROVIDERS"]

# provider name -> (SDK import name, patch module)
PROVIDERS: dict[str, tuple[str, str]] = {
    "openai": ("openai", "agentwrap.patches.openai"),
    "anthropic": ("anthropic", "agentwrap.patches.anthropic"),
    # LLM API calls made with the HTTP clients directly (SDK calls are traced once, above).
    "httpx": ("httpx", "agentwrap.patches.httpx"),
    "httpx2": ("httpx2", "agentwrap.patches.httpx2"),
}

"""Provider patches: the only code that knows an SDK (installed as ``agentwrap.patches``).

Each module registered here is a :class:`agentwrap.provider.PatchModule` (``SUPPORTED``,
``install(sdk_module) -> bool``, ``uninstall()``; see the :mod:`agentwrap.provider` docstring
for the whole contract of a new provider), and ``tests/test_patch_modules.py`` checks each one
against it. ``PROVIDERS`` lists them for the core, which imports a patch module only once its
SDK has been imported by the application. This file stays plain data: the start-up hook reads
it before any SDK (or OpenTelemetry) is imported.
"""

from __future__ import annotations

__all__ = ["PROVIDERS"]

# provider name -> (SDK import name, patch module)
PROVIDERS: dict[str, tuple[str, str]] = {
    "openai": ("openai", "agentwrap.patches.openai"),
    "anthropic": ("anthropic", "agentwrap.patches.anthropic"),
    "gemini": ("google.genai", "agentwrap.patches.gemini"),
    # boto3's bedrock-runtime client (botocore makes the client classes at run time).
    "bedrock": ("botocore", "agentwrap.patches.bedrock"),
    # LLM API calls made with the HTTP clients directly (SDK calls are traced once, above).
    "httpx": ("httpx", "agentwrap.patches.httpx"),
    "httpx2": ("httpx2", "agentwrap.patches.httpx2"),
}

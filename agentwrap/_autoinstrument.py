"""``AGENTWRAP_AUTO_INSTRUMENT=1``: instrument a program with no change to its code.

The ``agentwrap-auto.pth`` file installed in site-packages calls :func:`start` at interpreter
start-up when the variable is set (and does nothing but read it otherwise). ``start`` registers
a post-import hook per supported SDK, so each one is patched when the program first imports it,
and installs the exit and SIGTERM hooks. Nothing else happens until the first LLM call or run:
the tracer, sinks and exporters are then built from the environment (``AGENTWRAP_*`` and the
standard ``OTEL_*`` variables), so a TracerProvider the app sets up in the meantime is used.
Implicit runs are on (``AGENTWRAP_IMPLICIT_RUNS=0`` turns them off).
"""

from __future__ import annotations

import logging
import os

__all__ = ["ENV_VAR", "enabled", "start"]

ENV_VAR = "AGENTWRAP_AUTO_INSTRUMENT"
_OFF = ("", "0", "false", "no", "off")
_started = False

log = logging.getLogger("agentwrap")


def enabled(env: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """Whether the variable asks for auto-instrumentation."""
    value = (os.environ if env is None else env).get(ENV_VAR, "")
    return value.strip().lower() not in _OFF


def start() -> None:
    """Register the SDK hooks and the exit hooks (idempotent; never raises)."""
    global _started
    if _started:
        return
    _started = True
    try:
        _start()
    except Exception:  # noqa: BLE001 - a start-up hook must never stop the program
        log.warning("agentwrap: auto-instrumentation failed; the program runs uninstrumented", exc_info=True)


def _start() -> None:
    import wrapt

    from agentwrap import _exit, _instrument

    os.environ.setdefault("AGENTWRAP_IMPLICIT_RUNS", "1")
    with _instrument._lock:
        for provider, (sdk_name, patch_module_name) in _instrument._providers().items():
            _instrument._enabled.add(provider)
            if sdk_name not in _instrument._hooked:
                _instrument._hooked.add(sdk_name)
                wrapt.register_post_import_hook(_instrument._hook_for(provider, patch_module_name), sdk_name)
    _exit.install()

"""agentwrap: zero-change observability for AI agent runs.

``agentwrap.instrument()`` wraps the LLM client SDKs so that every call becomes an
OpenTelemetry span (GenAI semantic conventions), tool executions are derived from the
conversation, and each run closes with one aggregate summary record.
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False  # not typing's: importing typing alone costs milliseconds at start-up
if TYPE_CHECKING:
    from typing import Any

    from agentwrap._config import Config
    from agentwrap._errors import AgentwrapError
    from agentwrap._instrument import instrument, instrumented_providers, uninstrument
    from agentwrap._run import Run
    from agentwrap._scope import current_run, run
    from agentwrap._summary import SUMMARY_FIELDS
    from agentwrap._version import __version__
    from agentwrap.detect import (
        BudgetExceeded,
        DetectorEvent,
        RunRecords,
        register_detector,
        unregister_detector,
    )

# The public names are imported on first use (PEP 562): ``import agentwrap`` itself costs next to
# nothing, which is what the AGENTWRAP_AUTO_INSTRUMENT start-up hook needs (it runs in every
# interpreter start and must not pull in wrapt and the OTel SDK before an LLM SDK is imported).
_LAZY = {
    "AgentwrapError": "agentwrap._errors",
    "BudgetExceeded": "agentwrap.detect",
    "Config": "agentwrap._config",
    "DetectorEvent": "agentwrap.detect",
    "Run": "agentwrap._run",
    "RunRecords": "agentwrap.detect",
    "SUMMARY_FIELDS": "agentwrap._summary",
    "__version__": "agentwrap._version",
    "current_run": "agentwrap._scope",
    "instrument": "agentwrap._instrument",
    "instrumented_providers": "agentwrap._instrument",
    "register_detector": "agentwrap.detect",
    "run": "agentwrap._scope",
    "uninstrument": "agentwrap._instrument",
    "unregister_detector": "agentwrap.detect",
}


# The names whose use can build the default Telemetry (a run opened before any instrument()):
# the composition root is imported first, and registers the factory that wires that Telemetry
# (see agentwrap._setup). instrument() and uninstrument() import it by themselves.
_WIRED = ("run",)


# The library convention, a NullHandler on our logger (agentwrap._log): added here when the program
# has imported logging already, else by the first module of ours that logs (importing logging
# here would cost milliseconds at start-up).
if "logging" in sys.modules:
    from agentwrap import _log  # noqa: F401 - imported for its handler


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentwrap' has no attribute {name!r}")
    if name in _WIRED:
        from agentwrap import _setup  # noqa: F401 - imported for its registration
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AgentwrapError",
    "BudgetExceeded",
    "Config",
    "DetectorEvent",
    "Run",
    "RunRecords",
    "SUMMARY_FIELDS",
    "__version__",
    "current_run",
    "instrument",
    "instrumented_providers",
    "register_detector",
    "run",
    "uninstrument",
    "unregister_detector",
]

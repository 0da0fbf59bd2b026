"""agentwrap: zero-change observability for AI agent runs.

``agentwrap.instrument()`` wraps the LLM client SDKs so that every call becomes an
OpenTelemetry span (GenAI semantic conventions), tool executions are derived from the
conversation, and each run closes with one aggregate summary record.
"""

from __future__ import annotations

from agentwrap._config import Config
from agentwrap._errors import AgentwrapError
from agentwrap._instrument import instrument, instrumented_providers, uninstrument
from agentwrap._run import Run, current_run, run
from agentwrap._summary import SUMMARY_FIELDS
from agentwrap.detect import BudgetExceeded, DetectorEvent, RunRecords, register_detector, unregister_detector

__version__ = "0.1.0"

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

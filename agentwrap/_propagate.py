"""The run follows the work into executor threads.

``asyncio.to_thread``, ``gather``, ``create_task`` and ``TaskGroup`` copy the caller's context,
so the current run (a ContextVar) and the OTel context travel with them by themselves.
``loop.run_in_executor`` does not copy it: its function runs in a pool thread with an empty
context. While a run is current, agentwrap hands the executor the function wrapped in a copy
of the caller's context, exactly what ``to_thread`` does; with no run, the call is untouched.

``ThreadPoolExecutor.submit`` (and ``map``, which submits) outside asyncio copies nothing
either. There agentwrap carries only its own state: while a run is current, the submitted
function runs with that run current and nothing else of the caller's context (the host's own
ContextVars and its OTel context stay what the pool thread had, as without agentwrap). The
LLM calls it makes are the run's, and their spans hang under the run's root span.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import wrapt

from agentwrap._errors import report_internal_error
from agentwrap._run import Run
from agentwrap._scope import current_run, running

__all__ = ["install"]

_lock = threading.Lock()
_hooked = False


def _run_in_executor(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if current_run() is None or len(args) < 2 or kwargs:
        return wrapped(*args, **kwargs)
    executor, func, *rest = args
    return wrapped(executor, functools.partial(contextvars.copy_context().run, func), *rest)


def _in_run(run: Run, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    with running(run):
        return fn(*args, **kwargs)


def _submit(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    run = current_run()
    if run is None or not args:
        return wrapped(*args, **kwargs)
    fn, *rest = args
    return wrapped(functools.partial(_in_run, run, fn), *rest, **kwargs)


def _patch(module: ModuleType) -> None:
    try:
        wrapt.wrap_function_wrapper(module.BaseEventLoop, "run_in_executor", _run_in_executor)
    except Exception as exc:  # noqa: BLE001 - an import hook must not break the import
        report_internal_error("patch run_in_executor", exc)


def _patch_pool(module: ModuleType) -> None:
    try:
        wrapt.wrap_function_wrapper(module.ThreadPoolExecutor, "submit", _submit)
    except Exception as exc:  # noqa: BLE001 - an import hook must not break the import
        report_internal_error("patch ThreadPoolExecutor.submit", exc)


def install() -> None:
    """Patch ``BaseEventLoop.run_in_executor`` and ``ThreadPoolExecutor.submit`` once their
    modules are imported (once per process)."""
    global _hooked
    with _lock:
        if _hooked:
            return
        _hooked = True
    wrapt.register_post_import_hook(_patch, "asyncio.base_events")
    wrapt.register_post_import_hook(_patch_pool, "concurrent.futures.thread")

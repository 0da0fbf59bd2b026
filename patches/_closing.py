"""Streams that the SDK's own helpers close behind the stream proxy's back.

The ``stream()`` helpers of the Stainless SDKs (openai ``chat.completions.stream()`` and
``responses.stream()``, anthropic ``messages.stream()``) wrap the raw ``Stream`` that
``request`` returned (our proxy) in a helper object that keeps it as ``_raw_stream``. Their
``close()`` closes the HTTP response directly, never the stream, and their context managers
do not pass on the exception that left the ``with`` block. Without help the span would end
only when the proxy is garbage-collected, as "abandoned".

So two kinds of methods are wrapped, on classes a patch names:

- ``close`` of a helper stream: after the SDK's close, the proxy in ``_raw_stream`` ends its
  span (as not drained, unless it was already drained or failed);
- ``__exit__`` / ``__aexit__`` of a helper or of a raw-response context manager: while it
  runs, the exception leaving the ``with`` block is known (:func:`exit_exception`), so the
  span ends with that error, as it does for ``with stream:`` on the proxy itself.

A class or method an SDK version lacks is skipped with one debug line.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

import wrapt

from agentwrap.provider import Patches, end_stream, guarded

__all__ = ["Target", "exit_exception", "patch_methods", "patch_methods_on_import"]

log = logging.getLogger("agentwrap")

# (module, class, method, kind): kind is "close", "aclose", "exit" or "aexit".
Target = tuple[str, str, str, str]

_exit_exc: ContextVar[BaseException | None] = ContextVar("agentwrap_exit_exception", default=None)


def exit_exception() -> BaseException | None:
    """The exception leaving the ``with`` block whose ``__exit__`` is running, if any."""
    return _exit_exc.get()


def _end_raw_stream(helper: Any) -> None:
    end_stream(getattr(helper, "_raw_stream", None), _exit_exc.get())


def _exception(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    exc = args[1] if len(args) > 1 else kwargs.get("exc", kwargs.get("exc_val"))
    return exc if isinstance(exc, BaseException) else None


def _close(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return wrapped(*args, **kwargs)
    finally:
        guarded(_end_raw_stream, instance)


async def _aclose(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    try:
        return await wrapped(*args, **kwargs)
    finally:
        guarded(_end_raw_stream, instance)


def _exit(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    token = _exit_exc.set(_exception(args, kwargs))
    try:
        return wrapped(*args, **kwargs)
    finally:
        _exit_exc.reset(token)


async def _aexit(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    token = _exit_exc.set(_exception(args, kwargs))
    try:
        return await wrapped(*args, **kwargs)
    finally:
        _exit_exc.reset(token)


_WRAPPERS: dict[str, Callable[..., Any]] = {
    "close": _close,
    "aclose": _aclose,
    "exit": _exit,
    "aexit": _aexit,
}


def _find_class(module_name: str, class_name: str) -> Any:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, class_name, None)


def patch_methods(sdk: str, targets: Iterable[Target], patches: Patches) -> None:
    """Wrap each target method into ``patches`` (one already wrapped there is left as it is)."""
    for module_name, class_name, method, kind in targets:
        cls = _find_class(module_name, class_name)
        if not isinstance(cls, type) or not callable(getattr(cls, method, None)):
            log.debug("agentwrap: %s has no %s.%s.%s; skipped", sdk, module_name, class_name, method)
        elif not patches.has(cls, method):  # a re-install registered an import hook too
            patches.wrap(cls, method, _WRAPPERS[kind])


def patch_methods_on_import(sdk: str, targets: Iterable[Target], patches: Patches) -> None:
    """Like :func:`patch_methods`, but a target whose module is not imported yet is patched
    when it is first imported (the SDK's helper modules cost tens of milliseconds to import,
    and many programs never use them), and only while ``patches`` holds anything (the SDK has
    not been uninstrumented since).
    """
    by_module: dict[str, list[Target]] = {}
    for target in targets:
        by_module.setdefault(target[0], []).append(target)
    for module_name, group in by_module.items():
        if module_name in sys.modules:
            patch_methods(sdk, group, patches)
        else:
            wrapt.register_post_import_hook(_on_import(sdk, group, patches), module_name)


def _on_import(sdk: str, group: list[Target], patches: Patches) -> Callable[[Any], None]:
    def hook(module: Any) -> None:
        if patches:  # else uninstalled before the module was imported
            patch_methods(sdk, group, patches)

    return lambda module: guarded(hook, module)

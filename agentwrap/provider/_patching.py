"""Replacing an SDK's methods and putting them back exactly; checking the SDK's version."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import wrapt

from agentwrap._log import log

__all__ = ["Patches", "Wrapper", "sdk_supported", "version_supported"]

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
"""A wrapt function wrapper: ``(wrapped, instance, args, kwargs) -> result``."""

_MISSING = object()  # the attribute was inherited, not the owner's own: uninstall deletes ours


class Patches:
    """What a patch module replaced, each with the attribute it replaced, latest last.

    Patch classes rather than instances (clients copied with ``with_options`` or made later
    are covered) and whatever a caller may already hold a reference to: the method is looked
    up on the class at every call. :meth:`restore` puts back the very objects found.
    """

    __slots__ = ("_done",)

    def __init__(self) -> None:
        self._done: list[tuple[Any, str, Any]] = []

    def __bool__(self) -> bool:
        return bool(self._done)

    def wrap(self, owner: Any, name: str, wrapper: Wrapper) -> None:
        """Wrap ``owner.name`` (a class's method or a module's function) with ``wrapper``."""
        self._done.append((owner, name, vars(owner).get(name, _MISSING)))
        wrapt.wrap_function_wrapper(owner, name, wrapper)

    def has(self, owner: Any, name: str) -> bool:
        """Whether ``owner.name`` is wrapped already."""
        return any(done_owner is owner and done_name == name for done_owner, done_name, _ in self._done)

    def restore(self) -> None:
        """Put back exactly what was replaced, latest first (a method wrapped twice included)."""
        for owner, name, original in reversed(self._done):
            if original is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._done.clear()


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def version_supported(version: str, supported: str) -> bool:
    """Whether ``version`` is in ``supported`` (``">=X.Y"``); an unreadable version is given a try."""
    found = _release(version)
    return not found or found >= _release(supported)


def sdk_supported(module: ModuleType, name: str, supported: str) -> bool:
    """Whether the SDK module's ``__version__`` is in ``supported``; one warning if it is not."""
    version = str(getattr(module, "__version__", "?"))
    if version_supported(version, supported):
        return True
    log.warning("agentwrap: %s %s is not supported (%s); not instrumented", name, version, supported)
    return False

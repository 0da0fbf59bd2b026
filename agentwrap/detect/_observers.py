"""The run observers :mod:`agentwrap.detect` gives every run; the composition root registers them.

Each is a factory ``Callable[[Run], RunObserver | None]`` (see :mod:`agentwrap._observers`).
"""

from __future__ import annotations

from agentwrap.detect._monitor import Monitor

__all__ = ["OBSERVERS"]

OBSERVERS = (Monitor,)

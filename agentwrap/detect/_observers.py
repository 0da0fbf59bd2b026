"""The run observers :mod:`agentwrap.detect` gives every run; the composition root registers them.

Each is a factory ``Callable[[Run], RunObserver | None]`` (see :mod:`agentwrap._observers`),
one per layer, in layer order: the run calls them in this order, so at close the bounds' last
check (the wall time) comes before the detectors, which see its event.
"""

from __future__ import annotations

from agentwrap.detect._bounds_observer import BoundsObserver
from agentwrap.detect._detectors_observer import DetectorsObserver
from agentwrap.detect._heuristics_observer import HeuristicsObserver

__all__ = ["OBSERVERS"]

OBSERVERS = (BoundsObserver, HeuristicsObserver, DetectorsObserver)

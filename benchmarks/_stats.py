"""Small statistics helpers: medians and quartiles of repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

__all__ = ["Spread", "spread"]


class Spread:
    """Median with the 25th and 75th percentiles."""

    __slots__ = ("median", "p25", "p75", "n")

    def __init__(self, median: float, p25: float, p75: float, n: int) -> None:
        self.median, self.p25, self.p75, self.n = median, p25, p75, n

    def as_dict(self) -> dict[str, float]:
        """JSON form."""
        return {"median": self.median, "p25": self.p25, "p75": self.p75, "n": self.n}


def spread(values: Sequence[float]) -> Spread | None:
    """Median and quartiles of ``values`` (None when empty)."""
    if not values:
        return None
    if len(values) == 1:
        return Spread(values[0], values[0], values[0], 1)
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Spread(q2, q1, q3, len(values))

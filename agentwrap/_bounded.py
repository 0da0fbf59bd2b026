"""A record list that stays bounded in a long run: its first and its last items, and a count.

A run keeps its calls (the records its detectors read too) and its tool executions in a
:class:`HeadTail`: below the cap it is the whole list (same order, same items); past it the
middle is dropped, ``len()`` still counts every item appended and :attr:`HeadTail.dropped`
says how many are gone, so a run of any length holds bounded memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["RECORDS_KEPT", "HeadTail"]

# Calls and tool calls a run keeps from its start, and as many from its end (read when a run
# opens). Running totals (turns, tokens, models, tool names, retries)
# always count everything.
RECORDS_KEPT = 1000

T = TypeVar("T")


class HeadTail(Generic[T]):
    """The first ``keep`` items appended and the last ``keep``; ``len()`` counts them all."""

    __slots__ = ("head", "tail", "count")

    def __init__(self, keep: int) -> None:
        self.head: list[T] = []
        self.tail: deque[T] = deque(maxlen=max(keep, 0))
        self.count = 0

    def append(self, item: T) -> None:
        """Add an item at the end (the oldest of the tail is dropped once both are full)."""
        self.count += 1
        if len(self.head) < (self.tail.maxlen or 0):
            self.head.append(item)
        else:
            self.tail.append(item)

    @property
    def dropped(self) -> int:
        """How many items appended are no longer kept (0 below the cap)."""
        return self.count - len(self.head) - len(self.tail)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[T]:
        yield from self.head
        yield from self.tail

    def __bool__(self) -> bool:
        return self.count > 0

    def __getitem__(self, index: int) -> T:
        """Position among all items appended; a dropped one raises ``IndexError``."""
        if index < 0:
            index += self.count
        if 0 <= index < len(self.head):
            return self.head[index]
        position = index - (self.count - len(self.tail))
        if 0 <= position < len(self.tail):
            return self.tail[position]
        raise IndexError("record not kept (or out of range)")

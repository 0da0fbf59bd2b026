"""Loading a JSONL file (spans, events, run summaries) into a run store, in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any

from agentwrap._log import log
from agentwrap.sinks._jsonl import read_records
from agentwrap.store._base import RunStore, WriteCounts

__all__ = ["import_jsonl"]


def import_jsonl(
    store: RunStore,
    handle: IO[bytes],
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    on_skip: Callable[[int], None] | None = None,
) -> WriteCounts:
    """Write every record of a JSONL file to ``store``; ``progress(bytes)`` after each batch.

    Lines that are not JSON are skipped and counted (``skipped``): ``on_skip(line_number)``
    hears of each, else one warning line says how many there were. Importing the same file
    twice stores nothing new (rows are keyed by run, event, span).
    """
    totals = WriteCounts(runs=0, events=0, spans=0, skipped=0)
    batch: list[dict[str, Any]] = []
    done = 0

    def counted() -> Iterator[bytes]:
        nonlocal done
        for raw in handle:
            done += len(raw)
            yield raw

    def flush() -> None:
        counts = store.write(batch)
        for key, value in counts.items():
            totals[key] += value
        batch.clear()
        if progress is not None:
            progress(done)

    def skipped(line: int) -> None:
        totals["skipped"] += 1
        if on_skip is not None:
            on_skip(line)

    for record in read_records(counted(), on_skip=skipped):
        batch.append(record)
        if len(batch) >= batch_size:
            flush()
    flush()
    if totals["skipped"] and on_skip is None:
        log.warning("agentwrap: %d lines were not JSON and were skipped", totals["skipped"])
    return totals

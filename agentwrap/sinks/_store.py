"""The sink that fills a run store as runs close, off the application's threads.

It also takes finished spans (through :class:`StoreSpanExporter`), so the dashboard can draw
a run's waterfall straight from the store.

``emit`` only puts the record on the bounded queue of a
:class:`~agentwrap.sinks._writer.BackgroundWriter` (it never waits: when the queue is full
the record is dropped and counted; the JSONL file, if any, still has it). The writer's daemon
thread writes batches to the store. A store that cannot be reached (a database down, a locked
file) costs the writer thread a retry later, never the app: ``close`` waits a bounded time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from agentwrap._log import log
from agentwrap.sinks._jsonl import RecordSpanExporter
from agentwrap.sinks._writer import BackgroundWriter

__all__ = ["RecordStore", "StoreSink", "StoreSpanExporter", "shown"]

_STORED_TYPES = ("run.summary", "event")


def shown(where: str) -> str:
    """A store's path or URL as messages give it: a password in a URL masked."""
    return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", where)


class RecordStore(Protocol):
    """What the sink needs of a store: :class:`agentwrap.store.RunStore` is one."""

    url: str

    def write(self, records: Iterable[dict[str, Any]]) -> Any:
        """Store records in one transaction."""

    def close(self) -> None:
        """Close the connection (a later write reopens it)."""


class StoreSink:
    """Write ``run.summary`` and ``event`` records to a run store in the background.

    :attr:`dropped` counts the records a full queue turned away, :attr:`written` those stored,
    :attr:`failed_batches` the batches given up after their retries.
    """

    def __init__(
        self,
        store: RecordStore,
        *,
        max_queue: int = 10_000,
        batch_size: int = 500,
        close_timeout_s: float = 5.0,
        retry_delay_s: float = 1.0,
    ) -> None:
        self.store = store
        self.failed_batches = 0
        self.written = 0
        self._close_timeout_s = close_timeout_s
        self._retry_delay_s = retry_delay_s
        self._closed = False
        self._warned = False
        self._writer: BackgroundWriter[dict[str, Any]] = BackgroundWriter(
            self._write, name="agentwrap-store", max_queue=max_queue, batch_size=batch_size
        )

    @property
    def dropped(self) -> int:
        """Records dropped because the writer thread's queue was full."""
        return self._writer.dropped

    def emit(self, record: dict[str, Any]) -> None:
        """Queue a summary or event record for the store; never blocks."""
        if not self._closed and record.get("type") in _STORED_TYPES:
            self._writer.put(record)

    def emit_spans(self, records: Sequence[dict[str, Any]]) -> None:
        """Queue span records (from :class:`StoreSpanExporter`); never blocks."""
        for record in records:
            if self._closed:
                return
            self._writer.put(record)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait (at most ``timeout_s``) until every queued record was handled."""
        return self._writer.flush(timeout_s)

    def close(self) -> None:
        """Write what is queued (waiting a bounded time), then close the store."""
        if self._closed:
            return
        self._closed = True
        if self._writer.close(self._close_timeout_s):
            self.store.close()

    def _write(self, records: list[dict[str, Any]], last_chance: bool) -> None:
        for attempt in range(1 if last_chance else 3):
            try:
                self.store.write(records)
                self.written += len(records)
                return
            except Exception as exc:  # noqa: BLE001 - the store is best effort, the app goes on
                self._report(exc)
                try:
                    self.store.close()
                except Exception:  # noqa: BLE001
                    pass
                if attempt < 2 and not last_chance:
                    time.sleep(self._retry_delay_s * (attempt + 1))
        self.failed_batches += 1

    def _report(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            reason = " ".join(str(exc).split())  # one line, whatever the driver's message
            log.warning(
                "agentwrap: run store %s unavailable (%s); records dropped", shown(self.store.url), reason
            )
        else:
            log.debug("agentwrap: run store write failed", exc_info=exc)


class StoreSpanExporter(RecordSpanExporter):
    """An OTel span exporter handing finished spans to a :class:`StoreSink`'s queue."""

    def __init__(self, sink: StoreSink) -> None:
        super().__init__(sink.emit_spans)

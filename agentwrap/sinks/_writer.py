"""The bounded background writer behind the JSONL file and the run store.

A sink's ``emit`` runs where a run closes or a warning fires, on the application's thread. It
must not wait on a disk or a database there, nor grow memory without bound when the disk or
the database hangs. :class:`BackgroundWriter` is the one answer both sinks use: ``put`` appends
to a queue of bounded length and returns at once (a full queue drops the item and counts it in
:attr:`~BackgroundWriter.dropped`); a daemon thread takes the queue in batches and hands each
batch to the sink's write function.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from agentwrap._log import log

__all__ = ["BackgroundWriter"]

T = TypeVar("T")


class BackgroundWriter(Generic[T]):
    """A bounded queue drained in batches by a daemon thread of its own.

    Args:
        write: Called on the writer thread with each batch, in queue order, and whether the
            writer is closing (``final``: no time for retries). Its exceptions are logged.
        name: The thread's name.
        max_queue: Items queued at most; past it :meth:`put` drops and counts.
        batch_size: Items handed to ``write`` at most at once.
        idle_exit_s: The thread ends after this long without items (a later :meth:`put` starts
            a new one); ``None``: it waits for items until :meth:`close`.
    """

    def __init__(
        self,
        write: Callable[[list[T], bool], None],
        *,
        name: str,
        max_queue: int,
        batch_size: int,
        idle_exit_s: float | None = None,
    ) -> None:
        self.name = name
        self.dropped = 0
        self._write = write
        self._max_queue = max_queue
        self._batch_size = max(batch_size, 1)
        self._idle_exit_s = idle_exit_s
        self._items: deque[T] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._writing = False
        self._closing = False
        self._reported_drops = 0
        self._thread: threading.Thread | None = None

    def put(self, item: T) -> bool:
        """Queue one item for the writer thread; ``False`` (counted) when the queue is full."""
        with self._cond:
            if len(self._items) >= self._max_queue:
                self.dropped += 1
                return False
            self._items.append(item)
            if self._thread is not None or self._start_thread():
                self._cond.notify()
                return True
            stranded = list(self._items)  # no thread can start (interpreter shutdown)
            self._items.clear()
        self._write_batch(stranded, True)  # nowhere else to do it
        return True

    def flush(self, timeout: float) -> bool:
        """Wait until the queue is written, at most ``timeout`` seconds (``False``: it was not)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._items or self._writing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float) -> bool:
        """Write what is queued (no retries), waiting at most ``timeout`` seconds; ``True`` when
        all was written and the thread has ended. A later :meth:`put` starts a new thread."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        try:
            drained = self.flush(timeout)
            thread = self._thread
            if thread is not None:
                thread.join(max(deadline - time.monotonic(), 0.0))
            self._report_drops()
            return drained and (thread is None or not thread.is_alive())
        finally:
            with self._cond:
                self._closing = False

    def _start_thread(self) -> bool:
        thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        try:
            thread.start()
        except RuntimeError:  # "can't create new thread at interpreter shutdown"
            return False
        self._thread = thread
        return True

    def _next_batch(self) -> tuple[list[T], bool] | None:
        """The next batch and whether it is final; ``None`` when the thread should end."""
        with self._cond:
            while not self._items and not self._closing:
                if not self._cond.wait(self._idle_exit_s) and self._idle_exit_s is not None:
                    break  # idle for long enough: end (a later put starts a new thread)
            if not self._items:
                self._thread = None
                self._cond.notify_all()
                return None
            batch = [self._items.popleft() for _ in range(min(self._batch_size, len(self._items)))]
            self._writing = True
            return batch, self._closing

    def _run(self) -> None:
        while (taken := self._next_batch()) is not None:
            try:
                self._write_batch(*taken)
            finally:
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()

    def _write_batch(self, batch: list[T], final: bool) -> None:
        try:
            self._write(batch, final)
        except Exception:  # noqa: BLE001 - the writer thread must outlive a failing write
            log.warning("agentwrap: %s could not write %d record(s)", self.name, len(batch), exc_info=True)

    def _report_drops(self) -> None:
        new = self.dropped - self._reported_drops
        if new > 0:
            self._reported_drops = self.dropped
            log.warning("agentwrap: %s dropped %d record(s): its queue was full", self.name, new)

"""Implicit runs: the calls of a harness that never opens ``agentwrap.run()``.

A call made outside any explicit run is given a run by the first rule that applies:

1. The app has an active OpenTelemetry span: the calls of one trace form one run (its root
   span is a child of the app's span; the calls keep the app's spans as parents).
2. Otherwise the calls of one *conversation* form one run. A request belongs to an open
   conversation when
   - it continues a Responses-API response (``previous_response_id``), or
   - it sends back the result of a tool call that conversation's model asked for, or
   - it extends that conversation's last request: the last request's final prefix hash is
     one of this request's prefix hashes (the longest such match wins; among equal matches,
     one started by the same asyncio task or thread).
   Anything else starts a new conversation.

An implicit run closes when it has been idle for ``implicit_idle_seconds``, when its task or
thread starts a new conversation while it has no tool call outstanding (a conversation that
waits for a tool result may be running a sub-agent: that one becomes its child run), when
instrumentation shuts down, and at interpreter exit. Its end time is its last activity, so an
idle wait never counts into its latency.
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from typing import Any

from opentelemetry import trace

from agentwrap import _tracing
from agentwrap._errors import guarded
from agentwrap._run import Run
from agentwrap._telemetry import Telemetry
from agentwrap.records import LLMRequest, LLMResponse

__all__ = ["ImplicitRun", "close_implicit_runs", "implicit_run"]


def _owner() -> Any:
    """The asyncio task running the caller, else its thread."""
    asyncio = sys.modules.get("asyncio")  # never imported here: no asyncio, no task
    if asyncio is not None:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running loop in this thread
            task = None
        if task is not None:
            return task
    return threading.current_thread()


class Conversation:
    """The threading state of one implicit run."""

    __slots__ = (
        "run",
        "owner",
        "owner_id",
        "key",
        "trace_id",
        "anchor",
        "inflight",
        "last_active",
        "__weakref__",
    )

    def __init__(self, owner: Any, trace_id: int | None, anchor: Any) -> None:
        self.run: ImplicitRun | None = None
        self.owner = weakref.ref(owner)
        self.owner_id = id(owner)
        self.key: str | None = None  # the last request's final prefix hash
        self.trace_id = trace_id
        self.anchor = anchor  # the app span that was current when a trace run opened
        self.inflight = 0
        self.last_active = time.monotonic()

    def finished(self) -> bool:
        """Whether the conversation is at rest: nothing in flight, no tool result awaited."""
        run = self.run
        if run is None or self.inflight or run.pending:
            return False
        if self.trace_id is not None:  # a trace's run is done once the app's span has ended
            return self.anchor is not None and not self.anchor.is_recording()
        return True


class ImplicitRun(Run):
    """A run agentwrap opened by itself; it reports its activity to its tracker."""

    def __init__(self, telemetry: Telemetry, tracker: Tracker, conversation: Conversation) -> None:
        super().__init__(telemetry)
        self.tracker = tracker
        self.conversation = conversation
        self.last_activity_ns = self.started_ns
        _tracing.mark_implicit(self.span, "trace" if conversation.trace_id else "conversation")
        if conversation.trace_id is None:  # its calls hang under its root span
            self.call_context = trace.set_span_in_context(self.span)

    def on_request(self, request: LLMRequest, now_ns: int) -> None:
        """Note the activity, then as for any run."""
        self.last_activity_ns = max(self.last_activity_ns, now_ns)
        super().on_request(request, now_ns)

    def _call_done(self, end_ns: int, response: LLMResponse | None) -> None:
        """Note the activity; tell the tracker the new response and tool call ids."""
        self.last_activity_ns = max(self.last_activity_ns, end_ns)
        self.tracker.responded(self.conversation, response)

    def _end_times(self) -> tuple[int, float]:
        end = self.last_activity_ns
        return end, (end - self.started_ns) / 1e9


class Tracker:
    """The open implicit runs of one :class:`Telemetry`, and the indexes that thread calls."""

    def __init__(self, telemetry: Telemetry) -> None:
        self.telemetry = telemetry
        self.idle_s = telemetry.config.implicit_idle_seconds
        self._lock = threading.Lock()
        self._open: dict[Conversation, None] = {}  # insertion-ordered set
        self._by_key: dict[str, list[Conversation]] = {}
        self._by_response: dict[str, Conversation] = {}
        self._by_call: dict[str, Conversation] = {}
        self._by_trace: dict[int, Conversation] = {}
        self._by_owner: dict[int, list[Conversation]] = {}
        self._shut = False
        self._last_sweep = time.monotonic()

    # -- threading a request -------------------------------------------------------------------

    def run_for(self, request: LLMRequest) -> Run | None:
        """The implicit run of a request made outside any explicit run."""
        owner = _owner()
        span_context = trace.get_current_span().get_span_context()
        to_close: list[Conversation] = []
        with self._lock:
            if self._shut:
                return None
            if span_context.is_valid:
                conv = self._by_trace.get(span_context.trace_id)
                if conv is None:
                    conv = self._open_conversation(
                        owner, span_context.trace_id, trace.get_current_span(), to_close
                    )
            else:
                conv = self._match(request, owner)
                if conv is None:
                    conv = self._open_conversation(owner, None, None, to_close)
                self._rekey(conv, request.prefix_hashes)
            conv.inflight += 1
            conv.last_active = now = time.monotonic()
            if now - self._last_sweep >= min(1.0, self.idle_s / 4):  # not a scan per call
                self._last_sweep = now
                to_close.extend(self._idle(now))
        for stale in to_close:
            self._close(stale)
        _sweeper.watch(self)
        return conv.run

    def _match(self, request: LLMRequest, owner: Any) -> Conversation | None:
        if request.previous_response_id:
            conv = self._by_response.get(request.previous_response_id)
            if conv is not None:
                return conv
        for result in request.tool_results:
            conv = self._by_call.get(result.call_id)
            if conv is not None:
                return conv
        hashes = request.prefix_hashes
        if hashes is None:  # a patch that cannot tell: the caller's latest open conversation
            mine = [c for c in self._by_owner.get(id(owner), ()) if c.owner() is owner and c.trace_id is None]
            return mine[-1] if mine else None
        for length in range(len(hashes), 0, -1):
            candidates = self._by_key.get(hashes[length - 1])
            if not candidates:
                continue
            same_owner = [c for c in candidates if c.owner() is owner]
            if same_owner:
                return same_owner[0]
            if length < len(hashes):  # it adds messages: a continuation, whoever sends it
                return candidates[0]
            return None  # an identical request from elsewhere: a new conversation, not a retry
        return None

    def _open_conversation(
        self, owner: Any, trace_id: int | None, anchor: Any, to_close: list[Conversation]
    ) -> Conversation:
        # The caller starts a new conversation: the ones it had finished are over, and one that
        # awaits a tool result is running this one as a sub-agent (its parent).
        parent: Run | None = None
        for other in self._by_owner.get(id(owner), ()):
            if other.owner() is not owner:
                continue
            if other.finished():
                to_close.append(other)
            elif other.run is not None and other.run.pending and other.trace_id is None:
                parent = other.run
        for stale in to_close:
            self._forget(stale)
        conv = Conversation(owner, trace_id, anchor)
        conv.run = ImplicitRun(self.telemetry, self, conv)
        if parent is not None:
            parent.adopt(conv.run)
        self._open[conv] = None
        self._by_owner.setdefault(id(owner), []).append(conv)
        if trace_id is not None:
            self._by_trace[trace_id] = conv
        return conv

    def _rekey(self, conv: Conversation, hashes: list[str] | None) -> None:
        if not hashes or conv.key == hashes[-1]:
            return
        self._unkey(conv)
        conv.key = hashes[-1]
        self._by_key.setdefault(conv.key, []).append(conv)

    def _unkey(self, conv: Conversation) -> None:
        if conv.key is None:
            return
        bucket = self._by_key.get(conv.key, [])
        if conv in bucket:
            bucket.remove(conv)
        if not bucket:
            self._by_key.pop(conv.key, None)
        conv.key = None

    # -- what the run reports --------------------------------------------------------------------

    def responded(self, conv: Conversation, response: LLMResponse | None) -> None:
        """A call of ``conv`` ended: index its response id and the tool calls it asked for."""
        with self._lock:
            conv.inflight = max(0, conv.inflight - 1)
            conv.last_active = time.monotonic()
            if conv not in self._open or response is None:
                return
            if response.response_id:
                self._by_response[response.response_id] = conv
            for call in response.tool_calls:
                self._by_call[call.call_id] = conv

    # -- closing -------------------------------------------------------------------------------

    def _idle(self, now: float) -> list[Conversation]:
        stale = [c for c in self._open if not c.inflight and now - c.last_active >= self.idle_s]
        for conv in stale:
            self._forget(conv)
        return stale

    def _forget(self, conv: Conversation) -> None:
        if self._open.pop(conv, "gone") == "gone":
            return
        self._unkey(conv)
        mine = self._by_owner.get(conv.owner_id, [])
        if conv in mine:
            mine.remove(conv)
        if not mine:
            self._by_owner.pop(conv.owner_id, None)
        if conv.trace_id is not None and self._by_trace.get(conv.trace_id) is conv:
            del self._by_trace[conv.trace_id]
        for index in (self._by_response, self._by_call):
            for key in [k for k, c in index.items() if c is conv]:
                del index[key]

    @staticmethod
    def _close(conv: Conversation) -> None:
        if conv.run is not None:
            guarded(conv.run.close)

    def sweep(self) -> bool:
        """Close the runs idle for too long; False once this tracker has nothing left to watch."""
        with self._lock:
            stale = self._idle(time.monotonic())
            alive = bool(self._open) and not self._shut
        for conv in stale:
            self._close(conv)
        return alive

    def close_all(self, shut: bool = False) -> None:
        """Close every open implicit run (at shutdown and at exit)."""
        with self._lock:
            self._shut = self._shut or shut
            conversations = list(self._open)
            for conv in conversations:
                self._forget(conv)
        for conv in conversations:
            self._close(conv)


class _Sweeper:
    """One daemon thread closing idle implicit runs, running only while some are open."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trackers: weakref.WeakSet[Tracker] = weakref.WeakSet()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def watch(self, tracker: Tracker) -> None:
        thread = self._thread
        if tracker in self._trackers and thread is not None and thread.is_alive():
            return  # (not alive: none yet, or this is a forked child, which has no threads)
        with self._lock:
            self._trackers.add(tracker)
            self._wake.set()  # its idle time may be shorter than the one being waited for
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="agentwrap-implicit-runs", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                trackers = list(self._trackers)
                if not trackers:
                    self._thread = None
                    return
            interval = max(0.05, min(5.0, min(t.idle_s for t in trackers) / 4))
            self._wake.wait(interval)
            self._wake.clear()
            for tracker in trackers:
                if not guarded(tracker.sweep):
                    with self._lock:
                        self._trackers.discard(tracker)


_sweeper = _Sweeper()
_trackers_lock = threading.Lock()
_trackers: weakref.WeakSet[Tracker] = weakref.WeakSet()  # every live one, for exit


def _tracker(telemetry: Telemetry) -> Tracker:
    # Kept on the Telemetry itself, so that both go away together after uninstrument().
    tracker: Tracker | None = telemetry.implicit_tracker
    if tracker is None:
        with _trackers_lock:
            tracker = telemetry.implicit_tracker
            if tracker is None:
                tracker = telemetry.implicit_tracker = Tracker(telemetry)
                _trackers.add(tracker)
    return tracker


def implicit_run(telemetry: Telemetry, request: LLMRequest) -> Run | None:
    """The implicit run of a call made outside any explicit run (None for non-turn calls)."""
    if not request.counts_as_turn:
        return None
    return guarded(_tracker(telemetry).run_for, request)


def close_implicit_runs(telemetry: Telemetry | None = None, shut: bool = False) -> None:
    """Close the open implicit runs of one Telemetry (or of all of them)."""
    with _trackers_lock:
        own: Tracker | None = telemetry.implicit_tracker if telemetry is not None else None
        trackers = list(_trackers) if telemetry is None else [own] if own is not None else []
    for tracker in trackers:
        tracker.close_all(shut)

"""What watches a run: the observer protocol, and how a run calls its observers.

A run builds its observers when it opens, from the factories of its Telemetry
(``telemetry.observers``: the composition root registers bounds, heuristics and user detectors
from :mod:`agentwrap.detect`), and it is the only caller of their hooks, in the order things
happen to it:

- ``before_send(request)``: a call is about to be sent. An observer may refuse it by raising a
  :class:`~agentwrap._errors.DeliberateError` (``BudgetExceeded``), the one exception that
  reaches the application; the call's span has not started and nothing has been sent.
- ``on_call_end(call, request, response, span)``: a call ended and the run kept its
  :class:`~agentwrap.records.LLMCallRecord`; its span is still open, so events land on it.
  ``response`` is the answer to judge: None when the call failed, and when the application
  abandoned its stream (what had arrived is not what the model answered).
- ``on_turn(call, tools)``: the run opened a span for each tool call that call asked for
  (``tools`` may be empty).
- ``on_tool_end(tool)``: a tool's result went back to the model (``tool.result`` is None when
  the run closed first), its span still open.
- ``on_close(exc)``: the run is closing and its records are final; what an observer returns
  becomes part of the run's termination (``run.terminated``'s fields).

Observers read the run through its public, read-only accessors and report through warning
events; they never change it. An observer overrides only the hooks it needs, and a run calls
only those. A factory or a hook that raises is reported once per place and skipped: the run
goes on without it (fail open). A closed run drops its observers, so a late call changes
nothing and the run and its observers no longer keep each other alive.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentwrap._errors import DeliberateError, report_internal_error

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from agentwrap._tools import ToolExecution
    from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse

__all__ = ["Observers", "RunObserver"]

_HOOKS = ("before_send", "on_call_end", "on_turn", "on_tool_end", "on_close")


class RunObserver:
    """The observer protocol: hooks a run calls as things happen to it (all do nothing here).

    Subclass it and override the hooks you need; a factory ``Callable[[Run], RunObserver |
    None]`` in ``telemetry.observers`` builds one per run (None: leave that run alone).
    """

    def before_send(self, request: LLMRequest) -> None:
        """A call of the run is about to be sent; raise a ``DeliberateError`` to refuse it."""

    def on_call_end(
        self, call: LLMCallRecord, request: LLMRequest, response: LLMResponse | None, span: Span
    ) -> None:
        """A call ended and the run recorded it; ``span`` (the call's) is still open."""

    def on_turn(self, call: LLMCallRecord, tools: Sequence[ToolExecution]) -> None:
        """The run opened spans for the tool calls ``call`` asked for."""

    def on_tool_end(self, tool: ToolExecution) -> None:
        """A tool's result went back to the model (or the run closed first); its span is open."""

    def on_close(self, exc: BaseException | None) -> Mapping[str, Any] | None:
        """The run is closing; return fields of its termination (``run.terminated``), if any."""
        return None


def _hooks_of(kind: type) -> tuple[str, ...]:
    """The hooks a kind of observer has (asked once per class, not once per run)."""
    found = _hooks_by_kind.get(kind)
    if found is None:
        found = tuple(h for h in _HOOKS if getattr(kind, h, None) not in (None, getattr(RunObserver, h)))
        _hooks_by_kind[kind] = found
    return found


_hooks_by_kind: dict[type, tuple[str, ...]] = {}  # one entry per kind of observer: a handful


class Observers:
    """The observers of one run, kept hook by hook: each hook calls only those that have it.

    ``before_send``, ``on_call_end``, ``on_turn`` and ``on_tool_end`` take the hook's
    arguments and call each observer's hook with them (see :func:`_notify`); :meth:`close`
    calls every ``on_close`` and drops them all.
    """

    __slots__ = ("before_send", "on_call_end", "on_turn", "on_tool_end", "_on_close")

    before_send: Callable[[LLMRequest], None]
    on_call_end: Callable[[LLMCallRecord, LLMRequest, LLMResponse | None, Span], None]
    on_turn: Callable[[LLMCallRecord, Sequence[ToolExecution]], None]
    on_tool_end: Callable[[ToolExecution], None]

    def __init__(self, observers: Iterable[object] = ()) -> None:
        hooks: dict[str, list[Callable[..., Any]]] = {hook: [] for hook in _HOOKS}
        for observer in observers:
            for hook in _hooks_of(type(observer)):
                hooks[hook].append(getattr(observer, hook))
        # A partial is called without a frame of its own: one frame per hook, as guarded() was.
        self.before_send = functools.partial(_notify, tuple(hooks["before_send"]))
        self.on_call_end = functools.partial(_notify, tuple(hooks["on_call_end"]))
        self.on_turn = functools.partial(_notify, tuple(hooks["on_turn"]))
        self.on_tool_end = functools.partial(_notify, tuple(hooks["on_tool_end"]))
        self._on_close: tuple[Callable[..., Mapping[str, Any] | None], ...] = tuple(hooks["on_close"])

    @classmethod
    def build(cls, run: object, factories: Iterable[Callable[[Any], object]]) -> Observers:
        """Build a run's observers from the factories, skipping one that fails (reported)."""
        built = []
        for factory in factories:
            try:
                observer = factory(run)
            except Exception as exc:  # noqa: BLE001 - fail open: the run goes on without it
                report_internal_error(getattr(factory, "__qualname__", repr(factory)), exc)
                continue
            if observer is not None:
                built.append(observer)
        return cls(built)

    def close(self, exc: BaseException | None) -> dict[str, Any] | None:
        """Call every ``on_close``, then drop all observers; return the termination they gave."""
        termination: dict[str, Any] | None = None
        for hook in self._on_close:
            try:
                fields = hook(exc)
            except Exception as error:  # noqa: BLE001 - a run always closes
                report_internal_error(getattr(hook, "__qualname__", repr(hook)), error)
                continue
            if fields:
                termination = {**(termination or {}), **fields}
        self._drop()
        return termination

    def _drop(self) -> None:
        """No observer left: each hook does nothing."""
        self.before_send = self.on_call_end = self.on_turn = self.on_tool_end = _NOTHING
        self._on_close = ()


def _notify(hooks: tuple[Callable[..., Any], ...], *args: Any) -> None:
    """Call each hook with ``args``: a ``DeliberateError`` (an enforced budget) goes through to
    the caller; any other exception is reported once per hook and the next observer still runs."""
    for hook in hooks:
        try:
            hook(*args)
        except DeliberateError:
            raise
        except Exception as exc:  # noqa: BLE001 - fail open: an observer must not break the run
            report_internal_error(getattr(hook, "__qualname__", repr(hook)), exc)


_NOTHING = functools.partial(_notify, ())

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


class Observers:
    """The observers of one run, kept hook by hook: each hook calls only those that have it."""

    __slots__ = tuple(f"_{hook}" for hook in _HOOKS)

    def __init__(self, observers: Iterable[object] = ()) -> None:
        built = list(observers)
        for hook in _HOOKS:
            base = getattr(RunObserver, hook)
            own = [getattr(o, hook) for o in built if getattr(type(o), hook, base) is not base]
            setattr(self, f"_{hook}", tuple(own))

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

    def before_send(self, request: LLMRequest) -> None:
        """Tell the observers a call is about to be sent (a refusal goes through)."""
        _notify(self._before_send, request)

    def on_call_end(
        self, call: LLMCallRecord, request: LLMRequest, response: LLMResponse | None, span: Span
    ) -> None:
        """Tell the observers a call ended and was recorded."""
        _notify(self._on_call_end, call, request, response, span)

    def on_turn(self, call: LLMCallRecord, tools: Sequence[ToolExecution]) -> None:
        """Tell the observers which tool spans a call opened."""
        _notify(self._on_turn, call, tools)

    def on_tool_end(self, tool: ToolExecution) -> None:
        """Tell the observers a tool's result went back."""
        _notify(self._on_tool_end, tool)

    def close(self, exc: BaseException | None) -> dict[str, Any] | None:
        """Call every ``on_close``, then drop all observers; return the termination they gave."""
        termination: dict[str, Any] | None = None
        for hook in self._on_close:
            try:
                fields = hook(exc)
            except Exception as error:  # noqa: BLE001 - a run always closes
                report_internal_error(hook.__qualname__, error)
                continue
            if fields:
                termination = {**(termination or {}), **fields}
        for hook_name in _HOOKS:
            setattr(self, f"_{hook_name}", ())
        return termination

    if TYPE_CHECKING:  # what __init__ sets: one tuple of bound hooks per hook
        _before_send: tuple[Callable[..., None], ...]
        _on_call_end: tuple[Callable[..., None], ...]
        _on_turn: tuple[Callable[..., None], ...]
        _on_tool_end: tuple[Callable[..., None], ...]
        _on_close: tuple[Callable[..., Mapping[str, Any] | None], ...]


def _notify(hooks: tuple[Callable[..., Any], ...], *args: Any) -> None:
    """Call each hook with ``args``: a ``DeliberateError`` (an enforced budget) goes through to
    the caller; any other exception is reported once per hook and the next observer still runs."""
    for hook in hooks:
        try:
            hook(*args)
        except DeliberateError:
            raise
        except Exception as exc:  # noqa: BLE001 - fail open: an observer must not break the run
            report_internal_error(hook.__qualname__, exc)

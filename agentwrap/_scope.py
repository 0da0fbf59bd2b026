"""The run scope: ``agentwrap.run()``, and which run the calling code is in.

A run opened with ``agentwrap.run()`` (sync or async ``with``) is current in a ContextVar, so
concurrent asyncio tasks and threads started with a copied context each see their own run,
and its root span is the current OTel span for the block. A run opened inside another is its
child run.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from agentwrap._errors import guarded
from agentwrap._limits import run_limits
from agentwrap._run import Run
from agentwrap._telemetry import get_telemetry

__all__ = ["RunScope", "current_run", "run", "running"]

RunToken = contextvars.Token["Run | None"]
OtelToken = contextvars.Token[otel_context.Context]

_current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar("agentwrap_run", default=None)


def current_run() -> Run | None:
    """The run the calling code is in, if any.

    A run that has closed is no one's current run, even where work it started still holds it
    in its context (a task or pool task that outlived it): its summary is already out.
    """
    run = _current_run.get()
    return None if run is None or run.closed else run


@contextlib.contextmanager
def running(run: Run) -> Iterator[None]:
    """Make ``run`` the current run for the block; nothing else of the context changes."""
    token = _current_run.set(run)
    try:
        yield
    finally:
        _current_run.reset(token)


class RunScope:
    """``with agentwrap.run(...)`` / ``async with``: opens a Run and makes it current."""

    def __init__(
        self, name: str | None, release: str | None, attributes: dict[str, Any], limits: dict[str, Any]
    ) -> None:
        self._args = (name, release, attributes, limits)
        self.run: Run | None = None
        self._tokens: tuple[RunToken, OtelToken] | None = None

    def __enter__(self) -> Run:
        name, release, attributes, limits = self._args
        run = Run(get_telemetry(), name=name, release=release, attributes=attributes, limits=limits)
        parent = current_run()
        if parent is not None:
            parent.adopt(run)
        self.run = run
        run_token = _current_run.set(run)
        otel_token = otel_context.attach(trace.set_span_in_context(run.span))
        self._tokens = (run_token, otel_token)
        return run

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._tokens is not None:
            run_token, otel_token = self._tokens
            self._tokens = None
            guarded(otel_context.detach, otel_token)
            _current_run.reset(run_token)
        if self.run is not None:
            guarded(self.run.close, exc)

    async def __aenter__(self) -> Run:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def run(
    name: str | None = None,
    release: str | None = None,
    *,
    attributes: Mapping[str, Any] | None = None,
    **bounds: Any,
) -> RunScope:
    """Open an explicit run scope.

    Args:
        name: The run's name (``gen_ai.agent.name`` of its root span), e.g. ``"airline-agent"``.
        release: The release version stamped on the summary (default: ``AGENTWRAP_RELEASE``).
        attributes: Extra attributes for the root span (``agentwrap.run.attribute.<key>``),
            e.g. ``attributes={"team": "search"}``.
        **bounds: The run's own bounds over the global ones: ``max_turns``,
            ``max_tool_calls``, ``max_tool_retries``, ``max_total_tokens``, ``max_errors``,
            ``max_wall_time`` and ``budget_mode`` (see :mod:`agentwrap.detect`).

    Returns:
        A context manager for ``with`` and ``async with``; entering it yields the :class:`Run`,
        whose ``summary`` holds the seed-schema summary once the block has exited.

    Raises:
        TypeError: An unknown keyword (``max_turn=2``: a typo), or a bound of the wrong type.
        ValueError: A bound out of range, or a budget mode other than observe and enforce.
    """
    limits = run_limits(bounds)  # a mistake of the caller's: raised here, before the run opens
    return RunScope(name, release, dict(attributes or {}), limits)

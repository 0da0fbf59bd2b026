"""The generic wrapper: one traced call around any SDK method, sync or async.

A patch supplies :class:`~agentwrap.provider.CallHooks` (read the request from the method's
arguments; hand back what the caller gets for the result) and wraps the SDK's method with
:func:`traced_sync` or :func:`traced_async`. The wrapper does the rest, the same for every SDK:
it begins the call, runs the SDK method exactly once with the call's span current, lets the
SDK's exception through as the same object, and falls back to the SDK's own result whenever
agentwrap's part fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentwrap._call import Call, start_call
from agentwrap._errors import DeliberateError, guarded, report_internal_error
from agentwrap.provider._contracts import CallHooks, Endpoint
from agentwrap.provider._patching import Wrapper
from agentwrap.provider._stream import wrap_stream

__all__ = ["EndpointCalls", "Exchange", "traced_async", "traced_sync"]

Exchange = tuple[Endpoint, dict[str, Any]]
"""What :class:`EndpointCalls` needs of a call: its endpoint and its request payload."""


def _start(
    hooks: CallHooks[Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Call, Any] | None:
    begun = hooks.begin(instance, args, kwargs)
    if begun is None:
        return None
    request, state = begun
    return start_call(request), state


def _hand_over(hooks: CallHooks[Any], call: Call, state: Any, result: Any, is_async: bool) -> Any:
    """What the caller gets for the SDK's result: the hooks' (a stream proxy, a raw response),
    or, when our handling failed, the result itself (and the call ends).

    It is returned, never bound to a local of a frame that was on the stack during the SDK's
    call. A frame keeps its locals while it lives, and it lives on in the traceback of an
    exception raised below it (``f_back`` chains the whole stack): when the garbage collector
    runs while an exception is being handled (httpx handles a KeyError on every request), the
    GeneratorExit of each generator it closes is chained to that exception and outlives the
    collection. A proxy kept so outlives its caller's last reference, and is freed by the
    collector instead of where the caller dropped it (see :mod:`agentwrap.provider._stream`).
    """
    try:  # what guarded() does, without the local
        return hooks.on_result(call, state, result, is_async)
    except DeliberateError:
        raise
    except Exception as exc:  # noqa: BLE001 - fail open: the caller gets the SDK's object
        report_internal_error(getattr(hooks.on_result, "__qualname__", repr(hooks.on_result)), exc)
    guarded(call.finish, None)
    return result


def traced_sync(hooks: CallHooks[Any]) -> Wrapper:
    """A wrapt wrapper that traces each call of a synchronous SDK method."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        started = guarded(_start, hooks, instance, args, kwargs)
        if started is None:  # not a call we trace, or reading it failed
            return wrapped(*args, **kwargs)
        call, state = started
        return _hand_over(hooks, call, state, call.invoke(wrapped, args, kwargs), False)

    return wrapper


def traced_async(hooks: CallHooks[Any]) -> Wrapper:
    """The twin of :func:`traced_sync` for a coroutine method (timed around the await)."""

    async def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        started = guarded(_start, hooks, instance, args, kwargs)
        if started is None:
            return await wrapped(*args, **kwargs)
        call, state = started
        return _hand_over(hooks, call, state, await call.ainvoke(wrapped, args, kwargs), True)

    return wrapper


class EndpointCalls:
    """A base for the hooks of an SDK whose calls each go to an :class:`Endpoint`.

    A subclass writes :meth:`begin`, returning the request and an :data:`Exchange`; this
    :meth:`on_result` hands back a stream proxy for a streamed call (the endpoint's accumulator
    adds it up), and otherwise ends the call with the endpoint's response.
    """

    __slots__ = ()

    def on_result(self, call: Call, exchange: Exchange, result: Any, is_async: bool) -> Any:
        """A stream proxy for a streamed call; else the call ends now and the result is handed back."""
        endpoint, body = exchange
        if call.request.stream:
            return wrap_stream(result, call, endpoint.accumulator(call.request, body), is_async)
        call.finish(guarded(endpoint.response, result))
        return result

"""The contracts between a provider patch and the kit, as structural types.

A patch implements them with plain classes and module-level functions; nothing here is
subclassed or registered. What each one is for, and how they fit together, is told in the
:mod:`agentwrap.provider` docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from agentwrap.records import LLMRequest, LLMResponse

if TYPE_CHECKING:
    from agentwrap._call import Call

__all__ = ["CallHooks", "Endpoint", "PatchModule", "Router", "StreamAccumulator", "WireFormat"]

State = TypeVar("State")


class StreamAccumulator(Protocol):
    """Adds up one stream's chunks (events) into a response."""

    def add(self, chunk: Any) -> bool | None:
        """See one chunk (event) of the stream.

        Return ``False`` for a chunk that carries no output yet (a lifecycle event such as
        Responses' ``response.created``): time to first chunk is then measured to the first
        chunk that does. ``None`` or ``True``: the chunk counts.
        """

    def response(self, completed: bool) -> LLMResponse:
        """What the chunks seen so far add up to (``completed``: the stream was drained)."""


class Endpoint(Protocol):
    """How one API endpoint's request payload and result objects turn into records."""

    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        """The neutral request for a request payload (``stream``: the call asked for a stream)."""

    def response(self, result: Any) -> LLMResponse:
        """The neutral response for the SDK's result object."""

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> StreamAccumulator:
        """A fresh accumulator for one stream of this endpoint."""


Router = Callable[[str, str], "Endpoint | None"]
"""``(HTTP method, URL or path) -> Endpoint``, or None for a request that is not traced."""


class CallHooks(Protocol[State]):
    """The per-provider callbacks of the generic wrapper (:func:`agentwrap.provider.traced_sync`).

    ``State`` is whatever :meth:`begin` wants handed to :meth:`on_result` (for an endpoint-based
    SDK: the endpoint and the request payload, see :class:`agentwrap.provider.EndpointCalls`).
    """

    def begin(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[LLMRequest, State] | None:
        """Read the wrapped method's arguments: the request, or None for a call not traced."""

    def on_result(self, call: Call, state: State, result: Any, is_async: bool) -> Any:
        """What the caller gets for the SDK's result: the result itself once the call has
        ended, or a proxy (a stream's) that ends the call later, exactly once."""


@runtime_checkable
class PatchModule(Protocol):
    """What every module registered in ``agentwrap.patches.PROVIDERS`` defines."""

    SUPPORTED: str
    """The SDK versions it is tested against, as ``">=X.Y"``."""

    def install(self, module: ModuleType) -> bool:
        """Patch the SDK (handed over once the application imported it); True if patched.

        Idempotent. An SDK version or layout it does not know is left alone with one log line:
        never raises for that.
        """

    def uninstall(self) -> None:
        """Put back exactly what :meth:`install` replaced."""


@runtime_checkable
class WireFormat(Protocol):
    """What a patch module whose API can be recognised in raw HTTP traffic defines as well.

    The raw-HTTP patches (``httpx``, ``httpx2``) ask every registered module that has these
    for the endpoint of a POST they see, so an API called with a bare HTTP client (LiteLLM
    does) is traced with the same translators as the SDK's calls.
    """

    def route(self, method: str, path: str) -> Endpoint | None:
        """The endpoint for a request, by HTTP method and URL path; None: not this API's."""

    def sent_by_sdk(self, headers: Any) -> bool:
        """Whether a request was sent by the provider's own SDK, whose patch traces it."""

"""Amazon Bedrock Runtime through boto3 / botocore (1.34.116 and later: the Converse API).

boto3's clients are classes botocore makes at run time, one per service, so there is no client
class to import and patch: every operation of every client goes through
``botocore.client.BaseClient._make_api_call(operation_name, api_params)``, which is wrapped
once. A call is traced when the client's service is ``bedrock-runtime`` and the operation is
``Converse``, ``ConverseStream``, ``InvokeModel`` or ``InvokeModelWithResponseStream``; any other
operation (of Bedrock or any AWS service) goes straight to botocore. Retries happen inside, so a
span covers the logical call. ``gen_ai.provider.name`` is ``aws.bedrock``.

What the caller gets stays botocore's: the parsed dict, with ``ConverseStream``'s ``stream``
and ``InvokeModelWithResponseStream``'s ``body`` (an ``EventStream``) handed back as proxies that
see each event, and ``InvokeModel``'s ``body`` read at once and put back as a ``StreamingBody``
over the same bytes. A body that fails to read ends the call as failed and raises the same
exception when the caller reads it. botocore's exceptions (``ThrottlingException``, ...) pass
through as the same objects.
"""

from __future__ import annotations

import io
import logging
from typing import Any
from urllib.parse import urlsplit

from agentwrap.provider import (
    Call,
    Endpoint,
    LLMRequest,
    Patches,
    guarded,
    sdk_supported,
    traced_sync,
    version_supported,
    wrap_stream,
)

from ._bedrock_converse import ConverseEndpoint
from ._bedrock_invoke import InvokeEndpoint, json_body

__all__ = ["SUPPORTED", "install", "supported", "uninstall"]

SUPPORTED = ">=1.34.116"

log = logging.getLogger("agentwrap")

_CONVERSE = ConverseEndpoint()
# operation -> (streams, the result key of its stream or body)
_OPERATIONS = {
    "Converse": (False, None),
    "ConverseStream": (True, "stream"),
    "InvokeModel": (False, "body"),
    "InvokeModelWithResponseStream": (True, "body"),
}
_SERVICE = "bedrock-runtime"

_patches = Patches()

_State = tuple[Endpoint, dict[str, Any], "str | None"]  # endpoint, its payload, the result key


def _server(client: Any) -> tuple[str | None, int | None]:
    url = urlsplit(str(getattr(getattr(client, "meta", None), "endpoint_url", "") or ""))
    if not url.hostname:
        return None, None
    return url.hostname, url.port or (443 if url.scheme == "https" else 80)


def _service(client: Any) -> Any:
    model = getattr(getattr(client, "meta", None), "service_model", None)
    return getattr(model, "service_name", None)


class _FailedBody:
    """Stands in for a response body that failed to read: reading it raises the same exception."""

    def __init__(self, body: Any, exc: BaseException) -> None:
        self._body, self._exc = body, exc

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        raise self._exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._body, name)


class DispatchCalls:
    """The generic wrapper's hooks for ``BaseClient._make_api_call(operation_name, api_params)``."""

    __slots__ = ()

    def begin(
        self, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[LLMRequest, _State] | None:
        """The request of a Bedrock model call, or None for any other operation."""
        operation = str(args[0] if args else kwargs.get("operation_name"))
        found = _OPERATIONS.get(operation)
        if found is None or _service(client) != _SERVICE:
            return None
        params = args[1] if len(args) > 1 else kwargs.get("api_params")
        if not isinstance(params, dict):
            return None
        stream, key = found
        model = params.get("modelId") if isinstance(params.get("modelId"), str) else None
        endpoint: Endpoint
        if operation.startswith("Converse"):
            endpoint, payload = _CONVERSE, params
        else:
            endpoint, payload = InvokeEndpoint(model, stream), json_body(params.get("body"))
        request = endpoint.request(payload, stream)
        request.server_address, request.server_port = _server(client)
        return request, (endpoint, payload, key)

    def on_result(self, call: Call, state: _State, result: Any, is_async: bool) -> Any:
        """The result dict, its stream wrapped or its body read; the call ends now unless streamed."""
        endpoint, payload, key = state
        if key is None:
            call.finish(guarded(endpoint.response, result))
        elif call.request.stream:
            result[key] = wrap_stream(result[key], call, endpoint.accumulator(call.request, payload), False)
        else:
            _read_body(call, endpoint, result, key)
        return result


def _read_body(call: Call, endpoint: Endpoint, result: dict[str, Any], key: str) -> None:
    body = result[key]
    try:
        data = body.read()
    except Exception as exc:  # noqa: BLE001 - the caller meets it when it reads the body
        result[key] = _FailedBody(body, exc)
        call.fail(exc)
        return
    from botocore.response import StreamingBody

    result[key] = StreamingBody(io.BytesIO(data), len(data))
    headers = result.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    call.finish(guarded(endpoint.response, (data, headers)))


def supported(version: str) -> bool:
    """Whether a botocore version is in ``SUPPORTED`` (an unreadable version is given a try)."""
    return version_supported(version, SUPPORTED)


def install(module: Any) -> bool:
    """Wrap botocore's operation dispatch; True if patched."""
    if _patches:
        return True
    if not sdk_supported(module, "botocore", SUPPORTED):
        return False
    import importlib

    client_module = importlib.import_module(f"{module.__name__}.client")
    base = getattr(client_module, "BaseClient", None)
    if base is None or "_make_api_call" not in vars(base):
        log.debug(
            "agentwrap: botocore %s has no BaseClient._make_api_call; not instrumented", module.__version__
        )
        return False
    _patches.wrap(base, "_make_api_call", traced_sync(DispatchCalls()))
    return True


def uninstall() -> None:
    """Restore botocore's original dispatch."""
    _patches.restore()

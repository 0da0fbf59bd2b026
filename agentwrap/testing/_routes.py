"""Which wire format the fake LLM server answers a request path in."""

from __future__ import annotations

from . import _wire_anthropic, _wire_bedrock, _wire_gemini, _wire_openai, _wire_responses
from ._wire_common import Route

__all__ = ["find_route"]

# Paths the OpenAI and Anthropic SDKs post to, with or without their ``/v1`` prefix.
_ROUTES: dict[str, Route] = {
    "/chat/completions": Route(_wire_openai.render_chat, _wire_openai.stream_chat, _wire_openai.render_error),
    "/responses": Route(
        _wire_responses.render_response, _wire_responses.stream_response, _wire_openai.render_error
    ),
    "/messages": Route(
        _wire_anthropic.render_message, _wire_anthropic.stream_message, _wire_anthropic.render_error
    ),
    "/embeddings": Route(_wire_openai.render_embeddings, None, _wire_openai.render_error),
}

# APIs that name the model (and say whether they stream) in the path, by how the path ends.
_SUFFIXES: tuple[tuple[str, Route], ...] = (
    (":generateContent", _wire_gemini.ROUTE),
    (":streamGenerateContent", _wire_gemini.ROUTE),
    ("/converse", _wire_bedrock.CONVERSE),
    ("/converse-stream", _wire_bedrock.CONVERSE),
    ("/invoke", _wire_bedrock.INVOKE),
    ("/invoke-with-response-stream", _wire_bedrock.INVOKE),
)


def _route_key(path: str) -> str:
    """``/v1/chat/completions`` and ``/chat/completions`` both map to ``/chat/completions``."""
    path = path.rstrip("/")
    return path[3:] if path.startswith("/v1/") else path


def find_route(path: str) -> Route | None:
    """The route of a POST to ``path`` (without its query string), or None for an unknown path."""
    route = _ROUTES.get(_route_key(path))
    if route is not None:
        return route
    for suffix, candidate in _SUFFIXES:
        if path.endswith(suffix):
            return candidate
    return None

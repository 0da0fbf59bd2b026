"""Gemini ``generateContent`` / ``streamGenerateContent``: the wire format, both directions.

The request is the JSON body the google-genai SDK is about to send (``contents``,
``systemInstruction``, ``tools``, ``generationConfig``: camelCase, already normalized from
whatever the caller passed: strings, ``Part`` objects, Python functions as tools), or the one a
bare HTTP client posts. The answer is a ``GenerateContentResponse`` as JSON: the SDK's raw
response body (a string) or, from the raw-HTTP patches, an already parsed object. Fields are
read by key with a default, so what an API version lacks is "not recorded", never an error.

The model is named in the URL path, not in the body, so an endpoint is made per call by
:func:`endpoint_for` with the path's model. Function calls carry an ``id`` only on some
models and platforms; one without gets an id derived from where it stands in the
conversation (the input it answered, its name and its place in the model's turn), which the
``functionResponse`` parts of a later request name again by pairing with the model turn the
request repeats (see :mod:`._gemini_tools`).
"""

from __future__ import annotations

import json
from typing import Any

from agentwrap.provider import (
    LLMRequest,
    LLMResponse,
    ToolCallRequest,
    Usage,
    canonical_json,
    capture_content,
    conversation_hashes,
    count_tokens,
    semconv,
    sha256_hex_items,
    token_count,
)

from ._gemini_tools import call_ids, new_tool_results, semconv_messages, semconv_parts, semconv_tools
from ._prompt_version import prompt_version as _shared_prompt_version

__all__ = ["GenerateContentEndpoint", "GenerateContentStreamAccumulator", "endpoint_for", "model_in_path"]

GEMINI, VERTEX = semconv.PROVIDER_GCP_GEMINI, semconv.PROVIDER_GCP_VERTEX_AI

# generationConfig key -> gen_ai.request.<suffix>
_PARAMS = {
    "temperature": "temperature",
    "topP": "top_p",
    "topK": "top_k",
    "maxOutputTokens": "max_tokens",
    "seed": "seed",
    "presencePenalty": "presence_penalty",
    "frequencyPenalty": "frequency_penalty",
}
_JSON_TYPES = ("application/json", "text/x.enum")


def model_in_path(path: str) -> str | None:
    """The model of ``.../models/gemini-x:generateContent`` (a tuned model keeps its full name)."""
    head = path.split("?", 1)[0].rsplit(":", 1)[0]
    if "tunedModels/" in head:
        return "tunedModels/" + head.rsplit("tunedModels/", 1)[1]
    return (head.rsplit("models/", 1)[1] or None) if "models/" in head else None


def endpoint_for(method: str, path: str) -> GenerateContentEndpoint | None:
    """The endpoint of a POST to a ``generateContent`` path, or None for any other request."""
    if method.lower() != "post":
        return None
    head = path.split("?", 1)[0].rstrip("/")
    if head.endswith(":generateContent"):
        stream = False
    elif head.endswith(":streamGenerateContent"):
        stream = True
    else:
        return None
    provider = (
        VERTEX if "publishers/" in head or "projects/" in head else GEMINI
    )  # Vertex AI's resource paths
    return GenerateContentEndpoint(model_in_path(head), stream, provider)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def request_params(config: dict[str, Any]) -> dict[str, Any]:
    """The ``gen_ai.request.*`` parameters a ``generationConfig`` sets."""
    params = {suffix: config[key] for key, suffix in _PARAMS.items() if _number(config.get(key))}
    stop = config.get("stopSequences")
    if isinstance(stop, list) and stop and all(isinstance(s, str) for s in stop):
        params["stop_sequences"] = list(stop)
    count = config.get("candidateCount")
    if isinstance(count, int) and count != 1:
        params["choice.count"] = count
    return params


def _output_type(config: dict[str, Any]) -> str | None:
    mime = config.get("responseMimeType")
    if not isinstance(mime, str):
        return None
    return "json" if mime in _JSON_TYPES else "text" if mime.startswith("text/") else None


def prompt_version(system: Any, tools: list[Any]) -> str | None:
    """The prompt version's hash on the OpenAI patches' normalized form (system text; each
    function as name, description, parameters), so one prompt hashes alike across providers."""
    texts = [{"text": p.get("text")} for p in _list(_dict(system).get("parts")) if isinstance(p, dict)]
    flat = [_function_identity(f) for tool in tools for f in _list(_dict(tool).get("functionDeclarations"))]
    flat += [tool for tool in tools if isinstance(tool, dict) and "functionDeclarations" not in tool]
    return _shared_prompt_version([texts] if texts else [], flat)


def _function_identity(declaration: Any) -> Any:
    if not isinstance(declaration, dict):
        return declaration
    schema = declaration.get("parameters", declaration.get("parametersJsonSchema"))
    if schema is None:
        schema = declaration.get("parameters_json_schema")
    return {
        "name": declaration.get("name"),
        "description": declaration.get("description"),
        "parameters": schema,
    }


def _payload(result: Any) -> dict[str, Any]:
    """A response as a dict: parsed already (raw HTTP), or the SDK's raw JSON body string."""
    if isinstance(result, dict):
        return result
    body = getattr(result, "body", None)
    parsed = json.loads(body) if isinstance(body, (str, bytes)) and body else None
    return parsed if isinstance(parsed, dict) else {}


_COUNTS = (
    "promptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "toolUsePromptTokenCount",
    "cachedContentTokenCount",
)


def usage_from(metadata: Any) -> Usage | None:
    """``usageMetadata`` as neutral usage (None when absent or empty).

    ``promptTokenCount`` already includes cached content; tool-use prompts are input as well.
    ``candidatesTokenCount`` leaves out the thoughts, which the conventions count as output.
    """
    fields = _dict(metadata)
    counts = {name: count for name in _COUNTS if (count := token_count(fields.get(name), name)) is not None}
    prompt, candidates = counts.get("promptTokenCount"), counts.get("candidatesTokenCount")
    thoughts, tool_prompt = counts.get("thoughtsTokenCount"), counts.get("toolUsePromptTokenCount")
    if prompt is None and candidates is None:
        return None
    return Usage(
        input_tokens=None if prompt is None else prompt + (tool_prompt or 0),
        output_tokens=None
        if candidates is None and thoughts is None
        else (candidates or 0) + (thoughts or 0),
        cache_read_input_tokens=counts.get("cachedContentTokenCount"),
        reasoning_output_tokens=thoughts,
    )


class _Output:
    """What the candidates' parts add up to: text, function calls, finish reasons."""

    __slots__ = ("texts", "thoughts", "calls", "finish_reasons")

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.thoughts: list[str] = []  # thought summaries (includeThoughts)
        self.calls: list[dict[str, Any]] = []
        self.finish_reasons: list[str] = []

    def add(self, payload: dict[str, Any]) -> None:
        for candidate in _list(payload.get("candidates")):
            candidate = _dict(candidate)
            for part in _list(_dict(candidate.get("content")).get("parts")):
                part = _dict(part)
                if isinstance(part.get("functionCall"), dict):
                    self.calls.append(part["functionCall"])
                elif isinstance(part.get("text"), str):
                    (self.thoughts if part.get("thought") is True else self.texts).append(part["text"])
            reason = candidate.get("finishReason")
            if isinstance(reason, str):
                self.finish_reasons.append(reason.lower())

    def tool_calls(self, answered: str | None) -> list[ToolCallRequest]:
        ids = call_ids(self.calls, answered)
        return [
            ToolCallRequest(call_id, str(call.get("name")), call.get("args", {}))
            for call, call_id in zip(self.calls, ids, strict=True)
            if call.get("name")
        ]


class GenerateContentEndpoint:
    """Translator for one call to ``generateContent`` or ``streamGenerateContent``.

    Made per call (the model is the path's); it keeps the request's input hash, which names
    the function calls of its answer that come without an id.
    """

    __slots__ = ("model", "stream", "provider", "answered")

    def __init__(self, model: str | None, stream: bool, provider: str = GEMINI) -> None:
        self.model, self.stream, self.provider = model, stream, provider
        self.answered: str | None = None

    def request(self, body: dict[str, Any], stream: bool) -> LLMRequest:
        """The neutral request for a JSON body (the path alone says whether it streams)."""
        contents = _list(body.get("contents"))
        system = body.get("systemInstruction") if isinstance(body.get("systemInstruction"), dict) else None
        tools = _list(body.get("tools"))
        config = _dict(body.get("generationConfig"))
        head = [{"systemInstruction": system}] if system else []
        self.answered = sha256_hex_items([*head, *contents])
        request = LLMRequest(
            provider=self.provider,
            operation=semconv.OP_GENERATE_CONTENT,
            model=self.model,
            stream=self.stream,
            params=request_params(config),
            input_hash=self.answered,
            prompt_version_hash=prompt_version(system, tools),
            message_count=len(contents),
            tool_results=new_tool_results(contents, head),
            prefix_hashes=conversation_hashes(system, contents),
        )
        output_type = _output_type(config)
        if output_type:
            request.attributes[semconv.GEN_AI_OUTPUT_TYPE] = output_type
        if capture_content():
            request.messages = semconv_messages(contents)
            request.system = semconv_parts(_dict(system).get("parts")) or None
            request.tools = semconv_tools(tools) or None
        return request

    def response(self, result: Any) -> LLMResponse:
        """The neutral response for a ``GenerateContentResponse`` (raw body or parsed)."""
        payload = _payload(result)
        output = _Output()
        output.add(payload)
        return _response(payload, output, usage_from(payload.get("usageMetadata")), self.answered)

    def accumulator(self, request: LLMRequest, body: dict[str, Any]) -> GenerateContentStreamAccumulator:
        """A fresh accumulator for one ``streamGenerateContent`` stream."""
        return GenerateContentStreamAccumulator(request, body, self.answered)


def _response(
    payload: dict[str, Any], output: _Output, usage: Usage | None, answered: str | None
) -> LLMResponse:
    response_id, model = payload.get("responseId"), payload.get("modelVersion")
    return LLMResponse(
        response_id=response_id if isinstance(response_id, str) else None,
        model=model if isinstance(model, str) else None,
        finish_reasons=output.finish_reasons,
        usage=usage,
        tool_calls=output.tool_calls(answered),
        output_text="".join(output.texts) if output.texts else None,
        reasoning=("".join(output.thoughts),) if output.thoughts and capture_content() else (),
    )


class GenerateContentStreamAccumulator:
    """Adds up a stream's partial responses.

    Each chunk is only kept as it comes (the SDK's raw JSON string, or a parsed object): the
    work of reading them is done once, when the stream ends, off the path of every chunk.
    """

    __slots__ = ("_request", "_body", "_answered", "_chunks")

    def __init__(self, request: LLMRequest, body: dict[str, Any], answered: str | None) -> None:
        self._request, self._body, self._answered = request, body, answered
        self._chunks: list[Any] = []

    def add(self, chunk: Any) -> None:
        """See one chunk."""
        self._chunks.append(chunk)

    def response(self, completed: bool) -> LLMResponse:
        """What the chunks seen so far add up to; usage is the last chunk's (it is cumulative)."""
        output, usage = _Output(), None
        last: dict[str, Any] = {}
        for chunk in self._chunks:
            payload = _payload(chunk)
            output.add(payload)
            last = payload or last
            usage = usage_from(payload.get("usageMetadata")) or usage
        response = _response(last, output, usage, self._answered)
        response.usage = self._final_usage(usage, response)
        return response

    def _final_usage(self, usage: Usage | None, response: LLMResponse) -> Usage:
        usage = usage or Usage()
        model = self._request.model
        if usage.input_tokens is None:
            contents = self._body.get("contents")
            usage.input_tokens = count_tokens(canonical_json(contents) if contents else "", model)
            usage.estimated = True
        if usage.output_tokens is None:  # broken off before the counts came
            text = (response.output_text or "") + "".join(
                f"{c.name}{canonical_json(c.arguments)}" for c in response.tool_calls
            )
            usage.output_tokens = count_tokens(text, model)
            usage.estimated = True
        return usage

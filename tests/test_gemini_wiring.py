"""google-genai: patched on import, restored exactly, fail-open, implicit runs, raw HTTP."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from google.genai import _api_client
from google.genai import types as gtypes

import agentwrap
from agentwrap.testing import Reply, ToolCall, Usage, capture
from tests._auto import clean_env, run_python

from .test_gemini import MODEL, NO_AFC, TOOLS, WEATHER, make_client

pytestmark = pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")

_METHODS = ("request", "request_streamed", "async_request", "async_request_streamed")


CLIENT_CLASS = getattr(_api_client, "BaseApiClient", None) or _api_client.ApiClient


def _originals() -> list[Any]:
    return [vars(CLIENT_CLASS)[name] for name in _METHODS]


def test_uninstrument_restores_the_exact_original_methods(server):
    before = _originals()
    with capture() as captured:
        assert all(now is not then for now, then in zip(_originals(), before, strict=True))
        assert "gemini" in agentwrap.instrumented_providers()
        client = make_client(server)
        client.models.generate_content(model=MODEL, contents="hi")
        assert len(captured.spans) == 1
    assert _originals() == before
    assert "gemini" not in agentwrap.instrumented_providers()


def test_instrument_patches_the_sdk_when_it_is_first_imported():
    code = (
        "import sys, agentwrap\n"
        "agentwrap.instrument(providers=['gemini'])\n"
        "before = ('google.genai' in sys.modules, agentwrap.instrumented_providers())\n"
        "from google import genai\n"
        "from google.genai import _api_client as c\n"
        "cls = getattr(c, 'BaseApiClient', None) or c.ApiClient\n"
        "print(before, agentwrap.instrumented_providers(), cls.request.__module__)\n"
    )
    proc = run_python(["-c", code], clean_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == "(False, []) ['gemini'] google.genai._api_client"


def test_the_auto_instrument_variable_patches_the_sdk_on_import(server):
    code = (
        "import agentwrap\n"
        "from google import genai\n"
        "from google.genai import types\n"
        "print(agentwrap.instrumented_providers())\n"
        f"options = types.HttpOptions(base_url='{server.anthropic_base_url}')\n"
        "client = genai.Client(api_key='k', http_options=options)\n"
        "print(client.models.generate_content(model='gemini-auto', contents='hi').text)\n"
    )
    server.enqueue(Reply(text="auto ok"))
    proc = run_python(["-c", code], clean_env(AGENTWRAP_AUTO_INSTRUMENT="1"))
    assert proc.returncode == 0, proc.stderr
    providers, text = proc.stdout.strip().splitlines()
    assert "'gemini'" in providers and text == "auto ok"


def _every_shape(client: Any, server: Any) -> list[Any]:
    server.reset()
    reply = Reply(text="some words here", tool_calls=[WEATHER], usage=Usage(7, 3))
    server.enqueue(*[reply] * 4)
    config = gtypes.GenerateContentConfig(tools=TOOLS, automatic_function_calling=NO_AFC)
    out: list[Any] = []
    response = client.models.generate_content(model=MODEL, contents="hi", config=config)
    out.append(response.model_dump(exclude={"sdk_http_response"}))
    stream = client.models.generate_content_stream(model=MODEL, contents="hi", config=config)
    out.append([c.model_dump(exclude={"sdk_http_response"}) for c in stream])
    chat = client.chats.create(model=MODEL, config=config)
    out.append(chat.send_message("hi").text)
    out.append(
        chat.send_message(gtypes.Part.from_function_response(name="get_weather", response={"o": 1})).text
    )
    return out


TARGETS = [
    "agentwrap.patches._gemini_content.GenerateContentEndpoint.request",
    "agentwrap.patches._gemini_content.GenerateContentEndpoint.response",
    "agentwrap.patches._gemini_content.GenerateContentStreamAccumulator.add",
    "agentwrap.patches._gemini_content.GenerateContentStreamAccumulator.response",
    "agentwrap.patches._gemini_content.new_tool_results",
    "agentwrap.patches.gemini._server",
]


@pytest.mark.parametrize("target", TARGETS)
def test_a_fault_in_our_code_never_changes_what_the_caller_gets(
    server, fail_open, monkeypatch, caplog, target
):
    client = make_client(server)
    expected = _every_shape(client, server)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected fault in agentwrap")

    monkeypatch.setattr(target, boom)
    with capture() as captured, caplog.at_level(logging.WARNING, logger="agentwrap"):
        with agentwrap.run():
            got = _every_shape(client, server)
    assert got == expected
    assert any("internal error" in r.getMessage() for r in caplog.records)
    assert captured.spans_named("invoke_agent")  # the run itself still closed normally


def test_calls_outside_any_run_are_threaded_into_one_implicit_run(server):
    server.enqueue(Reply(tool_calls=[WEATHER]), Reply(text="Sunny."))
    with capture(implicit_runs=True) as captured:
        client = make_client(server)
        config = gtypes.GenerateContentConfig(tools=TOOLS, automatic_function_calling=NO_AFC)
        chat = client.chats.create(model=MODEL, config=config)
        chat.send_message("Weather in Paris?")
        chat.send_message(
            gtypes.Part.from_function_response(name="get_weather", response={"output": "sunny"})
        )
    [summary] = captured.summaries
    assert summary["total_number_of_turns"] == 2
    assert summary["selected_tool_calls"] == ["get_weather"]


def test_a_bare_http_client_posting_generate_content_is_traced(server, captured):
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    server.enqueue(Reply(text="raw hi", tool_calls=[ToolCall("t", {})], usage=Usage(4, 2)))
    with httpx.Client(base_url=server.anthropic_base_url) as http:
        response = http.post(f"/v1beta/models/{MODEL}:generateContent", json=body, params={"key": "k"})
    assert response.json()["candidates"][0]["content"]["parts"][0]["text"] == "raw hi"
    [span] = captured.spans
    attrs = dict(span.attributes or {})
    assert span.name == f"generate_content {MODEL}"
    assert attrs["gen_ai.provider.name"] == "gcp.gemini"
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (4, 2)


def test_a_bare_http_stream_is_traced(server, captured):
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    server.enqueue(Reply(text="raw streamed words", usage=Usage(4, 3)))
    with httpx.Client(base_url=server.anthropic_base_url) as http:
        path = f"/v1beta/models/{MODEL}:streamGenerateContent"
        with http.stream("POST", path, json=body, params={"alt": "sse"}) as response:
            lines = [line for line in response.iter_lines() if line.startswith("data:")]
    assert len(lines) == 4
    [span] = captured.spans
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["agentwrap.stream.completed"] is True
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (4, 3)


def test_the_price_table_prices_what_the_patch_records(server, captured):
    pytest.importorskip("genai_prices")
    from agentwrap._cost import Pricer
    from agentwrap.records import Usage as NeutralUsage

    server.enqueue(Reply(text="priced", usage=Usage(1_000, 400, reasoning_tokens=100)))
    client = make_client(server)
    client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    attrs = dict(captured.spans[0].attributes or {})
    usage = NeutralUsage(
        attrs["gen_ai.usage.input_tokens"],
        attrs["gen_ai.usage.output_tokens"],
        reasoning_output_tokens=attrs["gen_ai.usage.reasoning.output_tokens"],
    )
    cost = Pricer(environ={}).price(attrs["gen_ai.provider.name"], attrs["gen_ai.response.model"], usage)
    assert cost is not None and cost.amount == pytest.approx((1_000 * 0.30 + 500 * 2.50) / 1e6)

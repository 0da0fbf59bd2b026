"""boto3 bedrock-runtime: patched on import, restored exactly, fail-open on every operation."""

from __future__ import annotations

import json
import logging
from contextlib import closing
from typing import Any

import pytest
from botocore import client as botocore_client

import agentwrap
from agentwrap.testing import Reply, ToolCall, Usage, capture
from tests._auto import clean_env, run_python

from .test_bedrock import ANTHROPIC_BODY, CLAUDE, TOOL_CONFIG, USER, make_client

REPLY = Reply(
    text="some words here",
    tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="t1")],
    usage=Usage(7, 3),
)


def _original() -> Any:
    return vars(botocore_client.BaseClient)["_make_api_call"]


def test_uninstrument_restores_the_exact_original_dispatch(server):
    before = _original()
    with capture() as captured:
        assert _original() is not before
        assert "bedrock" in agentwrap.instrumented_providers()
        with closing(make_client(server)) as client:
            client.converse(modelId=CLAUDE, messages=USER)
        assert len(captured.spans) == 1
    assert _original() is before
    assert "bedrock" not in agentwrap.instrumented_providers()


def test_instrument_patches_botocore_when_it_is_first_imported():
    code = (
        "import sys, agentwrap\n"
        "agentwrap.instrument(providers=['bedrock'])\n"
        "before = ('botocore' in sys.modules, agentwrap.instrumented_providers())\n"
        "import boto3\n"
        "from botocore.client import BaseClient\n"
        "print(before, agentwrap.instrumented_providers(), BaseClient._make_api_call.__module__)\n"
    )
    proc = run_python(["-c", code], clean_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == "(False, []) ['bedrock'] botocore.client"


def test_the_auto_instrument_variable_patches_botocore_on_import(server):
    code = (
        "import agentwrap, boto3\n"
        "print(agentwrap.instrumented_providers())\n"
        f"url = '{server.anthropic_base_url}'\n"
        "client = boto3.client('bedrock-runtime', region_name='us-east-1', endpoint_url=url,\n"
        "    aws_access_key_id='AKIAFAKE', aws_secret_access_key='fake')\n"
        "user = [{'role': 'user', 'content': [{'text': 'hi'}]}]\n"
        "answer = client.converse(modelId='m', messages=user)\n"
        "print(answer['output']['message']['content'][0]['text'])\n"
    )
    server.enqueue(Reply(text="auto ok"))
    proc = run_python(["-c", code], clean_env(AGENTWRAP_AUTO_INSTRUMENT="1"))
    assert proc.returncode == 0, proc.stderr
    providers, text = proc.stdout.strip().splitlines()
    assert "'bedrock'" in providers and text == "auto ok"


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "ResponseMetadata"}


def _every_operation(client: Any, server: Any) -> list[Any]:
    server.reset()
    server.enqueue(*[REPLY] * 5)
    out: list[Any] = [_plain(client.converse(modelId=CLAUDE, messages=USER, toolConfig=TOOL_CONFIG))]
    out.append(list(client.converse_stream(modelId=CLAUDE, messages=USER, toolConfig=TOOL_CONFIG)["stream"]))
    stream = client.converse_stream(modelId=CLAUDE, messages=USER)["stream"]
    out.append(next(iter(stream)))
    stream.close()
    out.append(
        json.loads(client.invoke_model(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))["body"].read())
    )
    body = client.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))["body"]
    out.append([json.loads(event["chunk"]["bytes"]) for event in body])
    return out


TARGETS = [
    "agentwrap.patches._bedrock_converse.ConverseEndpoint.request",
    "agentwrap.patches._bedrock_converse.ConverseEndpoint.response",
    "agentwrap.patches._bedrock_converse.ConverseStreamAccumulator.add",
    "agentwrap.patches._bedrock_converse.ConverseStreamAccumulator.response",
    "agentwrap.patches._bedrock_invoke.InvokeEndpoint.request",
    "agentwrap.patches._bedrock_invoke.InvokeEndpoint.response",
    "agentwrap.patches._bedrock_invoke.InvokeStreamAccumulator.add",
    "agentwrap.patches._bedrock_invoke.InvokeStreamAccumulator.response",
    "agentwrap.patches.bedrock._read_body",
    "agentwrap.patches.bedrock._server",
]


@pytest.mark.parametrize("target", TARGETS)
def test_a_fault_in_our_code_never_changes_what_the_caller_gets(
    server, fail_open, monkeypatch, caplog, request, target
):
    client = make_client(server)
    request.addfinalizer(client.close)
    expected = _every_operation(client, server)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected fault in agentwrap")

    monkeypatch.setattr(target, boom)
    with capture() as captured, caplog.at_level(logging.WARNING, logger="agentwrap"):
        with agentwrap.run():
            got = _every_operation(client, server)
    assert got == expected
    assert any("internal error" in r.getMessage() for r in caplog.records)
    assert captured.spans_named("invoke_agent")  # the run itself still closed normally


def test_a_body_that_fails_to_read_raises_the_same_error_when_the_caller_reads_it(
    server, monkeypatch, captured, request
):
    from botocore.response import StreamingBody

    failure = ConnectionResetError("the connection dropped")

    def broken(self: Any, amt: Any = None) -> bytes:
        raise failure

    server.enqueue(REPLY)
    client = make_client(server)
    request.addfinalizer(client.close)
    monkeypatch.setattr(StreamingBody, "read", broken)
    response = client.invoke_model(modelId=CLAUDE, body=json.dumps(ANTHROPIC_BODY))
    with pytest.raises(ConnectionResetError) as caught:
        response["body"].read()
    assert caught.value is failure
    response["body"].close()  # everything else is the unread body's own
    [span] = captured.spans
    assert span.status.status_code.name == "ERROR"

"""Fail open: an error inside agentwrap never reaches the caller or changes its result.

Faults are injected into agentwrap's own translators and sinks (the code under test), while
the SDK, the HTTP and the server stay real.
"""

from __future__ import annotations

import logging

import pytest

import agentwrap
from agentwrap.testing import Reply, ToolCall, Usage, capture

MESSAGES = [{"role": "user", "content": "hi"}]


def _boom(*args, **kwargs):
    raise RuntimeError("injected fault in agentwrap")


def _script(server):
    server.enqueue(
        Reply(text="result text", tool_calls=[ToolCall("t", {"a": 1}, id="c1")], usage=Usage(7, 3))
    )


def _baseline(server, client, stream=False):
    _script(server)
    result = client.chat.completions.create(model="m", messages=MESSAGES, stream=stream)
    return list(result) if stream else result


@pytest.mark.parametrize(
    "target",
    [
        "agentwrap.patches._openai_chat.ChatCompletionsEndpoint.request",
        "agentwrap.patches._openai_chat.ChatCompletionsEndpoint.response",
        "agentwrap._run.Run.call_ended",
        "agentwrap._call.Call.__init__",
    ],
)
def test_fault_in_our_code_never_reaches_the_caller(
    server, openai_client, fail_open, monkeypatch, caplog, target
):
    expected = _baseline(server, openai_client)
    monkeypatch.setattr(target, _boom)
    with capture(), caplog.at_level(logging.WARNING, logger="agentwrap"):
        with agentwrap.run():
            _script(server)
            first = openai_client.chat.completions.create(model="m", messages=MESSAGES)
            _script(server)
            second = openai_client.chat.completions.create(model="m", messages=MESSAGES)
    for result in (first, second):
        assert result.choices[0].message.model_dump() == expected.choices[0].message.model_dump()
        assert result.usage == expected.usage
    internal = [r for r in caplog.records if "internal error" in r.getMessage()]
    assert len(internal) == 1  # logged once per place, not per call
    assert internal[0].levelno == logging.WARNING


def test_fault_in_stream_accumulator_keeps_the_stream_intact(server, openai_client, fail_open, monkeypatch):
    expected = _baseline(server, openai_client, stream=True)
    monkeypatch.setattr("agentwrap.patches._openai_chat.ChatStreamAccumulator.add", _boom)
    with capture() as cap:
        _script(server)
        chunks = list(openai_client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    assert [c.choices[0].delta.model_dump() for c in chunks if c.choices] == [
        c.choices[0].delta.model_dump() for c in expected if c.choices
    ]
    assert len(cap.spans) == 1  # the span still ended


def test_failing_sink_does_not_break_the_run(server, openai_client, fail_open):
    class BrokenSink:
        def emit(self, record):
            raise OSError("disk full")

        def close(self):
            raise OSError("still full")

    from agentwrap.testing import ListSink

    good = ListSink()
    agentwrap.instrument(sinks=[BrokenSink(), good], log_summaries=False)
    with agentwrap.run() as run:
        _script(server)
        openai_client.chat.completions.create(model="m", messages=MESSAGES)
    agentwrap.uninstrument()
    assert run.summary["total_number_of_turns"] == 1
    assert [r["type"] for r in good.records] == ["run.summary"]


def test_malformed_tool_arguments_are_kept_not_lost(server, openai_client):
    with capture(capture_content=True) as cap:
        with agentwrap.run() as run:
            server.enqueue(Reply(tool_calls=[ToolCall("t", {"x": 1}, id="c1")]))
            response = openai_client.chat.completions.create(model="m", messages=MESSAGES)
            assert response.choices[0].message.tool_calls[0].id == "c1"
    # The fake server sends valid JSON; a model sending broken JSON is covered at the unit level:
    from agentwrap._hashing import parse_arguments

    assert parse_arguments('{"a": 1') == ('{"a": 1', False)
    assert parse_arguments("") == ({}, True)
    assert run.summary["sequence_of_tool_calls"][0]["args"] == {"x": 1}
    assert cap.spans_named("execute_tool")[0].attributes["agentwrap.tool.call.result_missing"] is True

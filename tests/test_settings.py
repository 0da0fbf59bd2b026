"""Settings are checked once, where they are given: the explicit API raises, naming the setting
and what it accepts, before anything is traced; nothing is refused later, call by call."""

from __future__ import annotations

import logging

import pytest

import agentwrap
from agentwrap.detect import BOUND_NAMES
from agentwrap.testing import Reply, capture
from tests._auto import read_jsonl

MESSAGES = [{"role": "user", "content": "hi"}]

# (keyword arguments, the error, words the message must hold)
BAD = [
    ({"max_turns": "abc"}, TypeError, ["max_turns", "whole number >= 0"]),
    ({"max_turns": -1}, ValueError, ["max_turns", "whole number >= 0"]),
    ({"max_turns": True}, TypeError, ["max_turns"]),
    ({"max_tool_calls": 2.5}, TypeError, ["max_tool_calls"]),
    ({"max_total_tokens": -100}, ValueError, ["max_total_tokens"]),
    ({"max_wall_time": -1.0}, ValueError, ["max_wall_time", "seconds >= 0"]),
    ({"max_wall_time": "soon"}, TypeError, ["max_wall_time"]),
    ({"budget_mode": "strict"}, ValueError, ["budget_mode", "'observe' or 'enforce'"]),
    ({"thresholds": {"bogus": 3}}, ValueError, ["unknown threshold", "bogus", "repeated_calls"]),
    ({"thresholds": {"repeated_calls": -1}}, ValueError, ["thresholds['repeated_calls']", ">= 0"]),
    ({"thresholds": {"repeated_calls": "x"}}, TypeError, ["thresholds['repeated_calls']"]),
    ({"thresholds": "repeated_calls=4"}, TypeError, ["thresholds", "mapping"]),
    ({"result_max_chars": -5}, ValueError, ["result_max_chars"]),
    ({"implicit_idle_seconds": 0}, ValueError, ["implicit_idle_seconds", "> 0"]),
    ({"capture_content": "yes"}, TypeError, ["capture_content", "True or False"]),
    ({"release": 3}, TypeError, ["release", "string"]),
    ({"file": 3}, TypeError, ["file", "path"]),
    ({"store": "mysql://db"}, ValueError, ["store", "postgresql://"]),
]
RUN_BOUNDS = [case for case in BAD if next(iter(case[0])) in (*BOUND_NAMES, "budget_mode")]


def _message_holds(exc: BaseException, words: list[str]) -> None:
    for word in words:
        assert word in str(exc), (word, str(exc))


@pytest.mark.parametrize(("options", "error", "words"), BAD)
def test_instrument_refuses_a_bad_setting(options, error, words):
    with pytest.raises(error) as raised:
        agentwrap.instrument(**options)
    _message_holds(raised.value, words)
    assert agentwrap.instrumented_providers() == []  # refused before anything was patched


@pytest.mark.parametrize(("options", "error", "words"), BAD)
def test_config_refuses_a_bad_setting(options, error, words):
    with pytest.raises(error) as raised:
        agentwrap.Config(**options)
    _message_holds(raised.value, words)


def test_file_and_store_that_are_directories_are_refused(tmp_path):
    for option in ("file", "store"):
        with pytest.raises(ValueError, match=f"{option} must be .*a directory"):
            agentwrap.instrument(**{option: str(tmp_path)})


@pytest.mark.parametrize(("options", "error", "words"), RUN_BOUNDS)
def test_run_refuses_a_bad_bound(options, error, words):
    with pytest.raises(error) as raised:
        agentwrap.run(**options)
    _message_holds(raised.value, words)


def test_a_typo_in_a_run_keyword_raises_and_points_to_attributes():
    with pytest.raises(TypeError) as raised:
        agentwrap.run(max_turn=2)
    _message_holds(raised.value, ["'max_turn'", "did you mean 'max_turns'", "attributes={"])
    with pytest.raises(TypeError, match="'team'.*attributes="):
        agentwrap.run(name="x", team="search")


def test_custom_attributes_go_on_the_root_span(server, openai_client):
    server.enqueue(Reply(text="ok"))
    with capture() as cap:
        with agentwrap.run("agent", "v1", attributes={"team": "search", "shard": 3}, max_turns=5):
            openai_client.chat.completions.create(model="m", messages=MESSAGES)
    [root] = cap.spans_named("invoke_agent")
    assert root.attributes["agentwrap.run.attribute.team"] == "search"
    assert root.attributes["agentwrap.run.attribute.shard"] == 3
    assert "agentwrap.run.attribute.max_turns" not in root.attributes


def test_a_good_setting_is_never_refused_call_by_call(server, openai_client, fail_open, caplog):
    # Checked once at instrument(); the calls then log nothing at all.
    with capture(max_turns=5, max_wall_time=60, thresholds={"repeated_calls": 4.0, "latency_factor": 3}):
        with caplog.at_level(logging.DEBUG, logger="agentwrap"):
            for _ in range(3):
                server.enqueue(Reply(text="ok"))
                openai_client.chat.completions.create(model="m", messages=MESSAGES)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def _lines(path) -> list[str]:
    return [r.get("name", r.get("type")) for r in read_jsonl(path)]


def test_instrument_again_with_another_file_says_so_in_one_line(server, openai_client, tmp_path, caplog):
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    agentwrap.instrument(file=str(first), log_summaries=False, store="off")
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        agentwrap.instrument(file=str(first), log_summaries=False, store="off")  # the same: nothing said
    assert caplog.records == []
    server.enqueue(Reply(text="one"), Reply(text="two"))
    openai_client.chat.completions.create(model="m", messages=MESSAGES)
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        agentwrap.instrument(file=str(second), log_summaries=False, store="off")
    [line] = [r.getMessage() for r in caplog.records]
    assert "instrument() called again" in line and "now apply" in line
    assert f"file: {str(first)!r} -> {str(second)!r} (no longer written)" in line
    openai_client.chat.completions.create(model="m", messages=MESSAGES)
    agentwrap.uninstrument()
    assert _lines(first) == ["chat m"]  # what the first file got stays, and is flushed
    assert _lines(second) == ["chat m"]


def test_instrument_again_without_the_file_says_the_file_is_dropped(tmp_path, caplog):
    path = tmp_path / "runs.jsonl"
    agentwrap.instrument(file=str(path), log_summaries=False, store="off")
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        agentwrap.instrument(log_summaries=False, store="off", capture_content=True)
    [line] = [r.getMessage() for r in caplog.records]
    assert f"file: {str(path)!r} -> None (no longer written)" in line
    assert "capture_content: False -> True" in line

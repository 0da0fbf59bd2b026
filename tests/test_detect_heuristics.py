"""Layer 2 heuristics: thresholds from keywords and the environment, and their edges."""

from __future__ import annotations

import pytest

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.detect import Thresholds, looks_like_error
from agentwrap.detect.heuristics import latency_outlier, oscillation, prompt_growth, truncation_reason
from agentwrap.testing import Reply, Usage, capture


def _names(cap):
    return [e["name"] for e in cap.events]


def test_threshold_keyword_makes_the_demo_fire_earlier(server, openai_client):
    with capture(thresholds={"repeated_calls": 2}) as cap:
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run():
            run_airline_agent(openai_client)
    fired = [
        (e["fields"]["repeat_count"], e["fields"]["step"])
        for e in cap.events
        if e["name"] == "tool.repeated_calls"
    ]
    assert fired == [(2, 2), (3, 3)]


def test_thresholds_from_the_environment(server, openai_client, monkeypatch):
    monkeypatch.setenv("AGENTWRAP_THRESHOLDS", "repeated_calls=4, latency_factor=3")
    with capture() as cap:
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run():
            run_airline_agent(openai_client)
    assert "tool.repeated_calls" not in _names(cap)  # three identical calls < 4
    assert Thresholds.from_mapping({"latency_factor": 3}).latency_factor == 3.0


def test_abandoned_stream_is_not_an_empty_response(server, openai_client, captured):
    server.enqueue(Reply(text="a long streamed answer with many words", usage=Usage(10, 8)))
    with agentwrap.run():
        stream = openai_client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True
        )
        next(iter(stream))
        stream.close()
    assert "response.empty" not in _names(captured)


def test_streamed_truncation_is_flagged(server, openai_client, captured):
    server.enqueue(Reply(text="cut off in the mid", finish_reason="length", usage=Usage(10, 5)))
    with agentwrap.run():
        stream = openai_client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True, max_tokens=5
        )
        for _ in stream:
            pass
    [event] = [e for e in captured.events if e["name"] == "output.truncated"]
    assert event["fields"]["finish_reason"] == "length" and event["fields"]["max_tokens"] == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Error: booking service timed out", True),
        ('{"error": "not found"}', True),
        ("Traceback (most recent call last):", True),
        ("FAILED to connect", True),
        ("no_flights_found", False),
        ('{"status": "ok", "errors_fixed": 0}', False),
        ("The error rate was low", False),
        ("", False),
        (None, False),
    ],
)
def test_looks_like_error(text, expected):
    assert looks_like_error(text) is expected


def test_pure_heuristics():
    th = Thresholds()
    assert oscillation(["a", "b", "a", "b"], 4) == ("a", "b")
    assert oscillation(["a", "b", "a", "c"], 4) is None
    assert oscillation(["a", "a", "a", "a"], 4) is None
    assert oscillation(["a", "b", "a"], 4) is None
    assert oscillation(["x", "a", "b", "c", "a", "b", "c"], 4) == ("a", "b", "c")
    assert oscillation(["a", "b", "c", "a", "b"], 4) is None
    assert oscillation(["a", "b", "a", "b"], 6) is None  # a longer cycle asked for
    assert truncation_reason(["stop"]) is None and truncation_reason(["max_tokens"]) == "max_tokens"
    assert latency_outlier([0.1] * 3, 5.0, th) is None  # too few samples
    assert latency_outlier([0.1] * 4, 5.0, th) == pytest.approx(0.1)
    assert latency_outlier([0.1] * 4, 0.55, th) is None  # 5.5x, but only 0.45 s more
    assert prompt_growth([(200, 2), (600, 4), (1800, 6)], th)["growth_ratio"] == 3.0
    assert prompt_growth([(100, 2), (3000, 4), (3100, 6)], th) is None  # one jump, not sustained
    assert prompt_growth([(150, 2), (200, 4), (2000, 6)], th) is None  # a jump after linear growth
    assert prompt_growth([(150, 2), (2000, 4), (2100, 6)], th) is None
    assert prompt_growth([(120, 2), (150, 4), (180, 6)], th) is None
    with pytest.raises(ValueError, match="unknown threshold"):
        Thresholds.from_mapping({"nope": 1})

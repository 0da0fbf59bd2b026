"""The labelled corpus: every pathological trajectory is flagged by the right detector, no
healthy one by any, replayed through the fake server with the real openai SDK."""

from __future__ import annotations

import pytest

import agentwrap
from agentwrap.detect import EVENT_NAMES
from agentwrap.testing.corpus import CORPUS, play


def _play(server, client, captured, trajectory):
    server.enqueue(*trajectory.script)
    with agentwrap.run(name=trajectory.name, **trajectory.run_options) as run:
        play(client, trajectory)
    return run, {
        e["name"] for e in captured.events if e["run_id"] == run.run_id and e["severity"] == "warning"
    }


def test_corpus_has_both_kinds_and_covers_every_warning():
    healthy = [t for t in CORPUS if t.healthy]
    sick = [t for t in CORPUS if not t.healthy]
    assert len(healthy) >= 10 and len(sick) >= 10
    assert len({t.name for t in CORPUS}) == len(CORPUS)
    covered = set().union(*(t.labels for t in sick))
    assert covered == set(EVENT_NAMES) - {"run.terminated"}


@pytest.mark.parametrize("trajectory", CORPUS, ids=lambda t: t.name)
def test_trajectory_is_flagged_exactly_as_labelled(server, openai_client, captured, trajectory):
    run, flagged = _play(server, openai_client, captured, trajectory)
    assert flagged == set(trajectory.labels)
    assert len(server.requests) == len(trajectory.script)  # the whole script was played
    [record] = [r for r in captured.records if r.get("type") == "run.summary"]
    assert record["warnings"] == {name: record["warnings"][name] for name in trajectory.labels}
    assert record["termination"]["termination_reason"] == "completed"

"""The heuristic registry is the one list of built-in warnings: the README's event table (and
its copy in ``agentwrap.detect``), ``EVENT_NAMES``, ``Thresholds`` and what the heuristics emit
all agree with it, both ways."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import agentwrap
import agentwrap.detect
from agentwrap._telemetry import get_telemetry
from agentwrap.detect import EVENT_NAMES, Thresholds
from agentwrap.detect._heuristic import Heuristic, declared_thresholds
from agentwrap.detect._heuristics_observer import HeuristicsObserver
from agentwrap.detect.bounds import LIMIT_REACHED, LIMIT_REACHED_FIELDS, TERMINATED, TERMINATED_FIELDS
from agentwrap.detect.heuristics import REGISTRY
from agentwrap.testing.corpus import CORPUS, play

README = Path(__file__).resolve().parent.parent / "README.md"
HEADER = "| Event | Layer | Severity | On span | Fields |"
FIRST_SEEN = {"first_seen", "first_seen_unix_nano", "first_seen_trace_id"}


def _rows(text: str) -> dict[str, list[str]]:
    """The event table's rows by event name: layer, severity, on span, fields."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == HEADER)
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        event, *cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if event.startswith("`"):  # not the row of the user's own detectors
            rows[event.strip("`")] = cells
    return rows


def _fields(cell: str) -> set[str]:
    """A Fields cell's field names: the backticked names of its first sentence outside
    parentheses (inside them are values, thresholds and explanations)."""
    names, depth, i = set(), 0, 0
    while i < len(cell):
        char = cell[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "`":
            end = cell.index("`", i + 1)
            if depth == 0:
                names.add(cell[i + 1 : end])
            i = end
        elif char == "." and depth == 0 and cell[i + 1 : i + 2] in (" ", ""):
            break  # the end of the first sentence
        i += 1
    return names


def _documented_defaults(cell: str) -> dict[str, str]:
    """Thresholds a Fields cell names with their default: ``\\`repeated_calls\\`, default 3``."""
    return dict(re.findall(r"`(\w+)`, default ([\d.]+)", cell))


@pytest.fixture(scope="module")
def readme_rows() -> dict[str, list[str]]:
    return _rows(README.read_text(encoding="utf-8"))


def test_the_readme_table_and_the_registry_name_the_same_events(readme_rows):
    layer2 = {name for name, (layer, *_) in readme_rows.items() if layer == "2"}
    layer1 = {name for name, (layer, *_) in readme_rows.items() if layer == "1"}
    assert layer2 == {heuristic.event for heuristic in REGISTRY}
    assert layer1 == {LIMIT_REACHED, TERMINATED}
    assert set(EVENT_NAMES) == set(readme_rows) and len(EVENT_NAMES) == len(readme_rows)


def test_each_event_has_the_fields_its_row_lists(readme_rows):
    declared = {h.event: h.fields for h in REGISTRY}
    declared |= {LIMIT_REACHED: LIMIT_REACHED_FIELDS, TERMINATED: TERMINATED_FIELDS}
    for name, (_, severity, _, fields) in readme_rows.items():
        assert _fields(fields) == set(declared[name]), name
        assert severity == ("info" if name == TERMINATED else "warning"), name


def test_thresholds_the_table_names_are_the_heuristics_own_with_their_defaults(readme_rows):
    for heuristic in REGISTRY:
        own = {t.name: t.default for t in declared_thresholds(heuristic)}
        for name, default in _documented_defaults(readme_rows[heuristic.event][3]).items():
            assert name in own, (heuristic.event, name)
            assert float(default) == own[name], (heuristic.event, name)


def test_the_package_docstring_holds_the_same_table():
    ours = _rows(agentwrap.detect.__doc__ or "")
    assert ours == _rows(README.read_text(encoding="utf-8"))


def test_thresholds_are_assembled_from_the_registry():
    declared = [t for heuristic in REGISTRY for t in declared_thresholds(heuristic)]
    fields = dataclasses.fields(Thresholds)
    assert [(f.name, f.default) for f in fields] == [(t.name, t.default) for t in declared]
    assert Thresholds.from_mapping({"repeated_calls": 4.0}).repeated_calls == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        Thresholds().repeated_calls = 5  # type: ignore[misc]


def test_every_heuristic_emits_only_the_fields_it_declares(server, openai_client, captured):
    for trajectory in [t for t in CORPUS if not t.healthy]:
        server.enqueue(*trajectory.script)
        with agentwrap.run(name=trajectory.name, **trajectory.run_options):
            play(openai_client, trajectory)
    declared = {h.event: set(h.fields) for h in REGISTRY}
    seen = set()
    for event in captured.events:
        if event["name"] in declared:
            seen.add(event["name"])
            emitted = set(event["fields"]) - FIRST_SEEN
            assert emitted <= declared[event["name"]], event
            assert "step" in emitted, event
    assert seen == set(declared)  # the corpus exercises every one


def test_adding_a_heuristic_is_one_class(server, openai_client, captured):
    class EveryCall(Heuristic):  # registered by being defined
        event = "test.every_call"
        fields = ("step",)

        def on_call(self, call, request, answer):
            return {"step": call.step}

    try:
        assert REGISTRY[-1] is EveryCall
        observers = get_telemetry().observers
        assert HeuristicsObserver in observers
        server.enqueue(*CORPUS[0].script[:1])
        with agentwrap.run():
            openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        assert [e["fields"]["step"] for e in captured.events if e["name"] == "test.every_call"] == [1]
    finally:
        REGISTRY.remove(EveryCall)

"""One factory builds the sinks a configuration asks for; one resolver says where the stores
are (the run store and the detectors' first_seen table)."""

from __future__ import annotations

import os

from opentelemetry.sdk._logs import LoggerProvider

import agentwrap.detect
import agentwrap.store
from agentwrap._config import load_config
from agentwrap.sinks import (
    ConsoleSink,
    JsonlSink,
    JsonlSpanExporter,
    LoggingSink,
    StoreSink,
    StoreSpanExporter,
)
from agentwrap.sinks._factory import build_sinks
from agentwrap.sinks._otel_logs import OtelLogSink
from agentwrap.store._resolve import first_seen_path


def test_nothing_asked_for_is_the_logger_alone():
    built = build_sinks(load_config(env={}), env={})
    assert [type(s) for s in built.sinks] == [LoggingSink] and built.span_exporters == []


def test_every_output_in_order_with_the_span_exporters_of_the_file_and_the_store(tmp_path):
    config = load_config(env={}, file=str(tmp_path / "runs.jsonl"), store=str(tmp_path / "runs.db"))
    logs = LoggerProvider()
    built = build_sinks(config, logger_provider=logs, env={"AGENTWRAP_CONSOLE": "1"})
    try:
        assert [type(s) for s in built.sinks] == [JsonlSink, LoggingSink, StoreSink, OtelLogSink, ConsoleSink]
        assert [type(e) for e in built.span_exporters] == [JsonlSpanExporter, StoreSpanExporter]
        assert built.sinks[3].owned is False  # the app's provider: flushed at close, not shut down
    finally:
        for sink in built.sinks:
            sink.close()
        logs.shutdown()


def test_an_output_that_cannot_be_built_is_left_out(tmp_path, fail_open, monkeypatch):
    def unreachable(target):
        raise RuntimeError("no such store")

    monkeypatch.setattr(agentwrap.store, "open_store", unreachable)
    config = load_config(env={}, file=str(tmp_path / "runs.jsonl"), store="postgresql://u@h/db")
    built = build_sinks(config, env={})
    assert [type(s) for s in built.sinks] == [JsonlSink, LoggingSink]
    built.sinks[0].close()


def test_one_default_store_path_for_both_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("AGENTWRAP_STORE", str(tmp_path / "env.db"))
    assert agentwrap.store.default_store_path is agentwrap.detect.default_store_path
    default = tmp_path / "data" / "agentwrap" / "agentwrap.db"
    assert agentwrap.store.default_store_path() == default  # the variable is the resolver's business
    assert agentwrap.store.open_store().url == str(tmp_path / "env.db")
    monkeypatch.delenv("AGENTWRAP_STORE")
    assert agentwrap.store.open_store().url == str(default)


def test_one_setting_names_both_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = os.fspath(tmp_path / "data" / "agentwrap" / "agentwrap.db")
    cases = {
        None: (None, default),
        "off": (None, None),
        str(tmp_path / "x.db"): (str(tmp_path / "x.db"), str(tmp_path / "x.db")),
        "postgresql://u@h/db": ("postgresql://u@h/db", default),
    }
    for setting, (runs, first_seen) in cases.items():
        assert (agentwrap.store.store_target(setting), first_seen_path(setting)) == (runs, first_seen), (
            setting
        )

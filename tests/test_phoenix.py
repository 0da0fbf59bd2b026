"""Spans over OTLP into a real tracing backend: Arize Phoenix's local server, started here.

Phoenix (``arize-phoenix`` on PyPI) is heavy (~600 MB) and its dependencies do not belong in
agentwrap's environment, so it lives in a virtualenv of its own; point ``AGENTWRAP_PHOENIX``
at its ``phoenix`` executable (or have ``phoenix`` on PATH):

    uv venv .phoenix && VIRTUAL_ENV=.phoenix uv pip install arize-phoenix
    AGENTWRAP_PHOENIX=.phoenix/bin/phoenix pytest tests/test_phoenix.py

Without it the test is skipped. It starts the server on loopback ports with a throwaway
working dir, sends the airline run's spans over OTLP/HTTP, and asks Phoenix's own REST API
(``GET /v1/projects/{project}/spans``) which spans it stored.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent

from ._pg import unavailable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory) -> Iterator[str]:
    binary = os.environ.get("AGENTWRAP_PHOENIX") or shutil.which("phoenix")
    if not binary:
        # Skipped on a developer machine; in CI (.ci/run installs it) a missing Phoenix fails.
        unavailable("Arize Phoenix not installed: set AGENTWRAP_PHOENIX to its phoenix executable")
    workdir = tmp_path_factory.mktemp("phoenix")
    port = _free_port()
    env = dict(
        os.environ,
        PHOENIX_WORKING_DIR=str(workdir),
        PHOENIX_HOST="127.0.0.1",
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(_free_port()),
        PHOENIX_TELEMETRY_ENABLED="false",
    )
    with open(workdir / "log", "wb") as log:
        proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "Phoenix did not start:\n" + (workdir / "log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_spans_arrive_in_phoenix(phoenix, server, openai_client):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": "airline-service"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{phoenix}/v1/traces")))
    agentwrap.instrument(tracer_provider=provider, log_summaries=False)
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
        run_airline_agent(openai_client)
    agentwrap.uninstrument()
    provider.shutdown()  # exports what is batched

    spans: list[dict] = []
    deadline = time.monotonic() + 60
    while len(spans) < 8 and time.monotonic() < deadline:  # Phoenix ingests asynchronously
        spans = _get(f"{phoenix}/v1/projects/default/spans?trace_id={run.trace_id}&limit=100")["data"]
        time.sleep(0.5)
    names = sorted(s["name"] for s in spans)
    assert names == sorted(
        ["invoke_agent airline-agent"]
        + ["chat qwen-3.5-72b-instruct"] * 4
        + ["execute_tool search_flights"] * 3
    )
    assert {s["context"]["trace_id"] for s in spans} == {run.trace_id}
    [root] = [s for s in spans if s["name"] == "invoke_agent airline-agent"]
    children = [s for s in spans if s is not root]
    assert {s["parent_id"] for s in children} == {root["context"]["span_id"]}
    chat = next(s for s in children if s["name"].startswith("chat"))
    assert chat["attributes"]["gen_ai.usage.input_tokens"] in (120, 150, 180, 210)

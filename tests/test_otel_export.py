"""OTel metrics (GenAI client histograms, run-level metrics), run summaries and events as OTel
log records, and OTLP export of both to a receiver started by the test (protobuf parsed here).
Exporter outages never block or fail the app, and the local JSONL keeps every summary."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import agentwrap
from agentwrap._events import emit_warning
from agentwrap._metrics import DURATION_BUCKETS, TOKEN_BUCKETS
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.testing import Reply, Usage

MESSAGES = [{"role": "user", "content": "hi"}]


def _points(reader: InMemoryMetricReader) -> dict[str, list]:
    found: dict[str, list] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def _airline_run(openai_client, server, name="airline-agent"):
    server.enqueue(*AIRLINE_SCRIPT())
    with agentwrap.run(name=name, release="v1.4.2") as run:
        run_airline_agent(openai_client)
        emit_warning("test.marker", {"where": "end"}, run=run)
    return run


def test_genai_and_run_metrics(server, openai_client):
    reader = InMemoryMetricReader()
    agentwrap.instrument(meter_provider=MeterProvider(metric_readers=[reader]), log_summaries=False)
    run = _airline_run(openai_client, server)
    server.enqueue(Reply(text="streamed", usage=Usage(7, 3)))
    stream = openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "streamed"
    points = _points(reader)

    [duration] = [
        p
        for p in points["gen_ai.client.operation.duration"]
        if p.attributes["gen_ai.request.model"] == "qwen-3.5-72b-instruct"
    ]
    assert duration.count == 4
    assert list(duration.explicit_bounds) == DURATION_BUCKETS
    assert duration.attributes["gen_ai.operation.name"] == "chat"
    assert duration.attributes["gen_ai.provider.name"] == "openai"
    assert duration.attributes["server.address"] == "127.0.0.1"
    tokens = {
        (p.attributes["gen_ai.request.model"], p.attributes["gen_ai.token.type"]): p
        for p in points["gen_ai.client.token.usage"]
    }
    assert tokens[("qwen-3.5-72b-instruct", "input")].sum == 120 + 150 + 180 + 210
    assert tokens[("qwen-3.5-72b-instruct", "output")].sum == 15 * 3 + 18
    assert tokens[("gpt-4o-mini", "input")].sum == 7 and tokens[("gpt-4o-mini", "output")].sum == 3
    assert list(tokens[("gpt-4o-mini", "input")].explicit_bounds) == TOKEN_BUCKETS
    [ttfc] = points["gen_ai.client.operation.time_to_first_chunk"]  # the streamed call only
    assert ttfc.count == 1 and ttfc.attributes["gen_ai.request.model"] == "gpt-4o-mini"

    run_attrs = {"agentwrap.run.name": "airline-agent", "agentwrap.run.release": "v1.4.2"}
    [turns] = points["agentwrap.run.turns"]
    assert turns.sum == 4 and turns.count == 1
    assert {k: turns.attributes[k] for k in run_attrs} == run_attrs
    assert turns.attributes["agentwrap.prompt.version_hash"] == run.summary["hash_of_prompt"]
    assert points["agentwrap.run.tool_calls"][0].sum == 3
    assert points["agentwrap.run.same_tool_retries"][0].sum == 2
    assert points["agentwrap.run.tokens"][0].sum == 120 + 150 + 180 + 210 + 15 * 3 + 18
    assert points["agentwrap.runs"][0].value == 1
    marker = [
        p for p in points["agentwrap.warnings"] if p.attributes["agentwrap.warning.name"] == "test.marker"
    ]
    assert [p.value for p in marker] == [1]


def test_failed_call_duration_carries_the_error_type(server, openai_client):
    import openai

    from agentwrap.testing import ErrorReply

    reader = InMemoryMetricReader()
    agentwrap.instrument(meter_provider=MeterProvider(metric_readers=[reader]), log_summaries=False)
    server.enqueue(ErrorReply(500))
    with pytest.raises(openai.InternalServerError):
        openai_client.chat.completions.create(model="m", messages=MESSAGES)
    [point] = _points(reader)["gen_ai.client.operation.duration"]
    assert point.attributes["error.type"] == "InternalServerError" and point.count == 1
    assert "gen_ai.client.token.usage" not in _points(reader)


def test_summaries_and_events_as_log_records(server, openai_client):
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    agentwrap.instrument(logger_provider=provider, log_summaries=False)
    run = _airline_run(openai_client, server)
    logs = [d.log_record for d in exporter.get_finished_logs()]
    [summary] = [r for r in logs if r.event_name == "agentwrap.run.summary"]
    body = json.loads(summary.body)
    assert body["summarized_metadata"] == run.summary
    assert format(summary.trace_id, "032x") == run.trace_id
    assert summary.severity_text == "INFO"
    assert summary.attributes["agentwrap.run.turns"] == 4
    assert summary.attributes["agentwrap.run.same_tool_retries"] == 2
    assert summary.attributes["agentwrap.run.release"] == "v1.4.2"
    [marker] = [r for r in logs if r.event_name == "test.marker"]
    assert marker.severity_text == "WARN" and json.loads(marker.body)["fields"] == {"where": "end"}
    provider.shutdown()


class _Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver: keeps each request's decoded protobuf by path."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        kinds = {"/v1/logs": ExportLogsServiceRequest, "/v1/metrics": ExportMetricsServiceRequest,
                 "/v1/traces": ExportTraceServiceRequest}  # fmt: skip
        kind = kinds.get(self.path)
        if kind is not None:
            message = kind()
            message.ParseFromString(body)
            self.server.received.setdefault(self.path, []).append(message)  # type: ignore[attr-defined]
        self.send_response(200 if kind else 404)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    httpd.received = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_otlp_export_of_logs_and_metrics_from_the_standard_variables(
    receiver, server, openai_client, monkeypatch
):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{receiver.server_port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "airline-service")
    agentwrap.instrument(log_summaries=False)
    run = _airline_run(openai_client, server)
    agentwrap.uninstrument()  # flushes and shuts down agentwrap's own providers

    records = [
        (resource, record)
        for request in receiver.received["/v1/logs"]
        for resource in request.resource_logs
        for scope in resource.scope_logs
        for record in scope.log_records
    ]
    [(resource, summary)] = [(r, x) for r, x in records if x.event_name == "agentwrap.run.summary"]
    assert summary.trace_id.hex() == run.trace_id
    assert json.loads(summary.body.string_value)["summarized_metadata"] == run.summary
    service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
    assert service == "airline-service"
    names = {
        metric.name
        for request in receiver.received["/v1/metrics"]
        for resource in request.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert {"gen_ai.client.operation.duration", "gen_ai.client.token.usage", "agentwrap.run.turns"} <= names


@pytest.mark.parametrize("outage", ["refused", "hanging"])
def test_otlp_outage_never_blocks_or_fails_the_app(
    outage, tmp_path, server, openai_client, monkeypatch, fail_open
):
    # "refused": nothing listens. "hanging": a socket accepts connections and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if outage == "hanging":
        listener.listen(16)
    else:
        listener.close()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    jsonl = tmp_path / "runs.jsonl"
    agentwrap.instrument(file=str(jsonl), log_summaries=False)
    answers = []

    def app() -> None:
        for _ in range(3):
            server.enqueue(*AIRLINE_SCRIPT())
            with agentwrap.run(name="airline-agent"):
                answers.append(run_airline_agent(openai_client))
        agentwrap.uninstrument()

    worker = threading.Thread(target=app)
    worker.start()
    worker.join(60)  # a generous bound: an app blocked on the exporter would still be here
    listener.close()
    assert not worker.is_alive()
    assert len(answers) == 3
    with open(jsonl, encoding="utf-8") as handle:
        summaries = [r for r in map(json.loads, handle) if r["type"] == "run.summary"]
    assert len(summaries) == 3  # the local JSONL keeps every summary


_LATE_METER_PROVIDER = """
import sys
import openai
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
import agentwrap
from agentwrap.testing import FakeLLMServer, Reply, Usage

agentwrap.instrument(log_summaries=False)  # no MeterProvider anywhere yet
with FakeLLMServer() as server:
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    server.enqueue(Reply(text="before", usage=Usage(5, 1)), Reply(text="after", usage=Usage(9, 2)))
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))  # the app sets one later
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
data = reader.get_metrics_data()
points = [
    p
    for rm in data.resource_metrics
    for sm in rm.scope_metrics
    for m in sm.metrics
    if m.name == "gen_ai.client.token.usage"
    for p in m.data.data_points
]
print(sorted((p.attributes["gen_ai.token.type"], p.sum) for p in points))
"""


def test_a_global_meter_provider_set_after_instrument_gets_the_later_calls(tmp_path):
    # Per-call metrics are skipped while no MeterProvider is set at all (the API's proxy would
    # drop them); once the app sets one, the next calls are recorded through the same proxy
    # instruments. Own process: the global MeterProvider can only be set once.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _LATE_METER_PROVIDER], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('input', 9), ('output', 2)]"

"""Exit and SIGTERM: open runs still write their summaries, and exit is not held up."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

from tests._auto import clean_env, run_python, start_python, summaries

CONVERSATION = """
import openai
client = openai.OpenAI(max_retries=0)
messages = [{"role": "user", "content": "task"}]
for _ in range(2):
    client.chat.completions.create(model="m", messages=messages)
    messages += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "more"}]
"""

WAIT = """
import sys, time
print("ready", flush=True)
time.sleep(60)
"""


def _auto_env(server, out, **extra: str) -> dict[str, str]:
    return clean_env(
        AGENTWRAP_AUTO_INSTRUMENT="1",
        AGENTWRAP_FILE=str(out),
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY="sk-test",
        **extra,
    )


def _terminate_when_ready(proc: subprocess.Popen[str]) -> tuple[str, str]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
    proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=30)


def test_open_implicit_run_is_summarized_at_exit(server, tmp_path):
    out = tmp_path / "exit.jsonl"
    proc = run_python(["-c", CONVERSATION], _auto_env(server, out))
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(out)
    assert summary["summarized_metadata"]["total_number_of_turns"] == 2


def test_sigterm_leaves_the_summaries_and_still_kills(server, tmp_path):
    out = tmp_path / "term.jsonl"
    with start_python(["-c", CONVERSATION + WAIT], _auto_env(server, out)) as proc:
        _, stderr = _terminate_when_ready(proc)
    assert proc.returncode == -signal.SIGTERM, stderr
    [summary] = summaries(out)
    assert summary["summarized_metadata"]["total_number_of_turns"] == 2
    spans = [r for r in map(__import__("json").loads, out.read_text().splitlines()) if r["type"] == "span"]
    assert {s["name"] for s in spans} == {"invoke_agent", "chat m"}


def test_sigterm_chains_the_programs_own_handler(tmp_path):
    # The program had a SIGTERM handler before instrumenting: it still runs, after the
    # summaries of the runs that would otherwise be lost are written.
    out = tmp_path / "chain.jsonl"
    code = f"""
import signal, sys, time
def on_term(signum, frame):
    print("app handler", flush=True)
    sys.exit(3)
signal.signal(signal.SIGTERM, on_term)
import agentwrap
agentwrap.instrument(file={str(out)!r}, log_summaries=False)
with agentwrap.run(name="outer"):
    with agentwrap.run(name="inner"):
        print("ready", flush=True)
        time.sleep(60)
"""
    with start_python(["-c", code], clean_env()) as proc:
        stdout, stderr = _terminate_when_ready(proc)
    assert proc.returncode == 3, stderr
    assert stdout.strip() == "app handler"
    records = summaries(out)
    assert sorted(r["run_name"] for r in records) == ["inner", "outer"]  # each once
    by_name = {r["run_name"]: r for r in records}
    assert by_name["inner"]["parent_run_id"] == by_name["outer"]["run_id"]
    assert by_name["outer"]["child_runs"] == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_exporter_does_not_hold_up_exit(server, tmp_path):
    out = tmp_path / "unreachable.jsonl"
    env = _auto_env(
        server,
        out,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{_closed_port()}",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
    )
    # The program prints the (system-wide) monotonic clock as its last act; its exit is timed
    # from there to the moment the process is gone.
    with start_python(["-c", CONVERSATION + "import time; print(time.monotonic(), flush=True)"], env) as proc:
        assert proc.stdout is not None
        last_statement = float(proc.stdout.readline())
        _, stderr = proc.communicate(timeout=60)
        exited = time.monotonic()
    assert proc.returncode == 0, stderr
    [summary] = summaries(out)  # the local file still gets everything
    assert summary["summarized_metadata"]["total_number_of_turns"] == 2
    # A bound with a generous margin, not a micro-timing: without the bound, the OTLP exporters
    # retry for their 10 s timeout at exit.
    assert exited - last_statement < 3.0


def test_otlp_and_console_from_the_standard_variables(server, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[tuple[str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            received.append((self.path, self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    collector = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=collector.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        env = _auto_env(
            server,
            tmp_path / "otlp.jsonl",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.server_address[1]}",
            OTEL_SERVICE_NAME="weather-service",
            AGENTWRAP_CONSOLE="1",
        )
        proc = run_python(["-c", CONVERSATION], env)
    finally:
        collector.shutdown()
        collector.server_close()
    assert proc.returncode == 0, proc.stderr
    traces = b"".join(body for path, body in received if path == "/v1/traces")
    assert b"invoke_agent" in traces and b"chat m" in traces and b"weather-service" in traces
    printed = [line for line in proc.stderr.splitlines() if line.startswith('{"type":"run.summary"')]
    assert len(printed) == 1

"""The app's own TracerProvider: runs close before it shuts down, whoever hooked exit first.

An implicit run's root span ends when the run closes; if the app's provider has shut down by
then, the span is dropped ("Processor is already shutdown"). Real programs, in subprocesses:
the provider is set before agentwrap hooks exit or after it, and shut down by its own exit
hook or explicitly by the program.
"""

from __future__ import annotations

import json

import pytest

from tests._auto import clean_env, run_python

# The app's provider exports to a file of its own: one JSON line per span (name, ids).
APP = """
import json, os, sys
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

class ToFile(SpanExporter):
    def export(self, spans):
        with open(os.environ["APP_SPANS"], "a", encoding="utf-8") as out:
            for span in spans:
                parent = span.parent.span_id if span.parent else None
                out.write(json.dumps([span.name, span.context.span_id, parent]) + "\\n")
        return SpanExportResult.SUCCESS

def own_provider():
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ToFile()))
    trace.set_tracer_provider(provider)
    return provider

{setup}
client = openai.OpenAI(max_retries=0)
messages = [{{"role": "user", "content": "task"}}]
for _ in range(2):
    client.chat.completions.create(model="m", messages=messages)
    messages += [{{"role": "assistant", "content": "ok"}}, {{"role": "user", "content": "more"}}]
{end}
"""

SETUPS = {
    # AGENTWRAP_AUTO_INSTRUMENT: agentwrap hooks exit at the SDK's import.
    "auto, provider before the sdk": ("provider = own_provider()\nimport openai", True),
    "auto, provider after the sdk": ("import openai\nprovider = own_provider()", True),
    # instrument() after the app set its provider (the one agentwrap then uses).
    "instrument after the provider": (
        "provider = own_provider()\nimport openai, agentwrap\nagentwrap.instrument(implicit_runs=True)",
        False,
    ),
}


@pytest.mark.parametrize("setup", list(SETUPS))
@pytest.mark.parametrize("end", ["exit", "explicit shutdown"])
def test_implicit_run_root_span_reaches_the_apps_provider(server, tmp_path, setup, end):
    code, auto = SETUPS[setup]
    spans_file = tmp_path / "app-spans.jsonl"
    env = clean_env(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test", APP_SPANS=str(spans_file))
    if auto:
        env["AGENTWRAP_AUTO_INSTRUMENT"] = "1"
    program = APP.format(setup=code, end="provider.shutdown()" if end == "explicit shutdown" else "")
    proc = run_python(["-c", program], env)
    assert proc.returncode == 0, proc.stderr
    assert "already shutdown" not in proc.stderr
    spans = [json.loads(line) for line in spans_file.read_text(encoding="utf-8").splitlines()]
    names = sorted(name for name, _, _ in spans)
    assert names == ["chat m", "chat m", "invoke_agent"], proc.stderr
    [root_id] = [span_id for name, span_id, _ in spans if name == "invoke_agent"]
    assert all(parent == root_id for name, _, parent in spans if name == "chat m")

"""AGENTWRAP_AUTO_INSTRUMENT: the start-up hook, `agentwrap run`, and the example program."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from agentwrap.demo import AIRLINE_SCRIPT
from agentwrap.testing import Reply, ToolCall, Usage
from tests._auto import EXAMPLES, ROOT, clean_env, comparable, run_python, start_python, summaries

PTH = "agentwrap-auto.pth"

LOADED = (
    "import sys, json; print(json.dumps(sorted(m for m in sys.modules"
    " if m.split('.')[0] in ('agentwrap', 'wrapt', 'opentelemetry'))))"
)


def _example_responder(request):
    # The model's side, by how far the conversation is: the same answers for both runs.
    results = sum(1 for m in request.body["messages"] if m["role"] == "tool")
    search = ToolCall("search_flights", {"origin": "JFK", "dest": "LAX"})
    if results == 0:
        return Reply(tool_calls=[search, ToolCall("get_weather", {"airport": "LAX"})], usage=Usage(120, 16))
    if results == 2:
        return Reply(tool_calls=[search], usage=Usage(150, 15))
    return Reply(text="No flights tomorrow morning, but the weather is clear.", usage=Usage(210, 18))


def test_pth_is_installed_in_site_packages():
    purelib = Path(sysconfig.get_paths()["purelib"])
    line = (purelib / PTH).read_text(encoding="utf-8").strip()
    assert line == (ROOT / PTH).read_text(encoding="utf-8").strip()
    assert line.startswith("import os; ") and "\n" not in line
    assert str(purelib) in site.getsitepackages()


@pytest.mark.parametrize("value", [None, "", "0", "false", "off"])
def test_unset_variable_imports_nothing(value):
    env = clean_env() if value is None else clean_env(AGENTWRAP_AUTO_INSTRUMENT=value)
    proc = run_python(["-c", LOADED], env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_unset_variable_patches_nothing():
    code = "import openai._base_client as b; " + LOADED.replace(
        "print(", "print(b.SyncAPIClient.request.__module__, "
    )
    proc = run_python(["-c", code], clean_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["openai._base_client", "[]"]


def test_set_variable_patches_each_sdk_when_first_imported():
    code = (
        "import sys\n"
        # Until an SDK is imported, the hook has loaded nothing heavy (no wrapt, no OTel).
        "light = sorted(m for m in sys.modules if m.split('.')[0] in ('wrapt', 'opentelemetry', 'openai'))\n"
        "import agentwrap\n"
        "before = ('openai' in sys.modules, agentwrap.instrumented_providers())\n"
        "import openai\n"
        "print(light, before, agentwrap.instrumented_providers())\n"
        "print(sorted(m for m in ('httpx', 'httpx2', 'openai') if m in sys.modules))\n"
    )
    proc = run_python(["-c", code], clean_env(AGENTWRAP_AUTO_INSTRUMENT="1"))
    assert proc.returncode == 0, proc.stderr
    patched, imported = proc.stdout.strip().splitlines()
    assert "'openai'" in imported  # with the HTTP client it sends with: patched as well
    assert patched == f"[] (False, []) {imported}"


def test_sdk_imported_before_the_hook_is_patched_too():
    # An SDK already imported when instrumentation starts (here: by another .pth or a
    # sitecustomize that ran first) is patched at once.
    code = (
        "import openai, agentwrap._autoinstrument as auto, agentwrap; "
        "auto.start(); print(agentwrap.instrumented_providers())"
    )
    proc = run_python(["-c", code], clean_env())
    assert proc.returncode == 0, proc.stderr
    assert "openai" in proc.stdout


def _example_env(server, tmp_path: Path, name: str, **extra: str) -> tuple[dict[str, str], Path]:
    out = tmp_path / f"{name}.jsonl"
    env = clean_env(
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY="sk-test",
        AGENTWRAP_RELEASE="v2.1",
        AGENTWRAP_CAPTURE_CONTENT="1",
        **extra,
    )
    return env, out


def test_example_gives_the_same_summary_auto_as_with_instrument_and_a_run(server, tmp_path):
    server.responder = _example_responder
    auto_env, auto_out = _example_env(server, tmp_path, "auto", AGENTWRAP_AUTO_INSTRUMENT="1")
    auto_env["AGENTWRAP_FILE"] = str(auto_out)
    explicit_env, explicit_out = _example_env(server, tmp_path, "explicit")
    code = (
        "import runpy, agentwrap\n"
        f"agentwrap.instrument(file={str(explicit_out)!r})\n"
        "with agentwrap.run(name='airline-agent'):\n"
        f"    runpy.run_path({str(EXAMPLES / 'airline_agent.py')!r}, run_name='__main__')\n"
    )
    # Both at once (they share nothing but the fake server, which answers by content).
    with start_python([str(EXAMPLES / "airline_agent.py")], auto_env) as auto_proc:
        explicit = run_python(["-c", code], explicit_env)
        auto_stdout, auto_stderr = auto_proc.communicate(timeout=60)
    assert auto_proc.returncode == 0, auto_stderr
    assert explicit.returncode == 0, explicit.stderr
    assert auto_stdout == explicit.stdout

    [auto_summary] = summaries(auto_out)
    [explicit_summary] = summaries(explicit_out)
    assert comparable(auto_summary["summarized_metadata"]) == comparable(
        explicit_summary["summarized_metadata"]
    )
    got = comparable(auto_summary["summarized_metadata"])
    assert got["tools"] == [
        ("search_flights", {"origin": "JFK", "dest": "LAX"}, "no_flights_found"),
        ("get_weather", {"airport": "LAX"}, "LAX: clear skies"),
        ("search_flights", {"origin": "JFK", "dest": "LAX"}, "no_flights_found"),
    ]
    assert (got["turns"], got["retries"], got["release"]) == (3, 1, "v2.1")
    assert auto_summary["parent_run_id"] is None


def test_agentwrap_run_command_instruments_the_program(server, tmp_path):
    server.enqueue(*AIRLINE_SCRIPT())
    out = tmp_path / "cli.jsonl"
    env = clean_env(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test")
    agentwrap_cli = Path(sys.executable).with_name("agentwrap")
    proc = subprocess.run(
        [
            str(agentwrap_cli),
            "run",
            "--file",
            str(out),
            "--release",
            "v9",
            "--",
            "python",
            str(EXAMPLES / "airline_agent.py"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(out)
    meta = summary["summarized_metadata"]
    assert (meta["release_version"], meta["total_number_of_turns"], meta["number_of_same_tool_retries"]) == (
        "v9",
        4,
        2,
    )
    spans = [json.loads(line) for line in out.read_text().splitlines() if '"type":"span"' in line]
    assert {s["trace_id"] for s in spans} == {meta["trace_id"]}


def test_wheel_ships_the_pth_at_its_root(tmp_path):
    out = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [wheel] = out.glob("agentwrap-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert PTH in archive.namelist()  # the wheel's root is installed into purelib
        assert archive.read(PTH).decode() == (ROOT / PTH).read_text(encoding="utf-8")


def test_a_tracer_provider_the_app_sets_after_start_up_is_used(server, tmp_path):
    code = """
import openai
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
with openai.OpenAI(max_retries=0) as client:
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
print([s.name for s in exporter.get_finished_spans()])
"""
    env = clean_env(AGENTWRAP_AUTO_INSTRUMENT="1", OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test")
    proc = run_python(["-c", code], env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['chat m']"

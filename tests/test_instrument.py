"""instrument() / uninstrument(): idempotent, thread-safe, exact restore, provider choice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import openai
import pytest
from agentwrap.patches import PROVIDERS
from openai import _base_client

import agentwrap
from agentwrap.testing import Reply

MESSAGES = [{"role": "user", "content": "hi"}]


def _originals():
    return vars(_base_client.SyncAPIClient)["request"], vars(_base_client.AsyncAPIClient)["request"]


def test_uninstrument_restores_the_exact_original_methods(server, openai_client):
    before = _originals()
    with agentwrap.testing.capture() as cap:
        assert _originals()[0] is not before[0]
        openai_client.chat.completions.create(model="m", messages=MESSAGES)
        assert len(cap.spans) == 1
    assert _originals() == before
    assert agentwrap.instrumented_providers() == []


def test_instrument_is_idempotent(server, openai_client):
    with agentwrap.testing.capture() as cap:
        provider = cap.provider
        sink = cap.sink
        for _ in range(3):
            agentwrap.instrument(tracer_provider=provider, sinks=[sink], log_summaries=False)
        openai_client.chat.completions.create(model="m", messages=MESSAGES)
        assert len(cap.spans) == 1


def test_instrument_from_many_threads_patches_once(server, openai_client):
    with agentwrap.testing.capture() as cap:
        agentwrap.uninstrument()
        barrier = threading.Barrier(8)

        def go():
            barrier.wait()
            agentwrap.instrument(tracer_provider=cap.provider, sinks=[cap.sink], log_summaries=False)

        threads = [threading.Thread(target=go) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        openai_client.chat.completions.create(model="m", messages=MESSAGES)
        assert len(cap.spans) == 1
        # Every known provider whose SDK is imported, each patched once (anthropic when loaded).
        # (httpx/httpx2: LLM calls made with the HTTP client directly; openai sends with one.)
        known = {provider: sdk for provider, (sdk, _) in PROVIDERS.items()}
        assert {"anthropic", "httpx", "httpx2", "openai"} <= known.keys()
        loaded = sorted(name for name, sdk in known.items() if sys.modules.get(sdk) is not None)
        assert agentwrap.instrumented_providers() == loaded


def test_clients_copied_with_with_options_are_traced(server, openai_client, captured):
    copy = openai_client.with_options(timeout=5)
    copy.chat.completions.create(model="m", messages=MESSAGES)
    assert len(captured.spans) == 1


def test_unknown_options_and_providers_are_refused():
    with pytest.raises(TypeError, match="unknown configuration"):
        agentwrap.instrument(no_such_option=True)
    with pytest.raises(ValueError, match="unknown provider"):
        agentwrap.instrument(providers=["nope"])


def _run_python(code: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=60
    )


def test_works_without_any_sdk_installed():
    proc = _run_python(
        """
        import sys
        sys.modules["openai"] = None  # as if not installed
        sys.modules["anthropic"] = None
        import agentwrap
        agentwrap.instrument()
        with agentwrap.run(name="no-sdk") as run:
            pass
        agentwrap.uninstrument()
        print(run.summary["total_number_of_turns"])
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"


def test_sdk_imported_after_instrument_is_patched_on_import():
    proc = _run_python(
        """
        import sys, agentwrap
        agentwrap.instrument()
        assert "openai" not in sys.modules  # instrument() does not import SDKs itself
        import openai
        from openai import _base_client
        print(type(vars(_base_client.SyncAPIClient)["request"]).__name__, agentwrap.instrumented_providers())
        print(sorted(m for m in ("anthropic", "httpx", "httpx2", "openai") if m in sys.modules))
        """
    )
    assert proc.returncode == 0, proc.stderr
    patched, imported = proc.stdout.strip().splitlines()
    assert "'openai'" in imported  # and the HTTP client it sends with, patched too
    assert patched == f"FunctionWrapper {imported}"


def test_global_tracer_provider_is_used_when_the_app_set_one(server):
    proc = _run_python(
        f"""
        import openai, agentwrap
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        agentwrap.instrument(log_summaries=False)
        server_url = "{server.base_url}"
        client = openai.OpenAI(base_url=server_url, api_key="k", max_retries=0)
        client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "x"}}])
        print([s.name for s in exporter.get_finished_spans()])
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['chat m']"


def test_own_provider_when_none_is_set_does_not_claim_the_global_slot(server, tmp_path):
    path = tmp_path / "spans.jsonl"
    proc = _run_python(
        f"""
        import openai, agentwrap
        from opentelemetry import trace
        agentwrap.instrument(file=r"{path}", log_summaries=False)
        client = openai.OpenAI(base_url="{server.base_url}", api_key="k", max_retries=0)
        client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "x"}}])
        print(type(trace.get_tracer_provider()).__name__)
        agentwrap.uninstrument()
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ProxyTracerProvider"
    assert '"name":"chat m"' in path.read_text()


def test_openai_version_is_in_supported_range():
    from agentwrap.patches import openai as openai_patch
    from packaging.version import Version

    assert openai_patch.SUPPORTED.startswith(">=")
    assert Version(openai.__version__) >= Version(openai_patch.SUPPORTED[2:])


def test_reply_script_survives_reinstrument(server, openai_client):
    # instrument -> uninstrument -> instrument keeps exactly one wrapper layer.
    with agentwrap.testing.capture():
        pass
    with agentwrap.testing.capture() as cap:
        server.enqueue(Reply(text="again"))
        result = openai_client.chat.completions.create(model="m", messages=MESSAGES)
        assert result.choices[0].message.content == "again"
        assert len(cap.spans) == 1
        wrapper = vars(_base_client.SyncAPIClient)["request"]
        assert type(wrapper.__wrapped__).__name__ == "function"


def test_jsonl_stops_writing_app_provider_spans_after_uninstrument(server, openai_client, tmp_path):
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()  # the app's own SDK provider
    path = tmp_path / "out.jsonl"
    agentwrap.instrument(tracer_provider=provider, file=str(path), log_summaries=False)
    openai_client.chat.completions.create(model="m", messages=MESSAGES)
    agentwrap.uninstrument()
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    with provider.get_tracer("app").start_as_current_span("app work after uninstrument"):
        pass
    provider.force_flush()
    assert path.read_text().splitlines() == lines
    provider.shutdown()

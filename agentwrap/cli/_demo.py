"""``agentwrap demo``: the airline agent of :mod:`agentwrap.demo` against a local fake LLM,
then its trace tree, its summary and the commands that look at it again."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import click

from agentwrap.cli._inputs import read_files, writable_file
from agentwrap.cli._render import console, escape, render_trace
from agentwrap.cli._view import load_runs

__all__ = ["run_demo"]


def _run_agent(path: str) -> tuple[str, dict[str, Any] | None]:
    import agentwrap
    from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
    from agentwrap.testing import FakeLLMServer

    try:
        import openai
    except ImportError:
        raise click.ClickException("the demo needs the openai SDK: pip install 'agentwrap[openai]'") from None
    with FakeLLMServer() as server:
        server.enqueue(*AIRLINE_SCRIPT())
        # The demo's data is made up, so it opts in to content capture to show arguments and
        # results; by default agentwrap records hashes and counts, never content.
        agentwrap.instrument(file=path, capture_content=True, log_summaries=False)
        client = openai.OpenAI(base_url=server.base_url, api_key="demo-key", max_retries=0)
        try:
            with agentwrap.run(name="airline-agent", release="v1.4.2") as run:
                answer = run_airline_agent(client)
        finally:
            client.close()
            agentwrap.uninstrument()  # flushes the spans to the file
    return answer, run.summary


def run_demo(file: str | None, quiet: bool) -> None:
    """Run the demo agent, writing to ``file`` (default: a temp file), and print what it did."""
    path = file or os.path.join(tempfile.mkdtemp(prefix="agentwrap-demo-"), "runs.jsonl")
    writable_file(path)  # before the run: the file sink fails open, and would only log it
    out = console()
    answer, summary = _run_agent(path)
    out.print(f"[bold]Agent answered:[/] {escape(answer)}\n")
    for view in load_runs(read_files([path])):
        render_trace(out, view)
    if not quiet:
        out.print("\n[bold]Run summary[/] (the seed's aggregate schema):")
        out.print_json(json.dumps({"summarized_metadata": summary}))
    out.print(f"\nSpans, events and the summary are in {path}")
    out.print(f"Look again with:    agentwrap view {path}")
    out.print(f"Aggregate it:       agentwrap report --from {path}")
    out.print(f"Open a dashboard:   agentwrap dashboard --from {path} -o agentwrap-dashboard.html")

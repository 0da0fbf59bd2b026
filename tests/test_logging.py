"""The ``agentwrap`` logger: silent in a program that configures no logging (the library
convention, a NullHandler), and a line that reads on its own, fields in ``extra``, in one that
does, through the stdlib's handlers and structlog's."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
import structlog

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from agentwrap.sinks import LoggingSink
from agentwrap.testing import Reply, Usage, capture
from tests._auto import clean_env, read_jsonl, run_python

# The airline agent (three identical searches: tool.repeated_calls), then a stream read for one
# chunk and dropped (stream.abandoned); logging as the test says, or not at all.
PROGRAM = """
import gc
{setup}
import agentwrap, openai
from agentwrap.demo import run_airline_agent
agentwrap.instrument(file={out!r})
client = openai.OpenAI(max_retries=0)
with agentwrap.run(name="airline-agent"):
    run_airline_agent(client)
    stream = client.chat.completions.create(
        model="m", messages=[{{"role": "user", "content": "x"}}], stream=True
    )
    next(iter(stream))
    del stream
    gc.collect()
agentwrap.uninstrument()
"""


def _run(server, tmp_path, setup: str = "") -> tuple[str, list[dict[str, Any]]]:
    server.enqueue(*AIRLINE_SCRIPT(), Reply(text="one two three four", usage=Usage(5, 4)))
    out = tmp_path / "out.jsonl"
    env = clean_env(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test")
    del env["AGENTWRAP_LOG_SUMMARIES"]  # the default: summaries and events on the agentwrap logger
    proc = run_python(["-c", PROGRAM.format(setup=setup, out=str(out))], env)
    assert proc.returncode == 0, proc.stderr
    events = [r for r in read_jsonl(out) if r.get("type") == "event"]
    assert sorted(e["name"] for e in events) == ["stream.abandoned", "tool.repeated_calls"]
    return proc.stderr, events


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _line(event: dict[str, Any]) -> str:
    """The message of an event record: its name, each field as key=value, then its trace."""
    fields = " ".join(f"{key}={_value(value)}" for key, value in event["fields"].items())
    return f"{event['name']} {fields} trace_id={event['trace_id']}"


def test_a_program_without_logging_configuration_gets_nothing_on_stderr(server, tmp_path):
    stderr, events = _run(server, tmp_path)
    assert stderr == ""  # not the bare names from Python's last-resort handler
    assert all(e["severity"] == "warning" for e in events)


def test_with_basic_config_each_line_carries_its_fields(server, tmp_path):
    setup = "import logging\nlogging.basicConfig(format='%(levelname)s %(name)s %(message)s')"
    stderr, events = _run(server, tmp_path, setup)
    assert stderr.splitlines() == [f"WARNING agentwrap {_line(e)}" for e in events]
    [repeated] = [e for e in events if e["name"] == "tool.repeated_calls"]
    assert _line(repeated).startswith("tool.repeated_calls tool_name=search_flights repeat_count=3 step=3 ")
    [abandoned] = [e for e in events if e["name"] == "stream.abandoned"]
    assert _line(abandoned) == f"stream.abandoned chunks_received=1 model=m trace_id={abandoned['trace_id']}"


@pytest.mark.parametrize("logging_first", [True, False])
def test_the_null_handler_costs_no_import_of_logging(logging_first):
    code = (
        ("import logging\n" if logging_first else "")
        + "import sys, agentwrap\n"
        + "print('logging' in sys.modules)\n"
        + "import logging, agentwrap.sinks\n"  # the first module of ours that logs, at the latest
        + "print([type(h).__name__ for h in logging.getLogger('agentwrap').handlers])\n"
    )
    proc = run_python(["-c", code], clean_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [str(logging_first), "['NullHandler']"]


def test_the_null_handler_is_there_once_agentwrap_is_imported_after_logging():
    code = "import logging, agentwrap\nprint(logging.getLogger('agentwrap').handlers)"
    proc = run_python(["-c", code], clean_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[<NullHandler (NOTSET)>]"


def _records(logger: logging.Logger) -> list[logging.LogRecord]:
    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    logger.addHandler(Keep())
    return kept


def test_a_value_with_spaces_or_a_newline_is_quoted_and_the_line_stays_one_line():
    logger = logging.getLogger("tests.logging.quoting")
    logger.setLevel(logging.INFO)
    kept = _records(logger)
    fields = {"reason": 'two words\nand "a" line', "empty": "", "ratio": 0.5, "ok": True, "none": None}
    fields.update({"tools": ["a", "b"], "limit": {"max": 3}, "100%": "done", "breaks": "a\u2028b\x85c"})
    LoggingSink(logger).emit(
        {"type": "event", "name": "x.happened", "severity": "warning", "fields": fields, "trace_id": "ab12"}
    )
    [record] = kept
    assert record.getMessage() == (
        'x.happened reason="two words\\nand \\"a\\" line" empty="" ratio=0.5 ok=true none=null '
        'tools=["a","b"] limit={"max":3} 100%=done breaks="a\\u2028b\\u0085c" trace_id=ab12'
    )
    assert len(record.getMessage().splitlines()) == 1
    assert record.event_name == "x.happened" and record.fields == fields and record.trace_id == "ab12"
    assert record.levelno == logging.WARNING


def test_the_message_template_is_the_same_for_every_record_of_a_kind():
    # Error trackers group log records by their unformatted message.
    logger = logging.getLogger("tests.logging.template")
    logger.setLevel(logging.INFO)
    kept = _records(logger)
    for step in (3, 4):
        LoggingSink(logger).emit(
            {"type": "event", "name": "tool.repeated_calls", "fields": {"step": step}, "trace_id": "ab"}
        )
    assert [r.getMessage() for r in kept] == [
        "tool.repeated_calls step=3 trace_id=ab",
        "tool.repeated_calls step=4 trace_id=ab",
    ]
    assert kept[0].msg == kept[1].msg


def _summary_line(run: Any) -> str:
    summary = run.summary
    return (
        f"run.summary run_name=airline-agent total_number_of_turns={summary['total_number_of_turns']} "
        f'selected_tool_calls=["search_flights"] number_of_same_tool_retries=2 '
        f"overall_latency={summary['overall_latency']} llm_model={summary['llm_model']} "
        f"release_version=v9 hash_of_prompt={summary['hash_of_prompt']} termination_reason=completed "
        f'total_tokens=723 warnings={{"tool.repeated_calls":1}} trace_id={run.trace_id}'
    )


def test_the_summary_line_has_the_run_s_figures(server, openai_client, caplog):
    caplog.set_level(logging.INFO, logger="agentwrap")
    server.enqueue(*AIRLINE_SCRIPT())
    with capture(log_summaries=True):
        with agentwrap.run(name="airline-agent", release="v9") as run:
            run_airline_agent(openai_client)
    [record] = [r for r in caplog.records if getattr(r, "event_name", None) == "run.summary"]
    assert record.getMessage() == _summary_line(run)
    assert record.summarized_metadata == run.summary and record.levelno == logging.INFO


def test_structlog_renders_the_line_and_every_field(server, openai_client):
    # structlog's stdlib integration, extras not filtered: the readable line is the event, the
    # record's fields are keys of their own.
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(default=str),
            ],
            foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.ExtraAdder()],
        )
    )
    logger = logging.getLogger("agentwrap")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        server.enqueue(*AIRLINE_SCRIPT())
        with capture(log_summaries=True):
            with agentwrap.run(name="airline-agent", release="v9") as run:
                run_airline_agent(openai_client)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = {line["event_name"]: line for line in map(json.loads, out.getvalue().splitlines())}
    assert set(lines) == {"tool.repeated_calls", "run.terminated", "run.summary"}
    repeated = lines["tool.repeated_calls"]
    assert repeated["event"].startswith("tool.repeated_calls tool_name=search_flights repeat_count=3 step=3 ")
    assert repeated["event"].endswith(f" trace_id={run.trace_id}")
    assert repeated["fields"]["repeat_count"] == 3 and repeated["level"] == "warning"
    assert repeated["trace_id"] == run.trace_id and repeated["run_name"] == "airline-agent"
    assert lines["run.summary"]["event"] == _summary_line(run)
    assert lines["run.summary"]["summarized_metadata"]["total_number_of_turns"] == 4
    assert lines["run.terminated"]["fields"]["termination_reason"] == "completed"


def test_the_command_line_shows_agentwrap_s_warnings_on_stderr(tmp_path):
    # The command line is an application: it configures where agentwrap's warnings go. Here the
    # demo's run store (from AGENTWRAP_STORE) cannot be created: the library warns, once each.
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = clean_env(AGENTWRAP_STORE=str(blocker / "runs.db"), XDG_DATA_HOME=str(tmp_path))
    code = "from agentwrap.cli import main; main()"
    proc = run_python(["-c", code, "demo", "--quiet", "--file", str(tmp_path / "runs.jsonl")], env)
    assert proc.returncode == 0, proc.stderr
    reason = f"([Errno 17] File exists: '{blocker}')"
    assert sorted(proc.stderr.splitlines()) == [
        f"agentwrap: first_seen store unavailable {reason}; using memory for now",
        f"agentwrap: run store {blocker / 'runs.db'} unavailable {reason}; records dropped",
    ]

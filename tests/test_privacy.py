"""Nothing secret leaves the process by default: no API key, no headers, no message content."""

from __future__ import annotations

import json
import logging

import agentwrap
from agentwrap.demo import AIRLINE_SCRIPT, SYSTEM_PROMPT, USER_PROMPT, run_airline_agent
from agentwrap.testing import ErrorReply, capture

from .conftest import API_KEY

SECRETS = [API_KEY, "Bearer", "authorization", SYSTEM_PROMPT, USER_PROMPT, "no_flights_found", "JFK", "LAX"]


def _everything_emitted(cap, path, caplog) -> str:
    parts = []
    for span in cap.spans:
        parts.append(span.to_json())
    parts.extend(json.dumps(r, default=str) for r in cap.records)
    parts.append(path.read_text())
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(
            json.dumps({k: v for k, v in vars(record).items() if k not in ("args", "exc_info")}, default=str)
        )
    return "\n".join(parts)


def _run_airline(server, client, tmp_path, caplog, **options):
    path = tmp_path / "out.jsonl"
    server.enqueue(
        *AIRLINE_SCRIPT(), ErrorReply(status=401, message=f"Incorrect API key provided: {API_KEY}")
    )
    with (
        caplog.at_level(logging.DEBUG, logger="agentwrap"),
        capture(file=str(path), log_summaries=True, **options) as cap,
    ):
        with agentwrap.run(name="airline-agent"):
            run_airline_agent(client)
            try:
                client.chat.completions.create(model="m", messages=[{"role": "user", "content": USER_PROMPT}])
            except Exception as exc:  # the 401 carries the key in its message
                assert API_KEY in str(exc)
        agentwrap.uninstrument()
        return _everything_emitted(cap, path, caplog)


def test_default_emits_no_key_header_or_content(server, openai_client, tmp_path, caplog):
    emitted = _run_airline(server, openai_client, tmp_path, caplog)
    assert "execute_tool search_flights" in emitted  # names and hashes are there...
    assert "sha256-" in emitted
    for secret in SECRETS:  # ...content, keys and headers are not
        assert secret.lower() not in emitted.lower(), secret


def test_opt_in_capture_does_record_content(server, openai_client, tmp_path, caplog):
    # The same check must be able to fail: with capture on, content is there (keys still not).
    emitted = _run_airline(server, openai_client, tmp_path, caplog, capture_content=True)
    for content in (SYSTEM_PROMPT, USER_PROMPT, "no_flights_found", "JFK"):
        assert content in emitted
    assert API_KEY not in emitted
    assert "bearer" not in emitted.lower()

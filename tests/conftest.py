"""Shared fixtures: the fake LLM server, real SDK clients pointed at it, and capture."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

# Our own errors are raised in tests (they are swallowed and logged in production); tests of
# fail-open behaviour switch this off explicitly.
os.environ.setdefault("AGENTWRAP_RAISE_INTERNAL_ERRORS", "1")
# The default data directory (first_seen of agentwrap.detect) is a throwaway one, never the user's.
os.environ["XDG_DATA_HOME"] = __import__("tempfile").mkdtemp(prefix="agentwrap-tests-")

import agentwrap._errors  # noqa: E402
from agentwrap.testing import Captured, FakeLLMServer, capture  # noqa: E402

API_KEY = "sk-test-SECRET-4f9a2c"


@pytest.fixture(scope="session")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> Iterator[None]:
    if "server" in request.fixturenames:
        request.getfixturevalue("server").reset()
    yield
    import agentwrap

    agentwrap.uninstrument()


@pytest.fixture
def captured() -> Iterator[Captured]:
    with capture() as c:
        yield c


@pytest.fixture
def captured_content() -> Iterator[Captured]:
    with capture(capture_content=True) as c:
        yield c


@pytest.fixture
def fail_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production behaviour: agentwrap's own errors are logged, never raised."""
    monkeypatch.setattr(agentwrap._errors, "RAISE_INTERNAL_ERRORS", False)
    agentwrap._errors._reported.clear()


@pytest.fixture
def openai_client(server: FakeLLMServer) -> Iterator[object]:
    import openai

    client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
    yield client
    client.close()


@pytest.fixture
async def async_openai_client(server: FakeLLMServer) -> AsyncIterator[object]:
    import openai

    client = openai.AsyncOpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
    yield client
    await client.close()

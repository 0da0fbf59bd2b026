"""The fake server's ids stay deterministic per script, even with stale delayed replies."""

from __future__ import annotations

import time

import openai
import pytest

from agentwrap.testing import Reply

from .conftest import API_KEY


def test_a_delayed_reply_whose_client_gave_up_does_not_take_the_next_scripts_ids(server):
    client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0, timeout=0.1)
    server.enqueue(Reply(text="late", delay=0.3))
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    server.reset()
    time.sleep(0.4)  # the stale handler renders its reply meanwhile
    completion = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "y"}])
    client.close()
    assert completion.id == "chatcmpl-1"

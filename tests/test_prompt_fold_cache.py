"""A long conversation's system messages are collected incrementally, and an edit is seen.

Past 64 messages the chat translator folds only the messages appended since the last call
(the hash chain proved the earlier ones unchanged); a message edited in place breaks the
chain, so the prompt version must follow the edit exactly as a fresh conversation would.
"""

from __future__ import annotations

from agentwrap.testing import Reply

VERSION = "agentwrap.prompt.version_hash"


def _version(server, client, captured, messages) -> str:
    server.enqueue(Reply(text="ok"))
    captured.clear()
    client.chat.completions.create(model="m", messages=messages)
    [span] = captured.spans_named("chat")
    return span.attributes[VERSION]


def _history(turns: int) -> list[dict]:
    out: list[dict] = []
    for i in range(turns):
        out += [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]
    return out


def test_long_conversation_follows_appends_and_in_place_edits(server, openai_client, captured) -> None:
    def fresh(*system: dict) -> str:  # a short conversation: the plain scan
        return _version(server, openai_client, captured, [*system, {"role": "user", "content": "x"}])

    a, b = {"role": "system", "content": "A"}, {"role": "system", "content": "B"}
    dev = {"role": "developer", "content": "D"}
    messages = [dict(a), *_history(40)]
    assert _version(server, openai_client, captured, messages) == fresh(a)
    messages += _history(2)
    assert _version(server, openai_client, captured, messages) == fresh(a)
    messages.append(dict(dev))  # a developer message late in the conversation counts
    messages += _history(1)
    assert _version(server, openai_client, captured, messages) == fresh(a, dev)
    messages[0]["content"] = "B"  # edited in place: the earlier messages changed
    messages += _history(1)
    assert _version(server, openai_client, captured, messages) == fresh(b, dev)
    [where] = [i for i, m in enumerate(messages) if m["role"] == "developer"]
    del messages[where + 1]  # a message removed from the middle: same versions
    assert _version(server, openai_client, captured, messages) == fresh(b, dev)
    messages[where]["content"] = "D2"  # and the developer message itself edited
    assert _version(server, openai_client, captured, messages) == fresh(
        b, {"role": "developer", "content": "D2"}
    )
    assert fresh(a) != fresh(b)

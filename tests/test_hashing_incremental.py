"""The incremental conversation hashes equal hashing from scratch, whatever the history does."""

from __future__ import annotations

import copy
import hashlib
import random
from typing import Any

from agentwrap import _hashing
from agentwrap._hashing import canonical_json, prefix_digests, sha256_hex, sha256_hex_items


def _reference_digests(items: list[Any]) -> list[str]:
    out, previous = [], b""
    for item in items:
        previous = hashlib.blake2b(previous + canonical_json(item).encode(), digest_size=16).digest()
        out.append(previous.hex())
    return out


def _message(rng: random.Random, i: int) -> dict[str, Any]:
    role = rng.choice(["user", "assistant", "tool"])
    message: dict[str, Any] = {"role": role, "content": f"message {i} " * rng.randint(1, 4)}
    if role == "assistant" and rng.random() < 0.5:
        message["tool_calls"] = [{"id": f"call_{i}", "function": {"name": "f", "arguments": '{"x": 1}'}}]
    return message


def test_growing_edited_and_branching_conversations_hash_as_from_scratch() -> None:
    rng = random.Random(7)
    for _ in range(60):
        conversation = [_message(rng, i) for i in range(rng.randint(0, 12))]
        for _ in range(6):
            conversation = conversation + [_message(rng, len(conversation)) for _ in range(rng.randint(0, 3))]
            if conversation and rng.random() < 0.2:  # history rewritten (summarized, edited)
                conversation = copy.deepcopy(conversation)
                conversation[rng.randrange(len(conversation))]["content"] = "edited"
            sent = copy.deepcopy(conversation)  # the SDKs build a fresh body per request
            assert sha256_hex_items(sent) == sha256_hex(conversation)
            assert prefix_digests(copy.deepcopy(conversation)) == _reference_digests(conversation)


def test_dict_order_does_not_matter_and_the_cache_stays_bounded() -> None:
    items = [{"role": "user", "content": str(i), "name": "n"} for i in range(20)]
    reordered = [dict(reversed(list(m.items()))) for m in items]
    assert sha256_hex_items(items) == sha256_hex_items(reordered) == sha256_hex(items)
    for n in range(200):
        sha256_hex_items([{"role": "user", "content": f"conversation {n}"}] * 10)
    assert len(_hashing._chains) <= _hashing._CHAINS_MAX


class _Counted:
    """A message object that counts how often it is serialized (its plain-data form is asked)."""

    dumps = 0

    def __init__(self, i: int) -> None:
        self.i = i

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Counted) and other.i == self.i

    __hash__ = None  # type: ignore[assignment]

    def model_dump(self, mode: str) -> dict[str, Any]:
        _Counted.dumps += 1
        return {"role": "user", "content": f"turn {self.i}"}


def test_a_longer_conversation_serializes_only_its_new_items() -> None:
    sha256_hex_items([_Counted(i) for i in range(50)])
    _Counted.dumps = 0
    grown = [_Counted(i) for i in range(51)]  # new objects, equal to the earlier ones
    assert sha256_hex_items(grown) == sha256_hex(grown)
    assert _Counted.dumps == 1 + 51  # the new item here, then all of them for the reference


def test_responses_input_is_hashed_incrementally_too() -> None:
    # The OpenAI Agents SDK resends the whole input list to /responses on every turn.
    from agentwrap.patches._openai_responses import ResponsesEndpoint

    import agentwrap

    endpoint = ResponsesEndpoint()
    with agentwrap.run(name="responses-growth"):  # inside a run: no implicit-run prefix digests
        first = endpoint.request({"model": "m", "input": [_Counted(i) for i in range(40)]}, False)
        _Counted.dumps = 0
        grown = endpoint.request({"model": "m", "input": [_Counted(i) for i in range(41)]}, False)
        assert _Counted.dumps == 1  # only the new item
    head = {"instructions": None, "previous": None}
    assert grown.input_hash == sha256_hex([head, *(_Counted(i) for i in range(41))])
    assert first.input_hash != grown.input_hash

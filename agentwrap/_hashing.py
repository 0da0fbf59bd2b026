"""Stable hashes of prompts and tool arguments.

A hash must not depend on dict order or on how an SDK happened to build its objects, so
everything is hashed through one canonical JSON form. Hashes are always on (they carry no
content), and look like ``sha256-<64 hex>``.

Agent loops resend the whole conversation on every call, each request extending the last
one. :func:`sha256_hex_items` and :func:`prefix_digests` therefore remember the conversations
they hashed lately (a small LRU of :class:`_Chain`): a request whose leading items equal a
remembered conversation reuses its hash state and serializes only the new items, so a run's
hashing stays linear in its length instead of quadratic. Recognising the prefix costs one
C-level ``==`` of the two item lists (the SDKs build request bodies afresh per call, so the
objects differ but their strings are shared, and the comparison mostly checks identities).
The results are exactly those of hashing from scratch.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "canonical_json",
    "fold_items",
    "parse_arguments",
    "prefix_digests",
    "sha256_hex",
    "sha256_hex_items",
    "sha256_hex_memo",
]


def _fallback(obj: Any) -> Any:
    # SDK objects (pydantic models) and other stragglers: use their plain-data form if they
    # have one, else their repr. Never raise: hashing must not fail on odd input.
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:  # noqa: BLE001
            pass
    if isinstance(obj, (set, frozenset)):
        return sorted(map(repr, obj))
    if isinstance(obj, bytes):
        return obj.hex()
    return repr(obj)


# Built once: json.dumps() with options builds an encoder per call (about 1 µs of ~2). No
# circular-reference check (15% of the encoding): what is hashed is JSON the SDK serializes,
# parsed JSON, or records of ours, none of which can be circular; if something were, the
# RecursionError would be an internal error of ours, caught and logged like any other.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_fallback, check_circular=False
)


def canonical_json(obj: Any) -> str:
    """Serialize with sorted keys and no whitespace; unknown objects fall back to plain data."""
    return _CANONICAL.encode(obj)


def _builtin_sha256() -> Callable[[bytes], Any]:
    # CPython's own SHA-256 (``_sha256`` up to 3.11, ``_sha2`` since 3.12), if it has one.
    for module, name in (("_sha2", "sha256"), ("_sha256", "sha256")):
        try:
            return getattr(__import__(module), name)  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    return hashlib.sha256


_small_sha256 = _builtin_sha256()
# Below this size CPython's own SHA-256 is the cheaper one where it matters: between two LLM
# calls the SDK has run for a millisecond or more and the caches are cold, and OpenSSL's
# digest setup then costs ~10 µs more than the whole builtin hash of a small input. OpenSSL's
# SHA-NI code wins on large inputs (a 40 kB body: 23 µs against 130 µs). Same digest either way.
_SMALL = 4096


def sha256_hex(obj: Any) -> str:
    """``sha256-<hex>`` of the canonical serialization of ``obj`` (strings are hashed as is)."""
    text = obj if isinstance(obj, str) else canonical_json(obj)
    data = text.encode("utf-8", "surrogatepass")
    digest = _small_sha256(data) if len(data) < _SMALL else hashlib.sha256(data)
    return "sha256-" + digest.hexdigest()


class _Chain:
    """A conversation hashed lately: its items, the sha256 state after them, their links."""

    __slots__ = ("items", "sha", "links", "folds")

    def __init__(self, items: list[Any], sha: Any, links: list[bytes] | None) -> None:
        self.items = items  # our own shallow copy: the caller may append to its list
        self.sha = sha  # sha256 of "[" + the items' canonical JSON joined by "," (never updated in place)
        self.links = links  # prefix_digests' chained digests, once someone asked for them
        # fold_items' results: key -> (items folded, immutable state); inherited by extensions
        self.folds: dict[str, tuple[int, Any]] = {}


_CHAINS_MAX = 32  # conversations remembered at once (LRU); a chain holds one item list
_CHAIN_MIN_ITEMS = 8  # shorter lists are hashed afresh: cheaper than looking them up
_chains: list[_Chain] = []  # most recently used last
_chains_lock = threading.Lock()


def _encoded(item: Any) -> bytes:
    text = item if isinstance(item, str) else canonical_json(item)
    return text.encode("utf-8", "surrogatepass")


def _longest_prefix(items: Sequence[Any]) -> _Chain | None:
    """The remembered chain whose items are the longest prefix of ``items`` (moved to MRU)."""
    size = len(items)
    with _chains_lock:
        for index in range(len(_chains) - 1, -1, -1):
            chain = _chains[index]
            n = len(chain.items)
            # Cheap rejects first (length, last item), then one C-level comparison of the lists.
            if n == 0 or n > size or items[n - 1] != chain.items[n - 1]:
                continue
            if (items[:n] if n < size else items) == chain.items:
                del _chains[index]
                _chains.append(chain)
                return chain
    return None


def _remember(chain: _Chain, extends: _Chain | None) -> None:
    # A conversation keeps one chain: the one it extends is dropped (else a 200-turn run would
    # fill the LRU with its own prefixes, each holding a request body).
    with _chains_lock:
        if extends is not None and len(extends.items) < len(chain.items):
            try:
                _chains.remove(extends)
            except ValueError:  # another thread dropped it meanwhile
                pass
        _chains.append(chain)
        del _chains[:-_CHAINS_MAX]


def _extend(items: Sequence[Any], links_wanted: bool) -> _Chain:
    """The chain for ``items``: a remembered prefix extended by the new items only."""
    known = _longest_prefix(items)
    if known is not None and len(known.items) == len(items) and (known.links is not None or not links_wanted):
        return known
    start = len(known.items) if known is not None else 0
    sha = known.sha.copy() if known is not None else hashlib.sha256(b"[")
    links: list[bytes] | None = None
    if known is not None and known.links is not None:  # keep them going once they exist
        links = list(known.links)
    elif links_wanted:
        links = []
    linked = len(links) if links is not None else len(items)
    previous = links[-1] if links else b""
    # Only the items past the known prefix (or past the links, if those lag behind): a loop
    # that skipped the prefix item by item would make every call O(conversation) again.
    for position in range(min(start, linked), len(items)):
        item = items[position]
        data = _encoded(item)
        if position >= start:
            sha.update(b"," + data if position else data)
        if links is not None:
            previous = hashlib.blake2b(previous + data, digest_size=16).digest()
            links.append(previous)
    chain = _Chain(list(items), sha, links)
    if known is not None:  # its items equal our leading ones: what was folded over them holds
        chain.folds = dict(known.folds)
    _remember(chain, known)
    return chain


_MEMO_MAX = 16
_memo: list[tuple[Any, str]] = []  # (key, hash), most recently used last
_memo_lock = threading.Lock()


def sha256_hex_memo(key: Any, value: Callable[[Any], Any] | None = None) -> str:
    """``sha256_hex(value(key))`` (or of ``key``), remembered for keys ``==`` to a recent one.

    For what a request repeats unchanged on every call of a run and costs more to normalize
    and serialize than to compare: the system prompt and the tool definitions of a prompt
    version. A small LRU; the comparison is one C-level ``==``.
    """
    with _memo_lock:
        for index in range(len(_memo) - 1, -1, -1):
            known, digest = _memo[index]
            if known == key:
                if index != len(_memo) - 1:
                    _memo.append(_memo.pop(index))
                return digest
    digest = sha256_hex(value(key) if value is not None else key)
    with _memo_lock:
        _memo.append((key, digest))
        del _memo[:-_MEMO_MAX]
    return digest


def sha256_hex_items(items: Sequence[Any]) -> str:
    """``sha256_hex(list(items))``, computed incrementally across calls.

    The value is exactly that of :func:`sha256_hex` on the list (the canonical JSON of a list
    is its items' canonical JSON joined by commas in brackets), so it is stable and
    dict-order independent; only the work differs: items already hashed as the leading
    items of a recent conversation are not serialized again.
    """
    if len(items) < _CHAIN_MIN_ITEMS:
        _last.matched = None
        return sha256_hex(list(items))
    chain = _extend(items, links_wanted=False)
    # This very list was just found equal to the chain's items (see fold_items).
    _last.matched = (items, len(items), chain)
    sha = chain.sha.copy()
    sha.update(b"]")
    return "sha256-" + str(sha.hexdigest())


_last = threading.local()  # per thread: (items, their length, chain) of the last sha256_hex_items


def fold_items(items: Sequence[Any], key: str, step: Callable[[Any, Any], Any], initial: Any) -> Any:
    """``functools.reduce(step, items, initial)``, visiting only the items it has not seen.

    Right after :func:`sha256_hex_items` hashed this same list object (same thread, same
    length), the conversation's chain proved its leading items equal to those of the
    conversation folded last time, so the fold resumes where that one stopped: a growing
    conversation costs O(new items) per call. Otherwise it folds every item. ``step`` must
    return a new state, never change the one it gets (states are shared between chains).
    """
    matched = getattr(_last, "matched", None)
    if matched is None or matched[0] is not items or matched[1] != len(items):
        state = initial
        for item in items:
            state = step(state, item)
        return state
    chain: _Chain = matched[2]
    done, state = chain.folds.get(key, (0, initial))
    if done > len(items):  # cannot happen for a chain of these items; fold afresh
        done, state = 0, initial
    for index in range(done, len(items)):
        state = step(state, items[index])
    chain.folds[key] = (len(items), state)
    return state


def prefix_digests(items: Sequence[Any]) -> list[str]:
    """The chained digest of every leading slice of ``items`` (process-local, 128-bit).

    ``result[i]`` is ``blake2b(result[i-1] + canonical_json(items[i]))`` (raw digests chained,
    hex returned), so a request that extends an earlier one has the earlier one's last digest
    among its own. Incremental like :func:`sha256_hex_items`.
    """
    if len(items) < _CHAIN_MIN_ITEMS:
        links, previous = [], b""
        for item in items:
            previous = hashlib.blake2b(previous + _encoded(item), digest_size=16).digest()
            links.append(previous)
    else:
        links = _extend(items, links_wanted=True).links or []
    return [link.hex() for link in links]


def parse_arguments(raw: Any) -> tuple[Any, bool]:
    """Parse tool-call arguments the way the model sent them.

    Returns ``(value, ok)``: a JSON string becomes the object it encodes; an object stays as
    it is; malformed JSON comes back as the raw string with ``ok=False`` (models do emit
    truncated or invalid arguments, and that must be visible, not lost).
    """
    if isinstance(raw, str):
        if raw.strip() == "":
            return {}, True
        try:
            return json.loads(raw), True
        except ValueError:
            return raw, False
    return raw, True

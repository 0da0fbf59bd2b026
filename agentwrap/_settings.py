"""What each setting accepts: one check per setting, used by every door that takes one.

``Config(...)`` (so ``instrument(...)`` too) and ``agentwrap.run(...)`` (its own bounds) put
each value through its check: a value of the wrong type raises ``TypeError``, a value out of
range ``ValueError``, both naming the setting and what it accepts. ``AGENTWRAP_*`` variables go
through the same checks once parsed (:func:`parse_variable`); there a bad value is reported and
ignored by :func:`agentwrap._config.load_config`, never raised. Nothing is checked later, on the
path of a call.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, cast

__all__ = ["BOOL_WORDS", "CHECKS", "MODES", "check", "parse_variable"]

Check = Callable[[str, Any], Any]  # (setting, value) -> the value to keep; raises on a bad one

MODES = ("observe", "enforce")  # budget modes: crossing a bound is reported, or stops the run
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
BOOL_WORDS = f"True or False (in a variable: {', '.join(_TRUE)} / {', '.join(_FALSE)})"


def _refuse(error: type[Exception], name: str, accepts: str, value: Any, why: str = "") -> NoReturn:
    raise error(f"agentwrap: {name} must be {accepts}, not {value!r}{why}")


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        _refuse(TypeError, name, BOOL_WORDS, value)
    return value


def _real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(optional: bool) -> Check:
    accepts = "a whole number >= 0" + (" (or None: unbounded)" if optional else "")

    def check(name: str, value: Any) -> int | None:
        if value is None and optional:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            _refuse(TypeError, name, accepts, value)
        if value < 0:
            _refuse(ValueError, name, accepts, value)
        return value

    return check


def _seconds(optional: bool, positive: bool = False) -> Check:
    accepts = f"a number of seconds {'> 0' if positive else '>= 0'}" + (
        " (or None: unbounded)" if optional else ""
    )

    def check(name: str, value: Any) -> float | None:
        if value is None and optional:
            return None
        if not _real(value):
            _refuse(TypeError, name, accepts, value)
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            _refuse(ValueError, name, accepts, value)
        return float(value)

    return check


def _text(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        _refuse(TypeError, name, "a string (or None)", value)
    return value


def _path(accepts: str, value: Any, name: str) -> str:
    if not isinstance(value, (str, os.PathLike)):
        _refuse(TypeError, name, accepts, value)
    path = os.fspath(value)
    if not isinstance(path, str) or not path.strip():
        _refuse(ValueError, name, accepts, value)
    if os.path.isdir(os.path.expanduser(path)):
        _refuse(ValueError, name, accepts, value, " (a directory)")
    return path


def _file(name: str, value: Any) -> str | None:
    return None if value is None else _path("the path of a file (or None)", value, name)


_STORE_ACCEPTS = "'off', a postgresql:// or sqlite:/// URL, or the path of a SQLite file (or None)"
_STORE_URLS = ("postgresql://", "postgres://", "sqlite:///")


def _store(name: str, value: Any) -> str | None:
    if isinstance(value, str) and "://" in value:
        if not value.startswith(_STORE_URLS):
            _refuse(ValueError, name, _STORE_ACCEPTS, value)
        return value
    if isinstance(value, str) and value.strip().lower() in ("off", "none", "memory", ":memory:"):
        return value
    return None if value is None else _path(_STORE_ACCEPTS, value, name)


def _budget_mode(name: str, value: Any) -> str:
    if value not in MODES:
        _refuse(ValueError, name, " or ".join(repr(mode) for mode in MODES), value)
    return str(value)


def _thresholds(name: str, value: Any) -> dict[str, float]:
    from dataclasses import fields

    from agentwrap.detect.heuristics import Thresholds  # late: detect is imported after config

    if not isinstance(value, Mapping):
        _refuse(TypeError, name, "a mapping of threshold names to numbers", value)
    known = {f.name: type(f.default) for f in fields(cast(Any, Thresholds))}  # int or float
    unknown = sorted(set(value) - set(known), key=str)
    if unknown:
        raise ValueError(f"agentwrap: unknown threshold(s) {unknown}; known: {sorted(known)}")
    for key, number in value.items():
        whole = known[key] is int
        accepts = "a whole number >= 0" if whole else "a number >= 0"
        if not _real(number):
            _refuse(TypeError, f"{name}[{key!r}]", accepts, number)
        if not math.isfinite(number) or number < 0 or (whole and number != int(number)):
            _refuse(ValueError, f"{name}[{key!r}]", accepts, number)
    return dict(value)


CHECKS: dict[str, Check] = {
    "capture_content": _flag,
    "result_max_chars": _whole(optional=False),
    "file": _file,
    "release": _text,
    "log_summaries": _flag,
    "implicit_runs": _flag,
    "implicit_idle_seconds": _seconds(optional=False, positive=True),
    "max_turns": _whole(optional=True),
    "max_tool_calls": _whole(optional=True),
    "max_tool_retries": _whole(optional=True),
    "max_total_tokens": _whole(optional=True),
    "max_errors": _whole(optional=True),
    "max_wall_time": _seconds(optional=True),
    "budget_mode": _budget_mode,
    "thresholds": _thresholds,
    "store": _store,
}


def check(name: str, value: Any) -> Any:
    """The value to keep for setting ``name``; raises TypeError or ValueError on a bad one."""
    return CHECKS[name](name, value)


def _number(raw: str) -> Any:
    """A variable's text as an int, else a float, else the text itself (for the check to refuse)."""
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def _boolean(raw: str) -> Any:
    word = raw.lower()
    return True if word in _TRUE else False if word in _FALSE else raw


def _mapping(raw: str) -> Any:
    """``"repeated_calls=4,latency_factor=3"`` as a dict (an item without ``=`` kept as text)."""
    pairs: dict[str, Any] = {}
    for item in raw.split(","):
        key, sep, number = item.partition("=")
        if not sep:
            return raw
        pairs[key.strip()] = _number(number.strip())
    return pairs


_PARSERS: dict[str, Callable[[str], Any]] = {
    "capture_content": _boolean,
    "log_summaries": _boolean,
    "implicit_runs": _boolean,
    "result_max_chars": _number,
    "implicit_idle_seconds": _number,
    "max_turns": _number,
    "max_tool_calls": _number,
    "max_tool_retries": _number,
    "max_total_tokens": _number,
    "max_errors": _number,
    "max_wall_time": _number,
    "budget_mode": str.lower,
    "thresholds": _mapping,
}


def parse_variable(name: str, raw: str) -> Any:
    """The value of setting ``name`` from its variable's text, checked (raises like :func:`check`)."""
    return check(name, _PARSERS.get(name, str)(raw.strip()))

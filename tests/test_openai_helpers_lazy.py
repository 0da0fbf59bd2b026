"""The openai stream-helper modules are patched on their first import, not by instrument()."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_SCRIPT = """
import sys
import openai
import wrapt
import agentwrap

agentwrap.instrument()
helpers = ("openai.lib.streaming.chat", "openai.lib.streaming.responses")
print("loaded at instrument:", [m for m in helpers if m in sys.modules])
{between}
from openai.lib.streaming.chat import AsyncChatCompletionStream, ChatCompletionStream
from openai.lib.streaming.responses import ResponseStreamManager
for cls, name in ((ChatCompletionStream, "close"), (ChatCompletionStream, "__exit__"),
                  (AsyncChatCompletionStream, "__aexit__"), (ResponseStreamManager, "__exit__")):
    print(cls.__name__, name, isinstance(vars(cls)[name], wrapt.FunctionWrapper))
"""


def _run(between: str) -> list[str]:
    script = textwrap.dedent(_SCRIPT).replace("{between}", between)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.splitlines()


def test_helper_modules_are_patched_when_first_imported() -> None:
    lines = _run("")
    assert lines[0] == "loaded at instrument: []"
    assert lines[1:] == [
        "ChatCompletionStream close True",
        "ChatCompletionStream __exit__ True",
        "AsyncChatCompletionStream __aexit__ True",
        "ResponseStreamManager __exit__ True",
    ]


def test_uninstrumented_before_the_import_leaves_them_alone() -> None:
    lines = _run("agentwrap.uninstrument()")
    assert lines[1:] == [
        "ChatCompletionStream close False",
        "ChatCompletionStream __exit__ False",
        "AsyncChatCompletionStream __aexit__ False",
        "ResponseStreamManager __exit__ False",
    ]


def test_instrumented_twice_patches_once() -> None:
    nested = _run(
        "agentwrap.uninstrument()\nagentwrap.instrument()\n"
        "from openai.lib.streaming.chat import ChatCompletionStream as C\n"
        "print('nested', isinstance(vars(C)['close'].__wrapped__, wrapt.FunctionWrapper))"
    )
    assert "ChatCompletionStream close True" in nested
    assert "nested False" in nested  # one wrapper, not one per instrument()

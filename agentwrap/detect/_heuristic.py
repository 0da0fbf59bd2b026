"""The shape of a layer-2 heuristic, and the registry the built-in ones are in.

A heuristic is one small class: the event it emits, that event's fields, its thresholds (each
a :class:`Threshold` attribute with its default and meaning), and one hook that returns the
event's fields when it fires. Defining the class registers it; :mod:`agentwrap.detect.heuristics`
holds the built-in ones, and :class:`~agentwrap.detect.Thresholds` is assembled from their
thresholds. The run's heuristics observer (:mod:`agentwrap.detect._heuristics_observer`) builds
one instance of each per run and calls the hooks in registry order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

if TYPE_CHECKING:
    from agentwrap._tools import ToolExecution
    from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse

    class Thresholds:
        """The typed view of :class:`agentwrap.detect.Thresholds`, a dataclass built at import
        from the registry (see :func:`thresholds_class`): every heuristic's thresholds."""

        def __init__(self, **values: float) -> None: ...
        def __getattr__(self, name: str) -> Any: ...
        @classmethod
        def from_mapping(cls, values: Mapping[str, float] | None) -> Thresholds: ...


__all__ = ["REGISTRY", "Fields", "Heuristic", "Threshold", "thresholds_class"]

Fields = dict[str, Any]
N = TypeVar("N", int, float)


class Threshold(Generic[N]):
    """One threshold of a heuristic, declared on its class: ``repeated_calls = Threshold(3, "...")``.

    On the class it is the declaration (name, default, meaning); on an instance it is the value
    the run's configuration gives it (``thresholds={"repeated_calls": 4}``), a plain number.
    """

    def __init__(self, default: N, doc: str) -> None:
        self.default: N = default
        self.doc = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Threshold[N]: ...
    @overload
    def __get__(self, instance: Heuristic, owner: type | None = None) -> N: ...
    def __get__(self, instance: Heuristic | None, owner: type | None = None) -> Threshold[N] | N:
        if instance is None:
            return self
        value: N = getattr(instance.thresholds, self.name)
        return value


REGISTRY: list[type[Heuristic]] = []
_HOOKS = ("on_call", "on_tool", "on_tool_result")


class Heuristic:
    """A layer-2 heuristic of one run; a subclass that names its ``event`` is registered.

    It implements one hook; each returns the event's fields when the heuristic fires, else
    None, and may keep state of the run on ``self`` (it is called under the observer's lock):

    - ``on_call(call, request, answer)``: after each LLM call; ``answer`` is the response to
      judge, None when the call failed or its stream was abandoned;
    - ``on_tool(tool)``: for each tool call the model asked for, once its span is open;
    - ``on_tool_result(tool, failed)``: when a tool's result goes back to the model.

    Attributes:
        event: The warning event's name (a row of the README's event table).
        fields: Its fields, in the order they are emitted (``first_seen`` is added to all).
        thresholds: The run's thresholds (every heuristic's), as the config sets them.
    """

    event: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    # Worked out once per class (a run builds every heuristic): its thresholds' names, its hooks.
    threshold_names: ClassVar[tuple[str, ...]] = ()
    hooks: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.threshold_names = tuple(t.name for t in declared_thresholds(cls))
        cls.hooks = frozenset(h for h in _HOOKS if getattr(cls, h) is not getattr(Heuristic, h))
        if "event" in vars(cls):
            REGISTRY.append(cls)

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        own = self.__dict__
        for name in self.threshold_names:  # plain values on the instance: no lookup per call
            own[name] = getattr(thresholds, name)

    def on_call(self, call: LLMCallRecord, request: LLMRequest, answer: LLMResponse | None) -> Fields | None:
        """After an LLM call of the run."""
        return None

    def on_tool(self, tool: ToolExecution) -> Fields | None:
        """For a tool call the model asked for."""
        return None

    def on_tool_result(self, tool: ToolExecution, failed: bool) -> Fields | None:
        """When a tool's result went back (``failed``: it reads as an error)."""
        return None


def declared_thresholds(cls: type[Heuristic]) -> list[Threshold[Any]]:
    """The thresholds a heuristic class declares, in order."""
    return [value for value in vars(cls).values() if isinstance(value, Threshold)]


def thresholds_class(heuristics: Iterable[type[Heuristic]]) -> type:
    """The frozen dataclass of every threshold the heuristics declare, with their defaults."""
    declared = [t for cls in heuristics for t in declared_thresholds(cls)]
    names = [t.name for t in declared]
    if len(set(names)) != len(names):
        raise TypeError(f"agentwrap: two heuristics declare the same threshold: {sorted(names)}")
    doc = "When a heuristic fires. Names are also the keys of ``thresholds={...}``.\n\nAttributes:\n"
    doc += "".join(f"    {t.name}: (default {t.default}) {t.doc}\n" for t in declared)
    cls = dataclasses.make_dataclass(
        "Thresholds",
        [(t.name, type(t.default), dataclasses.field(default=t.default)) for t in declared],
        frozen=True,
        namespace={"__doc__": doc, "from_mapping": classmethod(_from_mapping)},
    )
    cls.__module__ = "agentwrap.detect.heuristics"  # where it is defined, as far as users see
    return cls


def _from_mapping(cls: Any, values: Mapping[str, float] | None) -> Any:
    """Defaults overridden by ``values`` (unknown names raise ``ValueError``)."""
    kinds: dict[str, Any] = {f.name: type(f.default) for f in dataclasses.fields(cls)}  # int, float
    unknown = set(values or {}) - set(kinds)
    if unknown:
        raise ValueError(f"agentwrap: unknown threshold(s) {sorted(unknown)}; known: {sorted(kinds)}")
    return cls(**{name: kinds[name](value) for name, value in (values or {}).items()})

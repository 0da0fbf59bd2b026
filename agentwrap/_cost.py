"""What one LLM call cost, in USD: the response's own figure, else the price table's.

:class:`Pricer` prices a call from its provider name (``gen_ai.provider.name``), its model and
its :class:`~agentwrap.records.Usage`, in this order of precedence:

1. a cost the response itself reported (proxies such as OpenRouter put one in ``usage``):
   source ``"provider"``;
2. the user's price function ``(provider, model, usage) -> float | None``;
3. the user's price table (``{model: {"input": ..., "output": ..., ...}}``, USD per million
   tokens), given to the Pricer or, when none is given, in the JSON file named by
   ``AGENTWRAP_PRICES``;
4. genai-prices' table (the ``cost`` extra), for the call's provider.

2-4 are source ``"local"``. Usage that agentwrap counted itself (a stream without usage) gives
a cost marked ``estimated``. A model nobody has a price for gets no cost (None, never 0) and
one warning naming it on the ``agentwrap`` logger, once per process. Without genai-prices
installed, only the user's prices and reported costs apply, and nothing warns.

The core knows no SDK: the patches fill the Usage, and the reported cost comes in as a number.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from agentwrap import _semconv as sc
from agentwrap._cost_rates import Rates, TieredRates, load_price_file, parse_price_table
from agentwrap._cost_table import GenaiPrices, ModelRates
from agentwrap._log import log
from agentwrap.records import Usage

__all__ = [
    "CURRENCY",
    "PRICES_ENV",
    "Cost",
    "PriceFunction",
    "PriceTable",
    "Prices",
    "Pricer",
    "cost_attributes",
    "cost_metric_attributes",
    "prices_from_env",
]


CURRENCY = "USD"
PRICES_ENV = "AGENTWRAP_PRICES"

PriceTable = Mapping[str, Mapping[str, float]]
PriceFunction = Callable[[str, str, Usage], float | None]
Prices = PriceTable | PriceFunction

# genai-prices' table, shared by every Pricer: it is loaded once per process.
TABLE = GenaiPrices()
_CACHE_LIMIT = 4096  # distinct (provider, model) pairs remembered; past it the cache restarts

_warned: set[tuple[str, ...]] = set()
_warned_lock = threading.Lock()


def _warn_once(key: tuple[str, ...], message: str, *args: Any, exc: BaseException | None = None) -> None:
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(message, *args, exc_info=exc)


@dataclass(frozen=True, slots=True)
class Cost:
    """The cost of one LLM call.

    Attributes:
        amount: The cost, in ``currency``.
        currency: ISO 4217 code; always ``"USD"`` (the price tables' currency).
        source: ``"provider"`` when the response reported it, ``"local"`` when agentwrap
            computed it from the token counts.
        estimated: True when the token counts were agentwrap's own estimate (a stream that
            carried no usage), so the amount is an estimate too.
    """

    amount: float
    currency: str = CURRENCY
    source: Literal["provider", "local"] = "local"
    estimated: bool = False


def cost_attributes(cost: Cost) -> dict[str, Any]:
    """The LLM span's attributes for a cost (the GenAI conventions' ``gen_ai.usage.cost.*``)."""
    return {
        sc.GEN_AI_USAGE_COST_AMOUNT: cost.amount,
        sc.GEN_AI_USAGE_COST_CURRENCY: cost.currency,
        sc.GEN_AI_USAGE_COST_SOURCE: cost.source,
    }


def cost_metric_attributes(
    call_attributes: Mapping[str, Any], cost: Cost, release: str | None = None
) -> dict[str, Any]:
    """The cost metric's attributes: the call's identity (provider, models), currency, source, release."""
    attrs = dict(call_attributes)
    attrs[sc.GEN_AI_USAGE_COST_CURRENCY] = cost.currency
    attrs[sc.GEN_AI_USAGE_COST_SOURCE] = cost.source
    if release:
        attrs[sc.AGENTWRAP_RUN_RELEASE] = release
    return attrs


def _amount(value: Any) -> float | None:
    """A reported or returned cost as a float, or None if it is not a finite amount >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    amount = float(value)
    return amount if math.isfinite(amount) and amount >= 0 else None


def prices_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Rates]:
    """The price table in the JSON file that ``AGENTWRAP_PRICES`` names ({} if unset).

    A file that cannot be read or is not a price table is logged in one line and ignored: a
    setting in the environment never stops the program.
    """
    path = (os.environ if environ is None else environ).get(PRICES_ENV, "").strip()
    if not path:
        return {}
    try:
        return load_price_file(path)
    except (OSError, ValueError) as exc:
        log.warning("agentwrap: %s=%s ignored: %s", PRICES_ENV, path, exc)
        return {}


_PriceSource = Rates | ModelRates | None


class Pricer:
    """Prices LLM calls; one per ``instrument()``, shared by every call (thread-safe).

    Args:
        prices: The user's prices: a table ``{model: {"input": ..., "output": ...,
            "cache_read": ..., "cache_write": ..., "reasoning": ...}}`` in USD per million
            tokens (input and output required; a missing cache rate is the input rate, a
            missing reasoning rate the output rate), or a function ``(provider, model,
            usage) -> float | None`` returning USD (None: no price from it). Table entries
            override genai-prices for that model name, with any provider.
        environ: Where to read ``AGENTWRAP_PRICES`` when ``prices`` is None (default
            ``os.environ``); explicit ``prices`` win over the variable.
        table: genai-prices' table (the shared one by default).

    Raises:
        TypeError: ``prices`` is neither a table nor a function.
        ValueError: an entry of the table is malformed (the message names it).
    """

    def __init__(
        self,
        prices: Prices | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        table: GenaiPrices | None = None,
    ) -> None:
        self._function: PriceFunction | None = None
        self._rates: dict[str, Rates] = {}
        if prices is None:
            self._rates = prices_from_env(environ)
        elif callable(prices):
            self._function = prices
        elif isinstance(prices, Mapping):
            self._rates = parse_price_table(prices)
        else:
            raise TypeError(
                "agentwrap: prices must be a dict of model -> rates or a function "
                f"(provider, model, usage) -> float | None, not {type(prices).__name__}"
            )
        self._table = TABLE if table is None else table
        self._sources: dict[tuple[str, str | None, str | None], _PriceSource] = {}

    def warm(self) -> None:
        """Load genai-prices' table in the background now (it takes ~0.5 s of one core)."""
        self._table.warm()

    def price(
        self,
        provider: str,
        model: str | None,
        usage: Usage | None,
        *,
        request_model: str | None = None,
        reported_cost: Any = None,
        at: datetime | None = None,
    ) -> Cost | None:
        """The call's cost, or None when there is no usage or no price for its model.

        Args:
            provider: ``gen_ai.provider.name`` of the call (``"openai"``, ``"anthropic"``, ...).
            model: The response's model (the one that answered and was billed).
            usage: The call's token counts (agentwrap's semantics: input includes the cache).
            request_model: The requested model, priced when ``model`` is None or unknown.
            reported_cost: A cost in USD the response reported (ignored unless a finite
                number >= 0).
            at: When the call was made, for prices that change over time (default now).
        """
        reported = _amount(reported_cost) if reported_cost is not None else None
        if reported is not None:
            return Cost(reported, source="provider")
        name = model or request_model
        if usage is None or not name or (usage.input_tokens is None and usage.output_tokens is None):
            return None
        amount = self._from_function(provider, name, usage) if self._function is not None else None
        if amount is None:
            amount = self._from_rates(provider, model, request_model, usage, at)
        return None if amount is None else Cost(amount, estimated=usage.estimated)

    def upper_bound(
        self, provider: str, model: str | None, input_tokens: int, output_tokens: int
    ) -> float | None:
        """The most a call of ``model`` can cost with these token counts, whatever the cache.

        For a bound checked before a request is sent (input estimate + ``max_tokens``).
        None when no price is known.
        """
        if not model:
            return None
        if self._function is not None:
            amount = self._from_function(provider, model, Usage(input_tokens, output_tokens))
            if amount is not None:
                return amount
        rates = self._rates_at(self._source(provider, model, None), None)
        return None if rates is None else rates.upper_bound(input_tokens, output_tokens)

    def _from_function(self, provider: str, model: str, usage: Usage) -> float | None:
        function = self._function
        assert function is not None
        try:
            value = function(provider, model, usage)
        except Exception as exc:  # noqa: BLE001 - the user's function must not break the call
            _warn_once(
                ("function", repr(function)),
                "agentwrap: the prices function %r raised; its calls are priced from the table",
                function,
                exc=exc,
            )
            return None
        amount = _amount(value)
        if amount is None and value is not None:
            _warn_once(
                ("function-value", repr(function)),
                "agentwrap: the prices function %r returned %r, not a number >= 0; ignored",
                function,
                value,
            )
        return amount

    def _from_rates(
        self, provider: str, model: str | None, request_model: str | None, usage: Usage, at: datetime | None
    ) -> float | None:
        source = self._source(provider, model, request_model)
        if source is None:
            return None
        try:
            rates = self._rates_at(source, at)
            amount = None if rates is None else rates.cost(usage)
        except Exception as exc:  # noqa: BLE001 - a price genai-prices cannot compute is no price
            log.debug("agentwrap: no price for %s model %r (%s)", provider, model or request_model, exc)
            return None
        if amount is None:
            _warn_once(
                ("usage", provider, model or request_model or ""),
                "agentwrap: %s model %r reported cache or reasoning tokens beyond its totals; "
                "such calls have no cost",
                provider,
                model or request_model,
            )
        return amount

    @staticmethod
    def _rates_at(source: _PriceSource, at: datetime | None) -> Rates | TieredRates | None:
        if source is None or isinstance(source, Rates):
            return source
        return source.at(at)

    def _source(self, provider: str, model: str | None, request_model: str | None) -> _PriceSource:
        """Where the model's price comes from, looked up once per (provider, models)."""
        key = (provider, model, request_model)
        if self._table.changed():
            self._sources.clear()
        if key in self._sources:  # .get: another thread may clear the cache in between
            return self._sources.get(key)
        if len(self._sources) >= _CACHE_LIMIT:
            self._sources.clear()
        source = self._lookup(provider, [name for name in (model, request_model) if name])
        self._sources[key] = source
        return source

    def _lookup(self, provider: str, names: list[str]) -> _PriceSource:
        for name in names:
            rates = self._rates.get(name.lower())
            if rates is not None:
                return rates
        for name in names:
            found = self._table.model(provider, name)
            if found is not None:
                return found
        if names and self._table.available:
            _warn_once(
                ("model", provider, names[0]),
                "agentwrap: no price known for %s model %r; its calls have no cost "
                "(add one with instrument(prices=...) or %s)",
                provider,
                names[0],
                PRICES_ENV,
            )
        return None

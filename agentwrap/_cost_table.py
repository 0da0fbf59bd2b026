"""The genai-prices price table, read through its own API and reduced to :class:`Rates`.

``genai-prices`` (the ``cost`` extra) ships its data inside the package: agentwrap reads the
snapshot it bundles, or the one the application itself keeps updated with genai-prices'
``UpdatePrices``; agentwrap never starts a download. Importing it costs about half a second
and some 28 MiB, so it happens on the first priced call or in :meth:`GenaiPrices.warm`'s
background thread, never when agentwrap is imported.

genai-prices computes a price with Decimal arithmetic over its unit registry (~100 µs a
call). Its prices are linear in each token count, so agentwrap asks genai-prices once per
model for the price of one million tokens of each kind and keeps per-token rates: the end of
an LLM call then costs a dictionary look-up and a few multiplications, and the result is still
genai-prices' own (its cache semantics, its fixed fees, its long-context tiers, its dated
prices). A model whose prices change over time is resolved for the call's time on each call.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from agentwrap._cost_rates import PER_MILLION, Rates, TieredRates
from agentwrap._log import log

__all__ = ["PROVIDER_IDS", "GenaiPrices", "ModelRates"]


# gen_ai.provider.name values whose genai-prices provider id is spelled differently. Every
# other name (openai, anthropic, groq, deepseek, perplexity, cohere, openrouter, together,
# fireworks, cerebras, ...) is genai-prices' own id already and is passed through.
PROVIDER_IDS = {
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "aws.bedrock": "aws",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "x_ai": "x-ai",
    "mistral_ai": "mistral",
    "moonshot_ai": "moonshotai",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
}

_UNLOADED, _LOADED, _UNAVAILABLE = "unloaded", "loaded", "unavailable"
_CACHE_LIMIT = 4096  # distinct (provider, model) pairs remembered; past it the cache restarts
# The usage genai-prices is asked to price, one kind of token at a time (its usage keys).
_PROBES: dict[str, dict[str, int]] = {
    "none": {},
    "input": {"input_tokens": PER_MILLION},
    "cache_read": {"input_tokens": PER_MILLION, "cache_read_tokens": PER_MILLION},
    "cache_write": {"input_tokens": PER_MILLION, "cache_write_tokens": PER_MILLION},
    "output": {"output_tokens": PER_MILLION},
    "reasoning": {"output_tokens": PER_MILLION, "output_reasoning_tokens": PER_MILLION},
}


class ModelRates:
    """One model's prices in the table: fixed rates, or rates looked up for the call's time."""

    __slots__ = ("_info", "_fixed", "_by_price", "_table")

    def __init__(self, table: GenaiPrices, info: Any) -> None:
        self._table = table
        self._info = info
        self._by_price: dict[int, tuple[Any, Rates | TieredRates]] = {}
        prices = info.prices
        # A list means prices that change at a date or by time of day (ConditionalPrice).
        self._fixed = None if isinstance(prices, list) else table.reduce(prices)

    def at(self, when: datetime | None) -> Rates | TieredRates:
        """The rates in force at ``when`` (now if None)."""
        if self._fixed is not None:
            return self._fixed
        model_price = self._info.get_prices(when or datetime.now(timezone.utc))
        # get_prices returns one of the model's own price objects: reduce each once.
        kept = self._by_price.get(id(model_price))
        if kept is None or kept[0] is not model_price:
            kept = (model_price, self._table.reduce(model_price))
            self._by_price[id(model_price)] = kept
        return kept[1]


class GenaiPrices:
    """genai-prices' table, loaded lazily, looked up once per (provider, model)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _UNLOADED
        self._module: Any = None
        self._snapshot: Any = None
        self._models: dict[tuple[str, str], ModelRates | None] = {}
        self.version: str | None = None

    @property
    def available(self) -> bool:
        """Whether the table can be used (loading it first if need be)."""
        return self._load()

    def warm(self) -> None:
        """Load the table in a daemon thread, so that the first priced call does not wait."""
        if self._state == _UNLOADED:
            threading.Thread(target=self._load, name="agentwrap-prices", daemon=True).start()

    def _load(self) -> bool:
        if self._state != _UNLOADED:
            return self._state == _LOADED
        with self._lock:
            if self._state == _UNLOADED:
                self._state = _LOADED if self._import() else _UNAVAILABLE
        return self._state == _LOADED

    def _import(self) -> bool:
        try:
            import genai_prices
            from genai_prices import data_snapshot, types

            self._snapshot = data_snapshot.get_snapshot()
        except ImportError:
            log.debug(
                "agentwrap: genai-prices is not installed; calls have no cost (pip install 'agentwrap[cost]')"
            )
            return False
        except Exception as exc:  # noqa: BLE001 - an unusable optional dependency means no cost
            log.warning("agentwrap: genai-prices could not be loaded (%s); calls have no cost", exc)
            return False
        self._module = (data_snapshot, types)
        self.version = getattr(genai_prices, "__version__", None)
        return True

    def changed(self) -> bool:
        """Whether the application swapped genai-prices' snapshot since the last look-up.

        It happens when the application runs genai-prices' ``UpdatePrices``: the cached
        look-ups are dropped and the new prices apply from the next call on.
        """
        if self._state != _LOADED:
            return False
        snapshot = self._module[0].get_snapshot()
        if snapshot is self._snapshot:
            return False
        self._snapshot = snapshot
        self._models.clear()
        return True

    def model(self, provider: str, model: str) -> ModelRates | None:
        """The model's rates, or None when genai-prices has no price for it (or is absent)."""
        key = (provider, model)
        if key in self._models:
            return self._models.get(key)
        if len(self._models) >= _CACHE_LIMIT:
            self._models.clear()
        rates = self._find(provider, model) if self._load() else None
        self._models[key] = rates
        return rates

    def _find(self, provider: str, model: str) -> ModelRates | None:
        provider_id = PROVIDER_IDS.get(provider, provider)
        try:
            _, info = self._snapshot.find_provider_model(model, None, provider_id, None)
            return ModelRates(self, info)
        except LookupError:
            return None
        except Exception as exc:  # noqa: BLE001 - a price genai-prices cannot compute is no price
            log.debug("agentwrap: genai-prices cannot price %s model %r (%s)", provider, model, exc)
            return None

    def reduce(self, model_price: Any) -> Rates | TieredRates:
        """A genai-prices ``ModelPrice`` as per-token rates (tiers as brackets of rates)."""
        tiered = self._module[1].TieredPrices
        starts = sorted(
            {
                tier.start
                for value in vars(model_price).values()
                if isinstance(value, tiered)
                for tier in value.tiers
            }
        )
        if not starts:
            return self._probe(model_price)
        # The input total that selects each bracket: at most the first start, then just above each.
        totals = [0, *(start + 1 for start in starts)]
        brackets = tuple(self._probe(self._flatten(model_price, total)) for total in totals)
        return TieredRates(starts=tuple(starts), brackets=brackets)

    def _flatten(self, model_price: Any, input_total: int) -> Any:
        """The model price with each tiered price resolved for ``input_total`` input tokens."""
        types = self._module[1]
        flat: dict[str, Any] = {}
        for key, value in vars(model_price).items():
            if isinstance(value, types.TieredPrices):
                applicable = [tier.price for tier in value.tiers if input_total > tier.start]
                value = applicable[-1] if applicable else value.base
            flat[key] = value
        return types.ModelPrice(**flat)

    def _probe(self, model_price: Any) -> Rates:
        """Ask genai-prices what a million tokens of each kind cost under ``model_price``."""
        usage_class = self._module[1].Usage
        totals: dict[str, Decimal] = {
            name: model_price.calc_price(usage_class(**counts))["total_price"]
            for name, counts in _PROBES.items()
        }
        fee = totals.pop("none")
        per_token = {name: float((total - fee) / PER_MILLION) for name, total in totals.items()}
        return Rates(per_call=float(fee), **per_token)

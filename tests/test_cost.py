"""USD per LLM call: expected prices written out by hand from the providers' published rates.

Rates used below (USD per million tokens), as OpenAI, Anthropic, Groq, xAI and Perplexity
publish them and as genai-prices ships them:

- gpt-4o-mini: input 0.15, cached input 0.075, output 0.60
- gpt-4.1: input 2.00, cached input 0.50, output 8.00
- o4-mini: input 1.10, cached input 0.275, output 4.40 (reasoning billed as output)
- o3: input 2.00, output 8.00 since 2025-06-10; 10.00 and 40.00 before
- claude-sonnet-4: input 3.00, 5-minute cache write 3.75, cache read 0.30, output 15.00
- claude-3-5-haiku: input 0.80, cache write 1.00, cache read 0.08, output 4.00
- claude-sonnet-4-5 past 200k input tokens: input 6.00, cache read 0.60, output 22.50
- groq llama-3.3-70b-versatile: input 0.59, output 0.79
- xAI grok-4: input 3.00, cached input 0.75, output 15.00
- Perplexity sonar-deep-research: input 2.00, output 8.00, reasoning 3.00
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from agentwrap import _cost
from agentwrap._cost import Cost, Pricer, cost_attributes, cost_metric_attributes
from agentwrap._cost_table import GenaiPrices
from agentwrap.records import Usage

try:
    import genai_prices  # noqa: F401
except ImportError:  # pragma: no cover - the cost extra is part of the dev environment
    HAVE_TABLE = False
else:
    HAVE_TABLE = True

table = pytest.mark.skipif(not HAVE_TABLE, reason="needs genai-prices (agentwrap[cost])")
M = 1_000_000


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cost, "_warned", set())


@pytest.fixture
def pricer() -> Pricer:
    return Pricer(environ={})


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "agentwrap" and r.levelno >= logging.WARNING]


# -- genai-prices' table, each provider's own token semantics --------------------------------


@table
def test_openai_chat_usage_includes_cached_tokens_in_its_prompt_tokens(pricer: Pricer) -> None:
    from agentwrap.patches._openai_chat import usage_from
    from openai.types import CompletionUsage

    wire = CompletionUsage(
        prompt_tokens=1200,  # OpenAI: the 1,000 cached tokens are part of the 1,200
        completion_tokens=300,
        total_tokens=1500,
        prompt_tokens_details={"cached_tokens": 1000},
        completion_tokens_details={"reasoning_tokens": 100},
    )
    cost = pricer.price("openai", "gpt-4o-mini-2024-07-18", usage_from(wire))
    # 200 uncached x 0.15 + 1,000 cached x 0.075 + 300 output (reasoning included) x 0.60
    expected = (200 * 0.15 + 1000 * 0.075 + 300 * 0.60) / M  # = 0.000285
    assert cost == Cost(pytest.approx(expected, rel=1e-12), "USD", "local", False)
    assert expected == pytest.approx(0.000285)


@table
def test_openai_responses_usage_with_cached_input(pricer: Pricer) -> None:
    from agentwrap.patches._openai_chat import usage_from
    from openai.types.responses import ResponseUsage

    wire = ResponseUsage(
        input_tokens=10_000,
        input_tokens_details={"cached_tokens": 8_000, "cache_write_tokens": 0},
        output_tokens=2_000,
        output_tokens_details={"reasoning_tokens": 0},
        total_tokens=12_000,
    )
    cost = pricer.price("openai", "gpt-4.1", usage_from(wire))
    assert cost is not None
    assert cost.amount == pytest.approx((2_000 * 2.00 + 8_000 * 0.50 + 2_000 * 8.00) / M)  # 0.024


@table
def test_openai_reasoning_tokens_are_billed_as_output(pricer: Pricer) -> None:
    usage = Usage(input_tokens=2_000, output_tokens=5_000, reasoning_output_tokens=4_000)
    cost = pricer.price("openai", "o4-mini", usage)
    assert cost is not None
    assert cost.amount == pytest.approx((2_000 * 1.10 + 5_000 * 4.40) / M)  # 0.0242


@table
def test_anthropic_input_tokens_exclude_cache_reads_and_writes(pricer: Pricer) -> None:
    from agentwrap.patches._anthropic_messages import usage_from
    from anthropic.types import Usage as AnthropicUsage

    # Anthropic: input_tokens (1,000) counts neither the 2,000 read nor the 500 written.
    wire = AnthropicUsage(
        input_tokens=1_000, output_tokens=400, cache_read_input_tokens=2_000, cache_creation_input_tokens=500
    )
    cost = pricer.price("anthropic", "claude-sonnet-4-20250514", usage_from(wire))
    assert cost is not None
    # 1,000 x 3.00 + 2,000 x 0.30 + 500 x 3.75 + 400 x 15.00
    assert cost.amount == pytest.approx((1_000 * 3.00 + 2_000 * 0.30 + 500 * 3.75 + 400 * 15.00) / M)
    assert cost.amount == pytest.approx(0.011475)


@table
def test_anthropic_thinking_tokens_are_billed_as_output(pricer: Pricer) -> None:
    # agentwrap's record: input 5,000 = 1,000 plain + 3,000 read + 1,000 written.
    usage = Usage(
        input_tokens=5_000,
        output_tokens=800,
        cache_read_input_tokens=3_000,
        cache_creation_input_tokens=1_000,
        reasoning_output_tokens=300,
    )
    cost = pricer.price("anthropic", "claude-3-5-haiku-20241022", usage)
    assert cost is not None
    assert cost.amount == pytest.approx((1_000 * 0.80 + 3_000 * 0.08 + 1_000 * 1.00 + 800 * 4.00) / M)


@table
def test_long_context_tier_prices_the_whole_call_at_the_higher_rates(pricer: Pricer) -> None:
    long = Usage(input_tokens=250_000, output_tokens=1_000, cache_read_input_tokens=50_000)
    cost = pricer.price("anthropic", "claude-sonnet-4-5", long)
    assert cost is not None
    assert cost.amount == pytest.approx((200_000 * 6.00 + 50_000 * 0.60 + 1_000 * 22.50) / M)  # 1.2525
    at_threshold = pricer.price("anthropic", "claude-sonnet-4-5", Usage(200_000, 1_000))
    assert at_threshold is not None
    assert at_threshold.amount == pytest.approx((200_000 * 3.00 + 1_000 * 15.00) / M)  # 0.615


@table
def test_prices_that_changed_at_a_date_apply_at_the_calls_time(pricer: Pricer) -> None:
    usage = Usage(input_tokens=1_000, output_tokens=1_000)
    now = pricer.price("openai", "o3", usage)
    before = pricer.price("openai", "o3", usage, at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert now is not None and before is not None
    assert now.amount == pytest.approx((1_000 * 2.00 + 1_000 * 8.00) / M)
    assert before.amount == pytest.approx((1_000 * 10.00 + 1_000 * 40.00) / M)


@table
@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("groq", "llama-3.3-70b-versatile", (10_000 * 0.59 + 1_000 * 0.79) / M),
        ("x_ai", "grok-4", (6_000 * 3.00 + 4_000 * 0.75 + 1_000 * 15.00) / M),
        ("azure.ai.openai", "gpt-4o-mini", (6_000 * 0.15 + 4_000 * 0.075 + 1_000 * 0.60) / M),
    ],
)
def test_openai_compatible_providers_use_their_own_table(
    pricer: Pricer, provider: str, model: str, expected: float
) -> None:
    # Groq publishes no cache rate: its 4,000 cached tokens are billed as plain input.
    usage = Usage(input_tokens=10_000, output_tokens=1_000, cache_read_input_tokens=4_000)
    assert pricer.price(provider, model, usage) == Cost(pytest.approx(expected))


@table
def test_a_separate_reasoning_rate_applies_to_the_reasoning_tokens(pricer: Pricer) -> None:
    usage = Usage(input_tokens=1_000, output_tokens=1_000, reasoning_output_tokens=500)
    cost = pricer.price("perplexity", "sonar-deep-research", usage)
    assert cost is not None
    assert cost.amount == pytest.approx((1_000 * 2.00 + 500 * 8.00 + 500 * 3.00) / M)  # 0.0075


@table
def test_the_response_model_is_priced_first_then_the_requested_one(pricer: Pricer) -> None:
    usage = Usage(input_tokens=1_000, output_tokens=1_000)
    by_response = pricer.price("openai", "gpt-4.1", usage, request_model="gpt-4o-mini")
    fallback = pricer.price("openai", "my-deployment", usage, request_model="gpt-4o-mini")
    requested_only = pricer.price("openai", None, usage, request_model="gpt-4o-mini")
    assert by_response == Cost(pytest.approx((1_000 * 2.00 + 1_000 * 8.00) / M))
    assert fallback == requested_only == Cost(pytest.approx((1_000 * 0.15 + 1_000 * 0.60) / M))


@table
def test_estimated_usage_gives_an_estimated_cost(pricer: Pricer) -> None:
    cost = pricer.price("openai", "gpt-4o-mini", Usage(input_tokens=4_000, output_tokens=500, estimated=True))
    assert cost == Cost(pytest.approx((4_000 * 0.15 + 500 * 0.60) / M), estimated=True)


@table
def test_upper_bound_takes_the_dearest_input_rate(pricer: Pricer) -> None:
    # A call that writes its whole input to the cache pays 3.75, not 3.00, per input token.
    bound = pricer.upper_bound("anthropic", "claude-sonnet-4-20250514", 1_000, 1_000)
    assert bound == pytest.approx((1_000 * 3.75 + 1_000 * 15.00) / M)
    assert pricer.upper_bound("openai", "no-such-model", 1_000, 1_000) is None


# -- unknown prices are not zero ----------------------------------------------------------------


@table
def test_unknown_model_has_no_cost_and_one_warning_naming_it(
    pricer: Pricer, caplog: pytest.LogCaptureFixture
) -> None:
    usage = Usage(input_tokens=100, output_tokens=10)
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        first = pricer.price("openai", "qwen-3.5-72b-instruct", usage)
        again = pricer.price("openai", "qwen-3.5-72b-instruct", usage)
        other_pricer = Pricer(environ={}).price("openai", "qwen-3.5-72b-instruct", usage)
    assert first is None and again is None and other_pricer is None
    [message] = _warnings(caplog)
    assert "openai" in message and "'qwen-3.5-72b-instruct'" in message and "prices=" in message


@table
def test_unknown_provider_has_no_cost(pricer: Pricer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        assert pricer.price("ollama", "llama3.2", Usage(100, 10)) is None
    [message] = _warnings(caplog)
    assert "ollama" in message and "'llama3.2'" in message


@table
def test_contradictory_counts_are_not_priced(pricer: Pricer, caplog: pytest.LogCaptureFixture) -> None:
    usage = Usage(input_tokens=100, output_tokens=10, cache_read_input_tokens=500)
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        assert pricer.price("openai", "gpt-4o-mini", usage) is None
        assert pricer.price("openai", "gpt-4o-mini", usage) is None
    assert len(_warnings(caplog)) == 1


def test_no_usage_or_no_model_has_no_cost_and_no_warning(
    pricer: Pricer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        assert pricer.price("openai", "gpt-4o-mini", None) is None
        assert pricer.price("openai", "gpt-4o-mini", Usage()) is None
        assert pricer.price("openai", None, Usage(10, 10)) is None
    assert _warnings(caplog) == []


def test_without_genai_prices_no_cost_no_error_no_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "genai_prices", None)  # import genai_prices -> ImportError
    pricer = Pricer({"acme-1": {"input": 1.0, "output": 2.0}}, table=GenaiPrices())
    with caplog.at_level(logging.DEBUG, logger="agentwrap"):
        assert pricer.price("openai", "gpt-4o-mini", Usage(1_000, 1_000)) is None
        assert pricer.price("openai", "gpt-4o-mini", Usage(1_000, 1_000)) is None
        # The user's own prices still apply.
        assert pricer.price("openai", "acme-1", Usage(1_000, 1_000)) == Cost(pytest.approx(0.003))
    assert _warnings(caplog) == []
    assert len([r for r in caplog.records if r.name == "agentwrap"]) <= 1


@table
def test_the_table_never_downloads(tmp_path: Path) -> None:
    probe = """
import socket, sys
def refuse(*args, **kwargs):
    print("network used", file=sys.stderr)
    raise OSError("no network in this test")
socket.socket.connect = refuse
socket.create_connection = refuse
from agentwrap._cost import Pricer
from agentwrap.records import Usage
print(Pricer(environ={}).price("openai", "gpt-4o-mini", Usage(1_000_000, 0)).amount)
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx(0.15)
    assert "network used" not in done.stderr


# -- the user's prices --------------------------------------------------------------------------


def test_user_table_prices_each_kind_of_token_at_its_rate() -> None:
    rates = {"input": 2.0, "output": 10.0, "cache_read": 0.2, "cache_write": 2.5, "reasoning": 5.0}
    pricer = Pricer({"acme-1": rates}, table=GenaiPrices())
    usage = Usage(
        input_tokens=10_000,
        output_tokens=2_000,
        cache_read_input_tokens=4_000,
        cache_creation_input_tokens=1_000,
        reasoning_output_tokens=500,
    )
    expected = (5_000 * 2.0 + 4_000 * 0.2 + 1_000 * 2.5 + 1_500 * 10.0 + 500 * 5.0) / M  # 0.0308
    assert pricer.price("anyprovider", "ACME-1", usage) == Cost(pytest.approx(expected))


def test_user_table_defaults_cache_to_input_and_reasoning_to_output_rates() -> None:
    pricer = Pricer({"acme-1": {"input": 1.0, "output": 4.0}}, table=GenaiPrices())
    usage = Usage(
        input_tokens=1_000, output_tokens=100, cache_read_input_tokens=400, reasoning_output_tokens=50
    )
    assert pricer.price("openai", "acme-1", usage) == Cost(pytest.approx((1_000 * 1.0 + 100 * 4.0) / M))


@table
def test_user_table_overrides_genai_prices() -> None:
    pricer = Pricer({"gpt-4o-mini": {"input": 1.0, "output": 1.0}})
    cost = pricer.price("openai", "gpt-4o-mini", Usage(1_000, 1_000))
    assert cost == Cost(pytest.approx((1_000 * 1.0 + 1_000 * 1.0) / M))


@table
def test_price_function_comes_first_and_may_decline() -> None:
    seen: list[tuple[str, str, Usage]] = []

    def prices(provider: str, model: str, usage: Usage) -> float | None:
        seen.append((provider, model, usage))
        return 0.5 if model == "special" else None

    pricer = Pricer(prices)
    usage = Usage(1_000, 1_000)
    assert pricer.price("openai", "special", usage) == Cost(0.5)
    assert seen == [("openai", "special", usage)]
    declined = pricer.price("openai", "gpt-4o-mini", usage)
    assert declined == Cost(pytest.approx((1_000 * 0.15 + 1_000 * 0.60) / M))
    assert pricer.price("openai", "special", Usage(1, 1, estimated=True)) == Cost(0.5, estimated=True)


@table
def test_a_failing_price_function_never_breaks_the_call(caplog: pytest.LogCaptureFixture) -> None:
    def broken(provider: str, model: str, usage: Usage) -> float | None:
        raise RuntimeError("price service down")

    def wrong(provider: str, model: str, usage: Usage) -> float | None:
        return "cheap"  # type: ignore[return-value]

    usage = Usage(1_000, 1_000)
    table_price = Cost(pytest.approx((1_000 * 0.15 + 1_000 * 0.60) / M))
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        assert Pricer(broken).price("openai", "gpt-4o-mini", usage) == table_price
        assert Pricer(broken).price("openai", "gpt-4o-mini", usage) == table_price
        assert Pricer(wrong).price("openai", "gpt-4o-mini", usage) == table_price
    messages = _warnings(caplog)
    assert len(messages) == 2
    assert "raised" in messages[0] and "'cheap'" in messages[1]


def test_env_var_names_a_json_price_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"acme-1": {"input": 3, "output": 6, "cache_read": 0.3}}), encoding="utf-8")
    pricer = Pricer(environ={"AGENTWRAP_PRICES": str(path)}, table=GenaiPrices())
    usage = Usage(input_tokens=1_000, output_tokens=1_000, cache_read_input_tokens=500)
    assert pricer.price("openai", "acme-1", usage) == Cost(
        pytest.approx((500 * 3 + 500 * 0.3 + 1_000 * 6) / M)
    )
    # Explicit prices win over the variable: its file is not read.
    explicit = Pricer({"other": {"input": 1, "output": 1}}, environ={"AGENTWRAP_PRICES": str(path)})
    assert explicit.price("openai", "acme-1", usage) is None
    assert explicit.price("openai", "other", usage) == Cost(pytest.approx((1_000 * 1 + 1_000 * 1) / M))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not JSON"),
        ('["acme-1"]', "must be a dict"),
        ('{"acme-1": {"input": 1}}', "needs output"),
        ('{"acme-1": {"input": -1, "output": 1}}', ">= 0"),
    ],
)
def test_malformed_env_price_file_is_one_log_line_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str, reason: str
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        pricer = Pricer(environ={"AGENTWRAP_PRICES": str(path)}, table=GenaiPrices())
    [message] = _warnings(caplog)
    assert pricer.price("openai", "acme-1", Usage(10, 10)) is None
    assert "AGENTWRAP_PRICES" in message and str(path) in message and reason in message


def test_missing_env_price_file_is_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="agentwrap"):
        Pricer(environ={"AGENTWRAP_PRICES": str(tmp_path / "absent.json")}, table=GenaiPrices())
    [message] = _warnings(caplog)
    assert "AGENTWRAP_PRICES" in message and "absent.json" in message


@pytest.mark.parametrize(
    ("prices", "error", "named"),
    [
        (42, TypeError, "prices must be a dict"),
        ({"m": 3}, ValueError, "prices['m']"),
        ({"": {"input": 1, "output": 1}}, ValueError, "model names"),
        ({"m": {"input": 1}}, ValueError, "needs output"),
        ({"m": {"inptu": 1, "output": 1}}, ValueError, "unknown keys ['inptu']"),
        ({"m": {"input": "1", "output": 1}}, ValueError, "prices['m']['input']"),
        ({"m": {"input": True, "output": 1}}, ValueError, "prices['m']['input']"),
        ({"m": {"input": 1, "output": float("nan")}}, ValueError, "prices['m']['output']"),
        ({"m": {"input": 1, "output": -2}}, ValueError, "prices['m']['output']"),
    ],
)
def test_malformed_explicit_prices_raise_naming_the_setting(prices: object, error: type, named: str) -> None:
    with pytest.raises(error) as raised:
        Pricer(prices, environ={})  # type: ignore[arg-type]
    assert named in str(raised.value)


# -- a cost the response reported ----------------------------------------------------------------


def test_reported_cost_comes_first_and_is_marked_provider(pricer: Pricer) -> None:
    usage = Usage(input_tokens=1_000, output_tokens=1_000)
    assert pricer.price("openrouter", "openai/gpt-4o-mini", usage, reported_cost=0.00042) == Cost(
        0.00042, "USD", "provider", False
    )
    # Even without usage, and for a model no table knows.
    assert pricer.price("openai", "proxy-model", None, reported_cost=0) == Cost(0.0, source="provider")


@table
@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "0.1", True])
def test_a_malformed_reported_cost_is_ignored(pricer: Pricer, bad: object) -> None:
    cost = pricer.price("openai", "gpt-4o-mini", Usage(1_000, 1_000), reported_cost=bad)
    assert cost == Cost(pytest.approx((1_000 * 0.15 + 1_000 * 0.60) / M), source="local")


# -- span and metric attributes ---------------------------------------------------------------------


def test_cost_attributes_follow_the_conventions_proposal() -> None:
    assert cost_attributes(Cost(0.0125, source="provider")) == {
        "gen_ai.usage.cost.amount": 0.0125,
        "gen_ai.usage.cost.currency": "USD",
        "gen_ai.usage.cost.source": "provider",
    }
    identity = {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"}
    assert cost_metric_attributes(identity, Cost(0.5), release="v2") == {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.cost.currency": "USD",
        "gen_ai.usage.cost.source": "local",
        "agentwrap.run.release": "v2",
    }
    assert identity == {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"}


# -- the table's caching ------------------------------------------------------------------------------


@table
def test_the_model_look_up_is_done_once_per_provider_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    prices = GenaiPrices()
    assert prices.available
    lookups: list[str] = []
    find = prices._snapshot.find_provider_model

    def counting(model_ref: str, *args: object) -> object:
        lookups.append(model_ref)
        return find(model_ref, *args)

    monkeypatch.setattr(prices._snapshot, "find_provider_model", counting)
    pricer = Pricer(environ={}, table=prices)
    for _ in range(3):
        pricer.price("openai", "gpt-4o-mini", Usage(10, 10))
        Pricer(environ={}, table=prices).price("openai", "gpt-4o-mini", Usage(10, 10))
        pricer.price("openai", "no-such-model", Usage(10, 10))
    assert sorted(lookups) == ["gpt-4o-mini", "no-such-model"]


@table
def test_prices_the_application_updates_in_genai_prices_apply(pricer: Pricer) -> None:
    from genai_prices import data_snapshot, types

    usage = Usage(1_000, 1_000)
    assert pricer.price("openai", "gpt-4o-mini", usage) == Cost(
        pytest.approx((1_000 * 0.15 + 1_000 * 0.60) / M)
    )
    model = types.ModelInfo(
        id="gpt-4o-mini",
        match=types.ClauseEquals(equals="gpt-4o-mini"),
        prices=types.ModelPrice(input_mtok=Decimal(1), output_mtok=Decimal(2)),
    )
    provider = types.Provider(id="openai", name="OpenAI", api_pattern="x", models=[model])
    data_snapshot.set_custom_snapshot(data_snapshot.DataSnapshot(providers=[provider], from_auto_update=True))
    try:
        assert pricer.price("openai", "gpt-4o-mini", usage) == Cost(
            pytest.approx((1_000 * 1 + 1_000 * 2) / M)
        )
    finally:
        data_snapshot.set_custom_snapshot(None)
    assert pricer.price("openai", "gpt-4o-mini", usage) == Cost(
        pytest.approx((1_000 * 0.15 + 1_000 * 0.60) / M)
    )


@table
def test_warm_loads_the_table_in_the_background() -> None:
    prices = GenaiPrices()
    prices.warm()
    assert prices.available  # waits for the loading thread if it is still at work
    assert prices.version


@table
def test_the_pricing_benchmark_runs() -> None:
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "benchmarks.cost", "--calls", "20"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "| fixed prices (openai gpt-4o-mini) |" in done.stdout  # numbers are never asserted


# -- a run's totals ------------------------------------------------------------------------------------


def test_totals_add_tokens_and_cost_and_say_what_was_estimated_or_unpriced() -> None:
    from agentwrap._cost_totals import CostTotals

    totals = CostTotals()
    assert totals.as_dict()["cost_usd"] is None  # nothing priced yet: no cost, not zero
    totals.add(Usage(1_000, 200, cache_read_input_tokens=600, reasoning_output_tokens=50), Cost(0.004))
    totals.add(
        Usage(3_000, 100, cache_creation_input_tokens=1_000, estimated=True), Cost(0.001, estimated=True)
    )
    totals.add(Usage(500, 20), None)  # a model without a price
    totals.add(None, Cost(0.0025, source="provider"))  # a proxy's cost, no usage
    totals.add(None, None)  # a failed call
    assert totals.as_dict() == {
        "input_tokens": 4_500,
        "output_tokens": 320,
        "cache_read_input_tokens": 600,
        "cache_creation_input_tokens": 1_000,
        "reasoning_output_tokens": 50,
        "total_tokens": 4_820,
        "cost_usd": 0.0075,
        "cost_usd_estimated": 0.001,
        "unpriced_calls": 1,
    }

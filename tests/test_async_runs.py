"""A run follows its work into tasks, executor threads and copied contexts; sub-agent runs."""

from __future__ import annotations

import asyncio
import contextvars
import sys
import threading

import pytest

import agentwrap

MESSAGES = [{"role": "user", "content": "hi"}]


def _ask(client) -> str:
    return client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content


async def _aask(client) -> str:
    return (await client.chat.completions.create(model="m", messages=MESSAGES)).choices[0].message.content


def _assert_all_in(captured, run, turns: int) -> None:
    assert run.summary["total_number_of_turns"] == turns
    [root] = captured.spans_named("invoke_agent")
    chats = captured.spans_named("chat")
    assert len(chats) == turns
    assert all(c.parent is not None and c.parent.span_id == root.context.span_id for c in chats)


async def test_run_survives_gather_create_task_and_to_thread(
    server, openai_client, async_openai_client, captured
):
    async with agentwrap.run(name="fan-out") as run:
        await asyncio.gather(*(_aask(async_openai_client) for _ in range(3)))
        await asyncio.create_task(_aask(async_openai_client))
        await asyncio.to_thread(_ask, openai_client)
    _assert_all_in(captured, run, 5)


async def test_run_survives_run_in_executor(server, openai_client, captured):
    loop = asyncio.get_running_loop()
    async with agentwrap.run(name="executor") as run:
        answers = await asyncio.gather(*(loop.run_in_executor(None, _ask, openai_client) for _ in range(3)))
    assert answers == ["ok"] * 3
    _assert_all_in(captured, run, 3)


async def test_run_in_executor_without_a_run_is_untouched(server, openai_client, captured):
    marker = contextvars.ContextVar("marker", default="unset")
    marker.set("caller")
    seen = await asyncio.get_running_loop().run_in_executor(None, marker.get)
    assert seen == "unset"  # no run: the executor gets no copied context, as without agentwrap


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup is 3.11+")
async def test_run_survives_a_task_group(server, async_openai_client, captured):
    async with agentwrap.run(name="group") as run:
        async with asyncio.TaskGroup() as group:  # type: ignore[attr-defined]
            for _ in range(4):
                group.create_task(_aask(async_openai_client))
    _assert_all_in(captured, run, 4)


def test_run_survives_a_thread_started_with_a_copied_context(server, openai_client, captured):
    with agentwrap.run(name="threads") as run:
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(_ask, openai_client))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    _assert_all_in(captured, run, 3)


def test_run_follows_work_submitted_to_a_thread_pool(server, openai_client, captured):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        with agentwrap.run(name="pool") as run:
            answers = [f.result() for f in [pool.submit(_ask, openai_client) for _ in range(3)]]
            answers += list(pool.map(_ask, [openai_client] * 2))
    assert answers == ["ok"] * 5
    _assert_all_in(captured, run, 5)


def test_a_thread_pool_gets_only_the_run_not_the_callers_context(server, openai_client, captured):
    from concurrent.futures import ThreadPoolExecutor

    from opentelemetry import trace

    marker = contextvars.ContextVar("marker", default="unset")
    marker.set("caller")
    tracer = trace.get_tracer("app")

    def look() -> tuple[str, bool, object]:
        return marker.get(), trace.get_current_span().get_span_context().is_valid, agentwrap.current_run()

    with ThreadPoolExecutor(max_workers=1) as pool:
        with agentwrap.run(name="pool") as run, tracer.start_as_current_span("app-work"):
            inside = pool.submit(look).result()
        after = pool.submit(look).result()  # the same pool thread, the run closed
        without = pool.submit(marker.get).result()
    assert inside == ("unset", False, run)  # the run came along; the host's context did not
    assert after == ("unset", False, None)  # and left again: nothing stays in the pool thread
    assert without == "unset"


def test_an_exception_in_pool_work_reaches_the_caller_unchanged(server, openai_client, captured):
    from concurrent.futures import ThreadPoolExecutor

    boom = ValueError("the tool failed")

    def fail() -> None:
        raise boom

    with ThreadPoolExecutor(max_workers=1) as pool, agentwrap.run(name="pool"):
        future = pool.submit(fail)
        with pytest.raises(ValueError) as raised:
            future.result()
    assert raised.value is boom


async def test_a_task_that_outlives_its_run_does_not_add_to_the_closed_run(
    server, async_openai_client, captured
):
    go_on = asyncio.Event()

    async def later() -> str:
        await go_on.wait()
        return await _aask(async_openai_client)

    async with agentwrap.run(name="short") as run:
        await _aask(async_openai_client)
        task = asyncio.create_task(later())  # copies the context: the run is current in it
    go_on.set()
    assert await task == "ok"
    assert run.summary["total_number_of_turns"] == 1
    assert len(run.turns) == 1  # the closed run was not appended to
    assert len(captured.spans_named("chat")) == 2  # the late call is still traced


async def test_parallel_sub_agents_are_child_runs_counted_by_the_parent(
    server, async_openai_client, captured
):
    async def sub_agent(index: int) -> str:
        async with agentwrap.run(name=f"sub-{index}"):
            return await _aask(async_openai_client)

    async with agentwrap.run(name="planner") as parent:
        await _aask(async_openai_client)
        await asyncio.gather(*(sub_agent(i) for i in range(3)))
    records = {r["run_name"]: r for r in captured.records if r.get("type") == "run.summary"}
    planner = records["planner"]
    children = [records[f"sub-{i}"] for i in range(3)]
    assert planner["child_runs"] == 3
    assert sorted(planner["child_run_ids"]) == sorted(c["run_id"] for c in children)
    assert "child_runs" not in planner["summarized_metadata"]  # beside the seed's fields, not in them
    assert tuple(planner["summarized_metadata"]) == agentwrap.SUMMARY_FIELDS
    assert planner["summarized_metadata"]["total_number_of_turns"] == 1  # its own calls only
    assert all(c["parent_run_id"] == parent.run_id for c in children)
    assert all(c["summarized_metadata"]["total_number_of_turns"] == 1 for c in children)
    roots = {s.attributes["agentwrap.run.name"]: s for s in captured.spans_named("invoke_agent")}
    for i in range(3):
        child_root = roots[f"sub-{i}"]
        assert child_root.parent.span_id == roots["planner"].context.span_id
        assert child_root.attributes["agentwrap.run.parent_id"] == parent.run_id
        assert child_root.context.trace_id == roots["planner"].context.trace_id

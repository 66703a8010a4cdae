"""Where a worker runs its chains: in a thread of its own process or in a process pool.
Either way a batch of texts gives the same results as the runner called directly."""

import gc
import json
import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from textmill_contracts.events import ResultBatch, ResultBatchKeys
from textmill_runs.costs import CellCosts
from textmill_worker.adapters import compute
from textmill_worker.adapters.compute import InProcess, ProcessPool, make_compute
from textmill_worker.domain.chains import analyse_cells, get_chains

TEXTS: list[str | None] = [
    "The kettle boils fast and looks lovely.",
    "Terrible lid, it squeaks and leaks. Never again!",
    None,
    "",
    "   ",
    "n/a",
    "Ça marche très bien, merci 🫖",
    'quotes " and \\ backslashes\nand a newline',
    "lone surrogate \ud800 in a cell",
]


def _expected(chains: list[str], texts: list[str | None]) -> list[dict]:
    return analyse_cells(get_chains(chains), texts)


@pytest.fixture(scope="module")
async def pool():
    """One pool of one process for the module: spawning and warming it takes seconds."""
    pool = ProcessPool(1)
    try:
        await pool.start()
        yield pool
    finally:
        pool.close()


async def test_in_process_gives_what_the_runner_gives() -> None:
    compute = InProcess()
    try:
        results = (await compute.analyse(["sentiment"], TEXTS))[0]
    finally:
        compute.close()
    assert results == _expected(["sentiment"], TEXTS)
    assert [r["status"] for r in results] == ["ok", "ok"] + ["skipped"] * 4 + ["ok"] * 3
    assert results[0]["chains"]["sentiment"]["label"] == "positive"


async def test_a_process_pool_gives_what_the_runner_gives(pool: ProcessPool) -> None:
    results = (await pool.analyse(["sentiment"], TEXTS))[0]
    assert results == _expected(["sentiment"], TEXTS)
    assert results == (await InProcess().analyse(["sentiment"], TEXTS))[0]


async def test_a_process_pool_runs_several_chains_in_order(pool: ProcessPool) -> None:
    chains = ["stats", "sentiment", "pii"]
    results = (await pool.analyse(chains, TEXTS[:2]))[0]
    assert results == _expected(chains, TEXTS[:2])
    assert list(results[0]["chains"]) == chains


@pytest.mark.parametrize("texts", [[], [None], [None, "", " "]], ids=["none", "null", "blanks"])
async def test_a_process_pool_handles_empty_batches_and_cells(
    pool: ProcessPool, texts: list[str | None]
) -> None:
    results = (await pool.analyse(["sentiment"], texts))[0]
    assert results == _expected(["sentiment"], texts)
    assert results == [{"status": "skipped", "reason": "empty cell", "chains": {}}] * len(texts)


def _expected_cells(chains: list[str], records: list[int], texts: list[str | None]) -> list:
    return [{"record": r, **c} for r, c in zip(records, _expected(chains, texts), strict=True)]


async def test_a_shard_batch_comes_back_as_the_json_of_its_cells_with_their_records(
    pool: ProcessPool,
) -> None:
    # Given a batch of a shard's rows (records 1,000 on), hostile characters included
    records = list(range(1_000, 1_000 + len(TEXTS)))
    local = InProcess()
    try:
        # When either layout analyses it for the store
        pooled = (await pool.cells(["sentiment", "stats"], records, TEXTS))[0]
        threaded = (await local.cells(["sentiment", "stats"], records, TEXTS))[0]
    finally:
        local.close()
    # Then both give the same JSON: one cell result per record, in order, as the runner gives
    assert pooled == threaded
    assert json.loads(pooled) == _expected_cells(["sentiment", "stats"], records, TEXTS)


async def test_a_batch_whose_records_and_texts_differ_in_length_is_refused(
    pool: ProcessPool,
) -> None:
    # Given one record too few for the texts, When the pool is asked, Then it refuses
    with pytest.raises(ValueError, match="zip"):
        (await pool.cells(["stats"], [0], ["one", "two"]))[0]


def test_a_pool_keeps_one_batch_more_in_flight_than_it_has_processes(pool: ProcessPool) -> None:
    assert pool.depth == 2
    assert InProcess.depth == 2


@pytest.mark.parametrize("processes", [0, -1])
def test_a_pool_without_processes_is_refused(processes: int) -> None:
    with pytest.raises(ValueError, match=str(processes)):
        ProcessPool(processes)


def thread_policies() -> set[int]:
    """The scheduling policies of every thread of the calling process."""
    return {os.sched_getscheduler(int(task)) for task in os.listdir("/proc/self/task")}


async def test_pool_processes_keep_this_process_policy_by_default(pool: ProcessPool) -> None:
    assert await pool._run(thread_policies) == {os.sched_getscheduler(0)}


def frozen_objects() -> int:
    return gc.get_freeze_count()


async def test_pool_processes_keep_their_models_out_of_the_collectors_sight(
    pool: ProcessPool,
) -> None:
    # Given a started pool, When its process is asked, Then its start-up objects are frozen
    assert await pool._run(frozen_objects) > 10_000


async def test_an_idle_pool_runs_its_chains_under_sched_idle() -> None:
    own = os.sched_getscheduler(0)
    # Given a pool asked to yield the CPU to every other task
    idle = make_compute(1, idle=True)
    try:
        await idle.start()
        # Then every thread of its process runs under SCHED_IDLE (native libraries start
        # threads of their own), and its chains give what the runner gives
        assert await idle._run(thread_policies) == {os.SCHED_IDLE}
        assert (await idle.analyse(["sentiment"], TEXTS))[0] == _expected(["sentiment"], TEXTS)
    finally:
        idle.close()
    # ... while this process keeps its own policy
    assert os.sched_getscheduler(0) == own


def own_thread_policy() -> int:
    return os.sched_getscheduler(0)  # Linux: the calling thread's


async def test_idle_chains_in_process_run_in_an_idle_thread() -> None:
    own = os.sched_getscheduler(0)
    # Given chains in a thread of this process, asked to yield the CPU to every other task
    compute = make_compute(0, idle=True)
    try:
        assert isinstance(compute, InProcess)
        await compute.start()
        # Then that thread runs under SCHED_IDLE and gives what the runner gives
        assert await compute._run(own_thread_policy) == os.SCHED_IDLE
        assert (await compute.analyse(["sentiment"], TEXTS))[0] == _expected(["sentiment"], TEXTS)
    finally:
        compute.close()
    # ... while the loop's thread keeps its own policy
    assert os.sched_getscheduler(0) == own


async def test_chains_in_process_keep_this_thread_policy_by_default() -> None:
    compute = make_compute(0)
    try:
        assert await compute._run(own_thread_policy) == os.sched_getscheduler(0)
    finally:
        compute.close()


def test_no_pool_processes_means_in_process() -> None:
    compute = make_compute(0)
    try:
        assert isinstance(compute, InProcess)
    finally:
        compute.close()


def test_pool_processes_mean_a_process_pool_of_that_size() -> None:
    compute = make_compute(2)
    try:
        assert isinstance(compute, ProcessPool)
        assert compute.depth == 3
    finally:
        compute.close()


async def test_a_dead_pool_process_fails_one_call_then_the_pool_is_replaced() -> None:
    own = ProcessPool(1)
    try:
        await own.start()
        # Given a pool whose process dies (killed for memory, say)
        victim = next(iter(own._pool._processes.values()))
        victim.kill()
        victim.join()
        # Then the call that meets the broken pool fails (its shard is redelivered) ...
        with pytest.raises(BrokenProcessPool):
            (await own.analyse(["stats"], ["A short sentence."]))[0]
        # ... and the next one runs on a new process
        assert (await own.analyse(["stats"], ["A short sentence."]))[0] == _expected(
            ["stats"], ["A short sentence."]
        )
    finally:
        own.close()


def test_a_batch_is_strict_json_whatever_numbers_a_chain_returns(monkeypatch) -> None:
    # Given a chain whose scores come out as NaN and infinities on some cells
    def scores(chains, texts, column_language=None):
        odd = [float("nan"), float("inf"), float("-inf"), 0.5]
        results = [
            {"status": "ok", "reason": None, "chains": {"x": {"score": odd[i % 4]}}}
            for i, _ in enumerate(texts)
        ]
        return results, CellCosts()

    monkeypatch.setattr(compute, "analyse_texts", scores)
    # When a batch of four cells is encoded for the store and the stream
    cells, _ = compute.cells_json(["x"], [10, 11, 12, 13], ["a", "b", "c", "d"])

    # Then it is JSON that a strict parser reads (those numbers as null), and so is the
    # published batch, which the gateway routes
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    parsed = json.loads(cells, parse_constant=refuse)
    assert [c["chains"]["x"]["score"] for c in parsed] == [None, None, None, 0.5]
    assert [c["record"] for c in parsed] == [10, 11, 12, 13]
    body = ResultBatch.encode(
        cells, run_id="r", tenant="t", shard_id="r:00000", column="body", worker="w"
    )
    assert [c.record for c in ResultBatchKeys.decode(body).results] == [10, 11, 12, 13]


async def test_a_batch_says_what_it_cost_cell_by_cell_and_chain_by_chain() -> None:
    # Given a batch of four cells, one of them empty
    texts = ["A fine kettle.", "", "Broke in a week, sadly.", "Works."]
    compute = InProcess()
    try:
        # When two chains analyse it
        _, costs = await compute.cells(["sentiment", "stats"], [0, 1, 2, 3], texts)
    finally:
        compute.close()
    # Then its costs count the three analysed cells, their characters, and each chain's CPU
    analysed = [t for t in texts if t]
    assert costs.cells == 3
    assert costs.chars == sum(map(len, analysed))
    assert costs.chars_squared == sum(len(t) ** 2 for t in analysed)
    assert set(costs.chain_seconds) == {"sentiment", "stats"}
    assert all(seconds >= 0 for seconds in costs.chain_seconds.values())
    assert compute.processes == 0

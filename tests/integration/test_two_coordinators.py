"""Two coordinator replicas on the real store: a run both are handed (a redelivery during a
rebalance) is planned once, and progress both fold is counted once."""

import asyncio

from tests.integration.conftest import new_run
from textmill_runs import ShardPlan, shard_id
from textmill_storage import RunRecords, ShardRecords
from textmill_storage.collections import SHARDS

PLANS = [ShardPlan(n, "review", n * 1000, (n + 1) * 1000) for n in range(5)]


async def plan(db, run_id: str) -> None:
    """What `plan_run` stores, as one replica does it."""
    await ShardRecords(db).insert_plan(run_id, PLANS, ["sentiment"])
    await RunRecords(db).record_plan(run_id, PLANS)


async def test_a_run_planned_by_both_replicas_at_once_has_one_plan(scratch_db):
    # Given a run accepted by the gateway
    run_id = await new_run(scratch_db)
    # When both replicas plan it at the same moment
    await asyncio.gather(plan(scratch_db, run_id), plan(scratch_db, run_id))
    # Then it has as many shards as its plan, each stored once
    prefix = shard_id(run_id, 0).rsplit(":", 1)[0]
    stored = await scratch_db[SHARDS].count_documents({"_id": {"$regex": f"^{prefix}:"}})
    run = await RunRecords(scratch_db).get(run_id)
    assert stored == len(run.shards) == len(PLANS)


async def test_progress_folded_by_both_replicas_is_counted_once(scratch_db):
    # Given a planned run
    run_id = await new_run(scratch_db)
    await plan(scratch_db, run_id)
    # When both replicas fold the same shard's progress (a redelivered event), at once
    first, second = RunRecords(scratch_db), RunRecords(scratch_db)
    await asyncio.gather(
        first.record_progress(run_id, 0, 1000, True), second.record_progress(run_id, 0, 1000, True)
    )
    await first.record_progress(run_id, 0, 600, False)  # and a late, older event after them
    # Then the run counts the shard's cells once, and the shard stays done
    run = await first.get(run_id)
    assert run.cells_done == 1000
    assert run.shards[0].done

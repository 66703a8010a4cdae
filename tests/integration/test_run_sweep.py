"""The coordinator's sweep against the real store and Kafka: which runs are under way (read
from the `active_runs` registry, not by a query on `runs`), which of their shards are not
done, and the re-publication of the shards of a worker that went silent."""

import json
from datetime import timedelta

from tests.integration.conftest import new_run, records
from textmill_contracts.envelope import utc_now
from textmill_contracts.topics import TOPICS
from textmill_coordinator import handlers
from textmill_runs import ShardPlan, shard_id
from textmill_storage import RunRecords, ShardRecords
from textmill_storage.collections import ACTIVE_RUNS, RUNS, SHARDS

PLANS = [ShardPlan(n, "review", n * 100, (n + 1) * 100) for n in range(4)]


class Stores:
    """The coordinator's stores of runs and shards, over one database."""

    def __init__(self, db) -> None:
        self.runs, self.shards = RunRecords(db), ShardRecords(db)

    async def active(self):
        return await self.runs.active()

    async def get(self, run_id: str):
        return await self.runs.get(run_id)


async def queued_run(store: Stores, db) -> str:
    run_id = await new_run(db, columns=("title", "review"))
    await store.shards.insert_plan(run_id, PLANS, ["sentiment"])
    await store.runs.record_plan(run_id, PLANS)
    return run_id


async def claim(db, shard: str, worker: str, touched) -> None:
    fields = {"worker": worker, "attempt": 1, "updated_at": touched}
    await db[SHARDS].update_one({"_id": shard}, {"$set": fields})


async def test_a_planned_run_is_under_way_until_it_ends(scratch_db):
    # Given a run planned into four shards
    store = Stores(scratch_db)
    run_id = await queued_run(store, scratch_db)
    # Then the sweep sees it, with every shard pending, in order
    assert [r.id for r in await store.active()] == [run_id]
    run = await store.get(run_id)
    assert [s.id for s in await store.shards.not_done(run)] == [
        shard_id(run_id, n) for n in range(4)
    ]
    # When it completes
    await store.runs.move(run_id, "completed", finished_at=utc_now())
    # Then it has left the registry
    assert await store.active() == []
    assert await scratch_db[ACTIVE_RUNS].count_documents({}) == 0


async def test_shards_done_by_the_worker_or_by_the_run_are_not_pending(scratch_db):
    # Given a planned run whose shard 1 the worker finished, and shard 2 the run recorded done
    store = Stores(scratch_db)
    run_id = await queued_run(store, scratch_db)
    await scratch_db[SHARDS].update_one({"_id": shard_id(run_id, 1)}, {"$set": {"done": True}})
    await store.runs.record_progress(run_id, 2, 100, True)
    # When the pending shards are read
    pending = await store.shards.not_done(await store.get(run_id))
    # Then only shards 0 and 3 are
    assert [s.n for s in pending] == [0, 3]


async def test_a_run_without_shards_has_none_pending(scratch_db):
    # Given a run not planned yet (no `shards` in its document)
    store = Stores(scratch_db)
    run_id = await new_run(scratch_db)
    # Then it has nothing pending, and no lookup fails
    assert await store.shards.not_done(await store.get(run_id)) == []


async def test_entries_of_runs_ended_elsewhere_or_gone_are_dropped(scratch_db):
    # Given three registered runs: one the gateway cancelled itself, one deleted, one running
    store = Stores(scratch_db)
    cancelled, deleted, running = [await queued_run(store, scratch_db) for _ in range(3)]
    await scratch_db[RUNS].update_one({"_id": cancelled}, {"$set": {"status": "cancelled"}})
    await scratch_db[RUNS].delete_one({"_id": deleted})
    await store.runs.move(running, "running")
    # When the sweep reads the runs under way
    active = await store.active()
    # Then only the running one is, and the other entries are gone
    assert [r.id for r in active] == [running]
    assert [d["_id"] async for d in scratch_db[ACTIVE_RUNS].find({})] == [running]


async def test_a_run_accepted_but_not_queued_yet_is_kept_but_not_swept(scratch_db):
    # Given a run registered by a planner that crashed before it set "queued"
    store = Stores(scratch_db)
    run_id = await new_run(scratch_db)
    await scratch_db[ACTIVE_RUNS].insert_one({"_id": run_id, "since": utc_now()})
    # Then the sweep leaves it alone and keeps its entry for the redelivered command
    assert await store.active() == []
    assert await scratch_db[ACTIVE_RUNS].count_documents({"_id": run_id}) == 1


async def test_runs_under_way_but_missing_from_the_registry_are_entered_once(scratch_db):
    # Given runs stored before the registry existed: queued, running, completed
    store = Stores(scratch_db)
    queued = await new_run(scratch_db, "queued")
    running = await new_run(scratch_db, "running")
    await new_run(scratch_db, "completed")
    # When a coordinator starts, twice
    first, second = await store.runs.register_active(), await store.runs.register_active()
    # Then the two under way are entered, once
    assert (first, second) == (2, 0)
    assert {r.id for r in await store.active()} == {queued, running}


async def test_the_shards_of_a_silent_worker_are_published_again(
    scratch_db, coordinator, consumer_factory
):
    # Given a running run: shard 0 claimed by a worker gone for 10 minutes, shard 1 by a live
    # worker 2 minutes ago, shard 2 by the gone worker a moment ago, shard 3 done
    store = Stores(scratch_db)
    run_id = await queued_run(store, scratch_db)
    await store.runs.move(run_id, "running")
    for n, worker, ago in [
        (0, "gone", timedelta(minutes=10)),
        (1, "alive", timedelta(minutes=2)),
        (2, "gone", timedelta(0)),
    ]:
        await claim(scratch_db, shard_id(run_id, n), worker, utc_now() - ago)
    await scratch_db[SHARDS].update_one({"_id": shard_id(run_id, 3)}, {"$set": {"done": True}})
    shards = await consumer_factory(TOPICS.shards)
    # When the sweep runs with only "alive" heartbeating and a stall of one minute
    moved = await handlers.reassign_stalled(coordinator, timedelta(minutes=1))
    # Then shard 0 alone is published again, as its next attempt, naming the run's other
    # column as its sibling
    assert moved == 1
    mine = await published(shards, run_id)
    assert [(m["shard_id"], m["attempt"], m["start"], m["end"]) for m in mine] == [
        (shard_id(run_id, 0), 2, 0, 100)
    ]
    assert mine[0]["siblings"] == ["title"]
    # And the next sweep leaves it for another stall, rather than publishing it each time
    assert await handlers.reassign_stalled(coordinator, timedelta(minutes=1)) == 0


async def test_a_shard_of_a_live_worker_that_has_not_moved_for_long_is_published_again(
    scratch_db, coordinator, consumer_factory
):
    """Given a shard that another worker left to its live holder, and that holder has not
    moved it for 10 minutes (its handler failed on a partition it no longer owns, or it
    hangs), when the sweep runs, then the shard goes out again: nothing else would send
    it. A live holder gets LIVE_STALLS stalls, a gone one a single stall."""
    store = Stores(scratch_db)
    run_id = await queued_run(store, scratch_db)
    await store.runs.move(run_id, "running")
    await claim(scratch_db, shard_id(run_id, 0), "alive", utc_now() - timedelta(minutes=10))
    shards = await consumer_factory(TOPICS.shards)
    assert await handlers.reassign_stalled(coordinator, timedelta(minutes=1)) == 1
    assert [m["shard_id"] for m in await published(shards, run_id)] == [shard_id(run_id, 0)]
    doc = await scratch_db[SHARDS].find_one({"_id": shard_id(run_id, 0)})
    assert doc["attempt"] == 2 and doc["worker"] == "alive"  # the holder's touch untouched


async def published(shards, run_id: str) -> list[dict]:
    return [
        json.loads(r.value)
        for r in await records(shards, lambda r: run_id.encode() in r.value)
        if run_id.encode() in r.value
    ]

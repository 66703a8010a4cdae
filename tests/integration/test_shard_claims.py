"""A shard's holder in the real store: claimed by the worker that works on it, released
only by that worker when it stops mid-shard, and then taken by the next one at once."""

from datetime import timedelta

from textmill_contracts.envelope import utc_now
from textmill_runs import held_elsewhere
from textmill_storage import ShardRecords
from textmill_storage.collections import SHARDS
from textmill_storage.shard_records import LONG_AGO

SHARD = "run-1:00000"
SHARD_DOC = {"_id": SHARD, "run_id": "run-1", "n": 0, "column": "review", "start": 0, "end": 3_000}


async def test_a_stopped_worker_releases_its_shard_to_the_next_one(scratch_db):
    # Given a shard that worker a claimed just now
    store = ShardRecords(scratch_db)
    await scratch_db[SHARDS].insert_one(dict(SHARD_DOC))
    await store.claim(SHARD, "worker-a", 1, 0)
    assert held_elsewhere(await store.get(SHARD), "worker-b", utc_now())
    # When worker a stops mid-shard and releases it
    await store.release(SHARD, "worker-a")
    # Then worker b, handed the message next, takes it at once, and the shard still names
    # worker a, untouched since long ago: the coordinator's sweep re-publishes it once
    # worker a is gone, should no member be handed it
    shard = await store.get(SHARD)
    assert not held_elsewhere(shard, "worker-b", utc_now())
    assert shard.worker == "worker-a" and shard.updated_at == LONG_AGO


async def test_only_the_holder_releases_a_shard(scratch_db):
    # Given a shard that worker b took over from worker a
    store = ShardRecords(scratch_db)
    await scratch_db[SHARDS].insert_one(dict(SHARD_DOC))
    await store.claim(SHARD, "worker-a", 1, 0)
    await store.claim(SHARD, "worker-b", 2, 1_000)
    # When worker a, stopping late, releases it
    await store.release(SHARD, "worker-a")
    # Then worker b still holds it, with where it resumed from
    shard = await store.get(SHARD)
    assert (shard.worker, shard.attempt) == ("worker-b", 2)
    assert (await scratch_db[SHARDS].find_one({"_id": SHARD}))["resumed_from"] == 1_000
    assert held_elsewhere(shard, "worker-a", utc_now())
    assert not held_elsewhere(shard, "worker-a", utc_now() + timedelta(seconds=30))

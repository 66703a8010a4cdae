"""Releasing shards against the real store and Kafka: a shard's release is recorded once
whoever tries it, so two coordinator replicas releasing at the same moment publish each
shard once; a run's priority is stored and read back."""

import asyncio
import dataclasses
import json

from tests.integration.conftest import new_run, records
from tests.integration.test_run_sweep import PLANS, Stores, queued_run
from textmill_contracts.envelope import utc_now
from textmill_contracts.topics import TOPICS
from textmill_coordinator import handlers
from textmill_runs import Run
from textmill_storage import RunRecords, ShardReleases


async def test_a_shard_is_released_once_whoever_tries_it(scratch_db):
    # Given two replicas' views of the releases
    first, second = ShardReleases(scratch_db), ShardReleases(scratch_db)

    # When both release the same shard at once
    claims = await asyncio.gather(
        first.claim("run:00000", "run", "c-1"), second.claim("run:00000", "run", "c-2")
    )

    # Then exactly one of them did, and the release says when
    assert sorted(claims) == [False, True]
    released = await first.released(["run:00000", "run:00001"])
    assert list(released) == ["run:00000"] and released["run:00000"] <= utc_now()


async def test_a_release_is_unpublished_until_its_replica_marks_it(scratch_db):
    # Given a release recorded, and one stored before releases said whether they went out
    releases = ShardReleases(scratch_db)
    assert await releases.claim("run:00000", "run", "c-1", 0)
    await scratch_db.shard_releases.insert_one(
        {"_id": "run:00001", "run_id": "run", "by": "c-0", "released_at": utc_now()}
    )
    found = await releases.releases(["run:00000", "run:00001"])
    assert not found["run:00000"].published and found["run:00001"].published

    # When its replica marks it published, Then it reads so
    await releases.mark_published("run:00000")
    assert (await releases.releases(["run:00000"]))["run:00000"].published


async def test_two_replicas_releasing_at_once_publish_each_shard_once(
    scratch_db, coordinator, consumer_factory
):
    # Given a queued run of four shards, and two coordinator replicas over the same store
    run_id = await queued_run(Stores(scratch_db), scratch_db)
    replicas = [
        dataclasses.replace(coordinator, instance=name, release_lock=asyncio.Lock())
        for name in ("c-1", "c-2")
    ]
    shards = await consumer_factory(TOPICS.shards)

    # When both run release rounds at the same moment, three times over
    for _ in range(3):
        await asyncio.gather(*(handlers.release_shards(replica) for replica in replicas))

    # Then every shard released was published once, by the replica that recorded it
    seen = await records(shards, lambda r: False, timeout=5.0)  # all that came in 5 s
    mine = [json.loads(r.value)["shard_id"] for r in seen if run_id.encode() in r.value]
    released = await ShardReleases(scratch_db).released([f"{run_id}:{n:05d}" for n in range(4)])
    assert mine and len(mine) == len(set(mine))
    assert set(mine) == set(released)
    assert len(mine) <= len(PLANS)


async def test_a_runs_priority_is_stored_and_read_back(scratch_db):
    # Given a high-priority run and one stored before runs had a priority
    runs = RunRecords(scratch_db)
    run = Run(
        id="high-run",
        tenant="t",
        file_id="f",
        columns=["review"],
        chains=["sentiment"],
        status="accepted",
        created_at=utc_now(),
        priority="high",
    )
    await runs.create(run)
    older = await new_run(scratch_db)

    # Then each reads back with its own, the older one as normal
    assert (await runs.get("high-run")).priority == "high"
    assert (await runs.get(older)).priority == "normal"

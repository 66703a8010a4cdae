"""A tenant's runs, newest first, against the real store: entered as they are made (the
`RunRecords.create`), read by `_id` alone, and backfilled for runs stored before."""

import asyncio
import uuid
from datetime import timedelta

from textmill_contracts.envelope import utc_now
from textmill_infra.migrations import migrate
from textmill_runs import Run, ShardPlan
from textmill_storage import RunRecords, TenantRuns
from textmill_storage.collections import RUNS, TENANT_RUNS
from textmill_storage.tenant_runs import tenant_run_id


async def make_run(store: RunRecords, tenant: str) -> str:
    run = Run(
        id=uuid.uuid4().hex,
        tenant=tenant,
        file_id="f" * 24,
        columns=["body"],
        chains=["sentiment"],
        status="accepted",
        rows=10,
        cells_total=10,
        created_at=utc_now(),
    )
    await store.create(run)
    return run.id


async def test_runs_are_listed_newest_first_per_tenant_up_to_the_limit(scratch_db):
    # Given a migrated store and runs made by two tenants, interleaved
    await migrate(scratch_db)
    store = RunRecords(scratch_db)
    made = {"acme": [], "bob": []}
    for _ in range(6):
        for tenant in made:
            made[tenant].append(await make_run(store, tenant))
    # When each tenant's runs are listed, all of them and then the newest four
    acme, bob = await store.newest("acme"), await store.newest("bob")
    newest = await store.newest("acme", limit=4)
    # Then each sees its own, newest first, whole (as stored)
    assert [r.id for r in acme] == made["acme"][::-1]
    assert [r.id for r in bob] == made["bob"][::-1]
    assert [r.id for r in newest] == made["acme"][::-1][:4]
    assert {r.tenant for r in acme} == {"acme"}
    assert acme[0].status == "accepted" and acme[0].cells_total == 10
    # And a tenant without runs has none
    assert await store.newest("nobody") == []


async def test_runs_made_at_the_same_moment_are_each_listed_once(scratch_db):
    # Given twenty runs of one tenant made concurrently
    await migrate(scratch_db)
    store = RunRecords(scratch_db)
    made = await asyncio.gather(*(make_run(store, "acme") for _ in range(20)))
    # When the tenant's runs are listed
    listed = [r.id for r in await store.newest("acme")]
    # Then every one of them is there, once
    assert sorted(listed) == sorted(made)


async def test_runs_stored_before_the_list_existed_are_entered_by_the_migration(scratch_db):
    # Given runs stored by an older release, with no list, the oldest made first
    now = utc_now()
    older = []
    for minutes in (30, 20, 10):
        run_id = uuid.uuid4().hex
        await scratch_db[RUNS].insert_one(
            {
                "_id": run_id,
                "tenant": "acme",
                "status": "completed",
                "created_at": now - timedelta(minutes=minutes),
            }
        )
        older.append(run_id)
    # When the store is migrated (twice, as two services starting would), and a run is made
    await asyncio.gather(migrate(scratch_db), migrate(scratch_db))
    store = RunRecords(scratch_db)
    newer = await make_run(store, "acme")
    # Then the list holds the older runs in the order they were made, then the new one
    assert [r.id for r in await store.newest("acme")] == [newer, *older[::-1]]
    assert await scratch_db[TENANT_RUNS].count_documents({}) == 4


async def test_an_entry_whose_run_was_never_stored_is_skipped(scratch_db):
    # Given a tenant's list with an entry for a run that was never stored (the gateway
    # stopped between the two writes), between two stored runs
    await migrate(scratch_db)
    store, runs = RunRecords(scratch_db), TenantRuns(scratch_db)
    first = await make_run(store, "acme")
    n = await runs.enter("acme", "never-stored")
    last = await make_run(store, "acme")
    # When the runs are listed
    listed = [r.id for r in await store.newest("acme")]
    # Then the stored ones are there and the missing one is not
    assert listed == [last, first]
    assert await scratch_db[TENANT_RUNS].find_one({"_id": tenant_run_id("acme", n)})


async def test_a_runs_estimate_is_kept_once_beside_it_and_survives_its_planning(scratch_db):
    # Given a run, and the estimate made as it was accepted
    await migrate(scratch_db)
    store = RunRecords(scratch_db)
    run_id = await make_run(store, "acme")
    first = {"estimated_seconds": 2.0, "assumptions": {"compute_seconds": 1.5}}
    # When the estimate is written at the moment the run is planned, and again later
    await asyncio.gather(
        store.record_estimate(run_id, first),
        store.record_plan(run_id, [ShardPlan(n=0, column="body", start=0, end=10)]),
    )
    await store.record_estimate(run_id, {"estimated_seconds": 9.0})
    # Then the run is planned and keeps the first estimate, read back with it everywhere
    run = await store.get(run_id)
    assert run.status == "queued" and run.shards and run.estimate == first
    assert (await store.newest("acme"))[0].estimate == first
    assert [r.estimate for r in await store.active()] == [first]

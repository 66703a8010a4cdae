"""A run's status changes against the real store: `_id` filters only, and the first of
competing ends wins, whatever the order in which their reads and writes interleave."""

import asyncio
import uuid

from tests.integration.conftest import new_run
from textmill_contracts.envelope import utc_now
from textmill_runs import ShardPlan
from textmill_storage import RunRecords, RunStatuses
from textmill_storage.collections import RUN_ENDS, RUNS


async def status_of(db, run_id: str) -> dict:
    return await db[RUNS].find_one({"_id": run_id})


async def test_a_run_moves_through_its_statuses_with_their_fields(scratch_db):
    # Given an accepted run
    statuses = RunStatuses(scratch_db)
    run_id = await new_run(scratch_db, "accepted")
    # When it is queued (with its shards' progress), started and completed
    queued = await statuses.move(run_id, "queued", **{"shards.0": {"cells": 0}})
    running = await statuses.move(run_id, "running", started_at=utc_now())
    completed = await statuses.move(run_id, "completed", finished_at=utc_now())
    # Then each step moved it, and the run holds what each one wrote
    assert (queued, running, completed) == (True, True, True)
    run = await status_of(scratch_db, run_id)
    assert run["status"] == "completed"
    assert run["shards"] == {"0": {"cells": 0}}
    assert {"started_at", "finished_at"} <= run.keys()
    # And its end is claimed under its id
    assert (await scratch_db[RUN_ENDS].find_one({"_id": run_id}))["update"]["status"] == "completed"


async def test_a_step_from_another_status_changes_nothing(scratch_db):
    # Given a running run and a cancelled one
    statuses = RunStatuses(scratch_db)
    running = await new_run(scratch_db, "running")
    cancelled = await new_run(scratch_db, "cancelled")
    # When they are asked to move from a status they are not in
    moved = [
        await statuses.move(running, "queued"),
        await statuses.move(cancelled, "completed"),
        await statuses.move(uuid.uuid4().hex, "running"),
    ]
    # Then none moved, and no end was claimed
    assert moved == [False, False, False]
    assert (await status_of(scratch_db, running))["status"] == "running"
    assert (await status_of(scratch_db, cancelled))["status"] == "cancelled"
    assert await scratch_db[RUN_ENDS].count_documents({}) == 0


async def test_of_competing_ends_exactly_one_wins(scratch_db):
    # Given twenty running runs, each completing, failing and being cancelled at once
    statuses = RunStatuses(scratch_db)
    runs = [await new_run(scratch_db, "running") for _ in range(20)]
    for run_id in runs:
        ends = ["completed", "failed", "cancelled"]
        moved = await asyncio.gather(
            *(statuses.move(run_id, end, finished_at=utc_now()) for end in ends)
        )
        # Then exactly one of them moved the run, and the run shows that one
        assert sum(moved) == 1
        winner = ends[moved.index(True)]
        assert (await status_of(scratch_db, run_id))["status"] == winner
        claim = await scratch_db[RUN_ENDS].find_one({"_id": run_id})
        assert claim["update"]["status"] == winner


async def test_an_end_claimed_during_a_step_stands(scratch_db):
    # Given a queued run whose cancel has claimed its end but not written it yet (the
    # moment between the two)
    statuses = RunStatuses(scratch_db)
    run_id = await new_run(scratch_db, "queued")
    finished = utc_now().replace(microsecond=0)
    end = {"status": "cancelled", "finished_at": finished}
    await scratch_db[RUN_ENDS].insert_one({"_id": run_id, "update": end})
    # When the coordinator, which read "queued", starts it
    moved = await statuses.move(run_id, "running", started_at=utc_now())
    # Then the step reports that it did not hold, and the run is cancelled, not running
    assert moved is False
    run = await status_of(scratch_db, run_id)
    assert run["status"] == "cancelled"
    assert run["finished_at"].replace(tzinfo=None) == finished.replace(tzinfo=None)


async def test_a_claim_whose_writer_died_is_written_by_the_next_end(scratch_db):
    # Given a running run whose completion was claimed by a coordinator that died before
    # writing it to the run
    statuses = RunStatuses(scratch_db)
    run_id = await new_run(scratch_db, "running")
    await scratch_db[RUN_ENDS].insert_one({"_id": run_id, "update": {"status": "completed"}})
    # When the redelivered event (or a cancel) tries to end it
    moved = await statuses.move(run_id, "cancelled")
    # Then the claimed end is written, and the later one is refused
    assert moved is False
    assert (await status_of(scratch_db, run_id))["status"] == "completed"


PLANS = [ShardPlan(n, "review", n * 100, (n + 1) * 100) for n in range(2)]


async def test_a_cancel_racing_a_progress_fold_leaves_the_run_cancelled(scratch_db):
    # Given queued runs (FerretDB loses one of two updates of a document made at once: the
    # fold can write "queued" back over the cancel's "cancelled")
    records = RunRecords(scratch_db)
    for _ in range(20):
        run_id = await new_run(scratch_db)
        await records.record_plan(run_id, PLANS)
        # When the gateway's cancel, claimed, writes its end as the coordinator folds the
        # run's first progress
        end = {"status": "cancelled", "finished_at": utc_now()}
        await scratch_db[RUN_ENDS].insert_one({"_id": run_id, "update": end})
        await asyncio.gather(
            scratch_db[RUNS].update_one({"_id": run_id}, {"$set": end}),
            records.record_progress(run_id, 0, 50, False),
        )
        # Then the stored run says cancelled once both are done
        assert (await status_of(scratch_db, run_id))["status"] == "cancelled"


async def test_settled_writes_a_claimed_end_back_and_leaves_the_rest(scratch_db):
    # Given a run whose cancel was claimed but whose document says queued again (a lost
    # update), and a queued run with no claim
    records = RunRecords(scratch_db)
    overwritten, queued = await new_run(scratch_db, "queued"), await new_run(scratch_db, "queued")
    await scratch_db[RUN_ENDS].insert_one(
        {"_id": overwritten, "update": {"status": "cancelled", "finished_at": utc_now()}}
    )
    # When both are read through `settled`
    runs = await records.settled([await records.get(overwritten), await records.get(queued)])
    # Then the first shows its claimed end, and so does its stored document; the other is as read
    assert [run.status for run in runs] == ["cancelled", "queued"]
    assert runs[0].finished_at is not None
    assert (await status_of(scratch_db, overwritten))["status"] == "cancelled"
    assert (await status_of(scratch_db, queued))["status"] == "queued"

"""Views of the runs under way for reads made over and over (release rounds, estimates): a
run read or kept a moment ago is not read again; one changed elsewhere is read again once
that moment has passed; a run just registered shows at once; an ended run leaves."""

import asyncio
import dataclasses

from tests.unit.fakes import FakeRunRecords
from textmill_runs import Run, ShardPlan
from textmill_storage import RunViews


class CountingRuns(FakeRunRecords):
    """The fake store, counting the run documents read; `hold`, when set, keeps a read
    waiting until it is released (to make writes land during one)."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []
        self.hold: asyncio.Event | None = None
        self.reading = asyncio.Event()

    async def under_way(self, ids, *, estimates=True):
        self.read += ids
        self.reading.set()
        if self.hold is not None:
            await self.hold.wait()
        return await super().under_way(ids, estimates=estimates)


async def planned(runs: FakeRunRecords, run_id: str, estimate: dict | None = None) -> Run:
    await runs.create(
        Run(id=run_id, tenant="t", file_id="f", columns=["c"], chains=["s"], status="accepted")
    )
    await runs.record_plan(run_id, [ShardPlan(0, "c", 0, 100), ShardPlan(1, "c", 100, 200)])
    if estimate is not None:
        await runs.record_estimate(run_id, estimate)
    return await runs.get(run_id)


async def test_runs_read_a_moment_ago_are_not_read_again_and_new_ones_show_at_once():
    runs, now = CountingRuns(), [0.0]
    views = RunViews(runs, fresh_seconds=0.5, clock=lambda: now[0])
    for run_id in ("a", "b"):
        await planned(runs, run_id)
    # When three reads are made within half a second, a run registered between them
    first = await views.active()
    now[0] = 0.2
    await planned(runs, "c")
    second = await views.active()
    await views.active()
    # Then each run was read once, the new one as soon as it was registered, oldest first
    assert runs.read == ["a", "b", "c"]
    assert [run.id for run in first] == ["a", "b"]
    assert [run.id for run in second] == ["a", "b", "c"]


async def test_a_run_its_writer_keeps_is_current_and_one_changed_elsewhere_catches_up():
    runs, now = CountingRuns(), [0.0]
    views = RunViews(runs, fresh_seconds=0.5, clock=lambda: now[0])
    await planned(runs, "mine")
    await planned(runs, "theirs")
    await views.active()
    # When this replica folds a shard of one run done, and the other replica the other's
    views.keep(await runs.record_progress("mine", 0, 100, True))
    await runs.record_progress("theirs", 0, 100, True)
    now[0] = 0.1
    seen = {run.id: run for run in await views.active()}
    # Then the next read sees this replica's fold at once, the other one's not yet
    assert seen["mine"].shards[0].done and not seen["theirs"].shards[0].done
    # And once the moment has passed, it reads the other run again and sees it
    now[0] = 0.7
    seen = {run.id: run for run in await views.active()}
    assert seen["theirs"].shards[0].done
    assert runs.read == ["mine", "theirs", "mine", "theirs"]


async def test_a_run_kept_during_a_read_is_not_overwritten_by_the_older_document():
    runs, now = CountingRuns(), [0.0]
    views = RunViews(runs, fresh_seconds=0.5, clock=lambda: now[0])
    await planned(runs, "r")
    await views.active()
    # Given a read under way of the run, stale by then, holding the document before a fold
    now[0] = 1.0
    runs.hold, runs.reading = asyncio.Event(), asyncio.Event()
    before = await runs.get("r")
    reading = asyncio.create_task(views.active())
    await runs.reading.wait()
    # When the fold is written and kept during that read (the store's copy is rolled
    # back to `before` for the read, as a read that came first would have it)
    views.keep(await runs.record_progress("r", 0, 100, True))
    after = await runs.get("r")
    await runs.create(before)
    runs.hold.set()
    await reading
    # Then the following read shows the fold, not the older document the read returned
    [seen] = await views.active()
    assert seen.shards[0].done and seen == after


async def test_an_ended_run_leaves_the_view_at_the_next_read():
    runs, now = CountingRuns(), [0.0]
    views = RunViews(runs, fresh_seconds=0.5, clock=lambda: now[0])
    for run_id in ("done", "cancelled", "going"):
        await planned(runs, run_id)
    await views.active()
    # When one completes here and the gateway cancels another (each move of a run to its
    # end takes it out of the registry of runs under way)
    await runs.move("done", "completed")
    await runs.move("cancelled", "cancelled")
    # Then the next read, a moment later, no longer sees them, without reading any run
    now[0] = 0.1
    assert [run.id for run in await views.active()] == ["going"]
    assert runs.read == ["done", "cancelled", "going"]


async def test_a_kept_run_that_has_ended_is_not_served():
    runs = FakeRunRecords()
    views = RunViews(runs, fresh_seconds=60.0, clock=lambda: 0.0)
    run = await planned(runs, "r")
    await views.active()
    # When its writer keeps the run as a move it made left it: ended, still registered
    views.keep(dataclasses.replace(run, status="failed"))
    # Then no read serves it
    assert await views.active() == []


async def test_estimates_come_with_the_runs_only_when_asked_for():
    runs = FakeRunRecords()
    await planned(runs, "r", estimate={"estimated_seconds": 2.0})
    with_estimates = RunViews(runs, fresh_seconds=1.0, estimates=True, clock=lambda: 0.0)
    without = RunViews(runs, fresh_seconds=1.0, clock=lambda: 0.0)
    assert (await with_estimates.active())[0].estimate == {"estimated_seconds": 2.0}
    assert (await without.active())[0].estimate is None

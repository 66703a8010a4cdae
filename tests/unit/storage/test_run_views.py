"""The release rounds' view of the runs under way: a run read or written a moment ago is
not read again; one another replica moved is read again once that moment has passed; an
ended run leaves the view."""

import dataclasses

from tests.unit.fakes import FakeRunRecords
from textmill_coordinator.adapters.run_views import RunViews
from textmill_runs import Run, ShardPlan


class CountingRuns(FakeRunRecords):
    """The fake store, counting the run documents read."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    async def under_way(self, ids, *, estimates=True):
        self.read += ids
        return await super().under_way(ids, estimates=estimates)


async def planned(runs: FakeRunRecords, run_id: str) -> Run:
    await runs.create(
        Run(id=run_id, tenant="t", file_id="f", columns=["c"], chains=["s"], status="accepted")
    )
    await runs.record_plan(run_id, [ShardPlan(0, "c", 0, 100), ShardPlan(1, "c", 100, 200)])
    return await runs.get(run_id)


async def test_runs_read_a_moment_ago_are_not_read_again():
    runs, now = CountingRuns(), [0.0]
    views = RunViews(runs, fresh_seconds=0.5, clock=lambda: now[0])
    for run_id in ("a", "b", "c"):
        await planned(runs, run_id)
    # When three rounds run within half a second
    first = await views.active()
    now[0] = 0.2
    await views.active()
    await views.active()
    # Then each run was read once, and the rounds see them oldest first
    assert runs.read == ["a", "b", "c"]
    assert [run.id for run in first] == ["a", "b", "c"]


async def test_a_run_this_replica_folds_is_current_and_another_replicas_catches_up():
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
    # Then the next round sees this replica's fold at once, the other one's not yet
    assert seen["mine"].shards[0].done and not seen["theirs"].shards[0].done
    # And once the moment has passed, it reads the other run again and sees it
    now[0] = 0.7
    seen = {run.id: run for run in await views.active()}
    assert seen["theirs"].shards[0].done
    assert runs.read == ["mine", "theirs", "mine", "theirs"]


async def test_an_ended_run_leaves_the_view_at_the_next_round():
    runs, now = CountingRuns(), [0.0]
    views = RunViews(runs, fresh_seconds=0.5, clock=lambda: now[0])
    await planned(runs, "done")
    await planned(runs, "cancelled")
    await planned(runs, "going")
    await views.active()
    # When one completes here and the gateway cancels another (each move of a run to its
    # end takes it out of the registry of runs under way)
    await runs.move("done", "completed")
    await runs.move("cancelled", "cancelled")
    # Then the next round, a moment later, no longer sees them, without reading any run
    now[0] = 0.1
    assert [run.id for run in await views.active()] == ["going"]
    assert runs.read == ["done", "cancelled", "going"]


async def test_a_kept_run_that_has_ended_is_not_served():
    runs = FakeRunRecords()
    views = RunViews(runs, fresh_seconds=60.0, clock=lambda: 0.0)
    run = await planned(runs, "r")
    await views.active()
    # When this replica keeps the run as a move it made left it: ended, still registered
    views.keep(dataclasses.replace(run, status="failed"))
    # Then no round releases its shards
    assert await views.active() == []

"""A run's status read with its progress kept briefly: within the time kept, the run is read
without its shards and shown with the shards last read; past it, or once its status moved,
it is read whole again; another tenant's run is absent either way."""

import pytest

from tests.unit.fakes import FakeRunRecords
from textmill_gateway.adapters.run_progress import RunProgressReader
from textmill_runs import Run, plan_shards


class CountedRuns(FakeRunRecords):
    """Counts whole reads and reads without shards."""

    def __init__(self) -> None:
        super().__init__()
        self.whole = self.heads = 0

    async def get_own(self, tenant, run_id):
        self.whole += 1
        return await super().get_own(tenant, run_id)

    async def get_own_head(self, tenant, run_id):
        self.heads += 1
        return await super().get_own_head(tenant, run_id)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def planned():
    runs = CountedRuns()
    run = Run(
        id="run-1",
        tenant="t",
        file_id="f",
        columns=["review"],
        chains=["sentiment"],
        status="accepted",
        rows=3_000,
        cells_total=3_000,
    )
    await runs.create(run)
    await runs.record_plan(run.id, plan_shards(3_000, ["review"], 1_000))
    await runs.move(run.id, "running")
    return runs


async def test_within_the_time_kept_the_run_is_read_without_its_shards(planned):
    clock = Clock()
    reader = RunProgressReader(planned, keep_seconds=1.0, clock=clock)
    # Given a run read whole once, then a shard's progress recorded
    first = await reader.get_own("t", "run-1")
    await planned.record_progress("run-1", 0, 1_000, True)
    # When it is read again within the time kept
    clock.now = 0.5
    again = await reader.get_own("t", "run-1")
    # Then it was read without its shards, shown with the progress as first read
    assert (planned.whole, planned.heads) == (1, 1)
    assert again.shards == first.shards and again.status == "running"
    # ...and past the time kept it is read whole, with the progress since
    clock.now = 1.5
    later = await reader.get_own("t", "run-1")
    assert planned.whole == 2 and later.cells_done == 1_000


async def test_a_run_whose_status_moved_is_read_whole_at_once(planned):
    reader = RunProgressReader(planned, keep_seconds=60.0, clock=Clock())
    await reader.get_own("t", "run-1")
    # When every shard is done and the run completed, within the time kept
    for n in range(3):
        await planned.record_progress("run-1", n, 1_000, True)
    await planned.move("run-1", "completed")
    ended = await reader.get_own("t", "run-1")
    # Then the completed run shows all of its cells, never the progress of before
    assert ended.status == "completed" and ended.cells_done == 3_000
    assert planned.whole == 2


async def test_another_tenants_run_is_absent_whether_kept_or_not(planned):
    reader = RunProgressReader(planned, keep_seconds=60.0, clock=Clock())
    assert await reader.get_own("other", "run-1") is None
    await reader.get_own("t", "run-1")
    assert await reader.get_own("other", "run-1") is None


async def test_nothing_is_kept_when_the_time_kept_is_zero(planned):
    reader = RunProgressReader(planned, keep_seconds=0.0, clock=Clock())
    for _ in range(3):
        await reader.get_own("t", "run-1")
    assert (planned.whole, planned.heads) == (3, 0)

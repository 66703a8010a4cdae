"""Large runs kept a second by the gateway: within the time kept a large run is not read
again; past it, or once the gateway cancelled it, it is; a small run is read every time;
another tenant's run is absent whether kept or not."""

import pytest

from tests.unit.fakes import FakeRunRecords
from textmill_gateway.adapters.large_runs import LargeRuns
from textmill_runs import Run, plan_shards


class CountedRuns(FakeRunRecords):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get_own(self, tenant, run_id):
        self.reads += 1
        return await super().get_own(tenant, run_id)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def planned(runs: CountedRuns, run_id: str, shards: int) -> None:
    cells = shards * 1_000
    run = Run(
        id=run_id,
        tenant="t",
        file_id="f",
        columns=["review"],
        chains=["sentiment"],
        status="accepted",
        rows=cells,
        cells_total=cells,
    )
    await runs.create(run)
    await runs.record_plan(run_id, plan_shards(cells, ["review"], 1_000))


@pytest.fixture
async def runs() -> CountedRuns:
    runs = CountedRuns()
    await planned(runs, "large", 8)
    await planned(runs, "small", 1)
    return runs


async def test_a_large_run_is_read_once_within_the_time_kept(runs):
    clock = Clock()
    large = LargeRuns(runs, keep_seconds=1.0, min_shards=8, clock=clock)
    # Given a large run read once, then a shard's progress recorded
    first = await large.get_own("t", "large")
    await runs.record_progress("large", 0, 1_000, True)
    # When it is read again within the time kept, it is the run as first read
    clock.now = 0.9
    assert await large.get_own("t", "large") == first and runs.reads == 1
    # ...and past it, the run with its progress since
    clock.now = 1.0
    assert (await large.get_own("t", "large")).cells_done == 1_000 and runs.reads == 2


async def test_a_small_run_is_read_every_time(runs):
    large = LargeRuns(runs, keep_seconds=60.0, min_shards=8, clock=Clock())
    for _ in range(3):
        await large.get_own("t", "small")
    assert runs.reads == 3


async def test_a_run_the_gateway_cancelled_is_read_afresh(runs):
    large = LargeRuns(runs, keep_seconds=60.0, min_shards=8, clock=Clock())
    await large.get_own("t", "large")
    await runs.move("large", "cancelled")
    large.forget("large")
    assert (await large.get_own("t", "large")).status == "cancelled"


async def test_another_tenants_run_is_absent_whether_kept_or_not(runs):
    large = LargeRuns(runs, keep_seconds=60.0, min_shards=8, clock=Clock())
    assert await large.get_own("other", "large") is None
    await large.get_own("t", "large")
    assert await large.get_own("other", "large") is None


async def test_nothing_is_kept_when_the_time_kept_is_zero(runs):
    large = LargeRuns(runs, keep_seconds=0.0, min_shards=8, clock=Clock())
    for _ in range(3):
        await large.get_own("t", "large")
    assert runs.reads == 3


async def test_no_more_runs_are_kept_than_the_bound(runs):
    await planned(runs, "large-2", 8)
    large = LargeRuns(runs, keep_seconds=60.0, min_shards=8, max_runs=1, clock=Clock())
    await large.get_own("t", "large")
    await large.get_own("t", "large-2")  # "large" is dropped to keep one
    await large.get_own("t", "large")
    assert runs.reads == 3

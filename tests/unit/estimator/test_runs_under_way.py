"""The estimator's shared read of the runs under way: one read for a burst of estimates,
a new one once it is stale, and a failed read never kept."""

import asyncio

import pytest

from textmill_estimator.adapters.runs_under_way import RunsUnderWay


class Reads:
    """Counts the reads; each answers its number, after a moment (so callers overlap)."""

    def __init__(self, fail_first: bool = False) -> None:
        self.count, self._fail_first = 0, fail_first

    async def __call__(self) -> list:
        self.count += 1
        await asyncio.sleep(0.01)
        if self._fail_first and self.count == 1:
            raise ConnectionError("the store did not answer")
        return [self.count]


async def test_estimates_of_a_burst_share_one_read():
    # Given a fresh view (clock at 0)
    reads, now = Reads(), [0.0]
    runs = RunsUnderWay(reads, fresh_seconds=1.0, clock=lambda: now[0])
    # When 50 estimates ask at once, and 5 more half a second later
    first = await asyncio.gather(*(runs.active() for _ in range(50)))
    now[0] = 0.5
    later = [await runs.active() for _ in range(5)]
    # Then all were answered from the one read
    assert reads.count == 1
    assert {tuple(r) for r in first + later} == {(1,)}


async def test_a_stale_view_is_read_again():
    reads, now = Reads(), [0.0]
    runs = RunsUnderWay(reads, fresh_seconds=1.0, clock=lambda: now[0])
    assert await runs.active() == [1]
    # When more than `fresh_seconds` have passed
    now[0] = 1.5
    # Then the next estimate reads the runs again
    assert await runs.active() == [2]
    assert reads.count == 2


async def test_a_failed_read_is_not_kept():
    # Given a store whose first read fails
    reads = Reads(fail_first=True)
    runs = RunsUnderWay(reads, fresh_seconds=60.0, clock=lambda: 0.0)
    # When two estimates ask: the first gets the error
    with pytest.raises(ConnectionError):
        await runs.active()
    # Then the next one reads again, though the failed read is not stale
    assert await runs.active() == [2]

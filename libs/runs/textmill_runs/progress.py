"""A run's progress, folded from what it knows of its shards: the coordinator publishes
it, the gateway shows it. Pure: the clock is an argument."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ShardCount(Protocol):
    column: str
    total: int
    cells: int
    done: bool


@dataclass(frozen=True)
class RunProgress:
    cells_done: int
    cells_total: int
    columns: dict[str, tuple[int, int]]  # column -> (done, total)
    shards_done: int
    shards_total: int
    rate_cells_per_s: float | None
    eta_seconds: float | None

    @property
    def complete(self) -> bool:
        return self.shards_done == self.shards_total


def fold_progress(
    shards: Mapping[int, ShardCount], started_at: datetime | None, now: datetime
) -> RunProgress:
    """Cells done and total, per column and in all; the rate since `started_at` and the
    time left at that rate."""
    columns: dict[str, tuple[int, int]] = {}
    done_shards = 0
    for shard in shards.values():
        done, total = columns.get(shard.column, (0, 0))
        columns[shard.column] = (done + min(shard.total, shard.cells), total + shard.total)
        done_shards += bool(shard.done)
    cells_done = sum(done for done, _ in columns.values())
    cells_total = sum(total for _, total in columns.values())
    rate = eta = None
    if started_at is not None and cells_done:
        elapsed = (now - started_at).total_seconds()
        if elapsed > 0:
            rate = round(cells_done / elapsed, 1)
            eta = round((cells_total - cells_done) / rate, 1) if rate else None
    return RunProgress(cells_done, cells_total, columns, done_shards, len(shards), rate, eta)


def blended_eta(
    progress: RunProgress, *, recent_rate: float | None, estimated_left: float | None
) -> float | None:
    """The time left: at the recent rate (else the rate since the start), weighed against
    what the run's estimate leaves, the estimate counting for less as cells get done."""
    rate = recent_rate or progress.rate_cells_per_s
    left = progress.cells_total - progress.cells_done
    measured = round(left / rate, 1) if rate else None
    if estimated_left is None or not progress.cells_total:
        return measured
    if measured is None:
        return round(max(0.0, estimated_left), 1)
    done = progress.cells_done / progress.cells_total
    return round(done * measured + (1 - done) * max(0.0, estimated_left), 1)


class RecentRate:
    """Cells a second over the last `window` seconds of a run's progress; None until the
    samples span a second. `now` is when the progress happened (the event's time, not its
    arrival: a coordinator catching up on a backlog of events would see a burst), held
    non-decreasing, as events of several workers come out of order."""

    def __init__(self, window: float = 5.0) -> None:
        self._window = window
        self._samples: list[tuple[float, int]] = []

    def add(self, now: float, cells_done: int) -> float | None:
        if self._samples:
            now = max(now, self._samples[-1][0])
        self._samples = [(t, c) for t, c in self._samples if t >= now - self._window]
        self._samples.append((now, cells_done))
        (first, cells_then), (last, cells_now) = self._samples[0], self._samples[-1]
        if last - first < 1.0:
            return None
        return round(max(0, cells_now - cells_then) / (last - first), 1)

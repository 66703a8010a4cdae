"""A run's progress, folded from the `shards` map of its document ({n: {column, total, cells,
done}}), which the coordinator keeps up to date: the coordinator publishes it, the gateway
shows it. Pure: the clock is an argument."""

from dataclasses import dataclass
from datetime import datetime


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
    shards: dict[str, dict], started_at: datetime | None, now: datetime
) -> RunProgress:
    """Run progress from the run document's `shards` map ({n: {column, total, cells, done}})."""
    columns: dict[str, tuple[int, int]] = {}
    done_shards = 0
    for shard in shards.values():
        done, total = columns.get(shard["column"], (0, 0))
        cells = min(shard["total"], shard.get("cells", 0))
        columns[shard["column"]] = (done + cells, total + shard["total"])
        done_shards += bool(shard.get("done"))
    cells_done = sum(done for done, _ in columns.values())
    cells_total = sum(total for _, total in columns.values())
    rate = eta = None
    if started_at is not None and cells_done:
        elapsed = (now - started_at).total_seconds()
        if elapsed > 0:
            rate = round(cells_done / elapsed, 1)
            eta = round((cells_total - cells_done) / rate, 1) if rate else None
    return RunProgress(cells_done, cells_total, columns, done_shards, len(shards), rate, eta)

"""Planning a run into shards and folding shard progress into run progress. Pure: no I/O,
the clock is an argument.

A shard is one column × a contiguous row range. It should take a few seconds on one
worker process: long enough that per-shard overhead (a Kafka message, opening the file,
seeking to the range) is small, short enough that progress moves, work spreads over
every worker and a lost worker costs little. Shard rows therefore follow the slowest
chain asked for, from single-process speeds measured on review-length texts.
"""

from dataclasses import dataclass
from datetime import datetime

from textmill_infra.runs import RESULT_BATCH

# Cells per second of one worker process, per chain (measured on 30-300 character reviews;
# `make bench` prints the current figures). Unknown chains count as the slowest.
CHAIN_CELLS_PER_SECOND = {
    "sentiment": 12_000.0,
    "language": 4_000.0,
    "keywords": 1_200.0,
    "pii": 15_000.0,
    "stats": 40_000.0,
}
TARGET_SHARD_SECONDS = 3.0
MIN_SHARD_ROWS, MAX_SHARD_ROWS = RESULT_BATCH, 10_000


@dataclass(frozen=True)
class ShardPlan:
    n: int
    column: str
    start: int
    end: int

    @property
    def cells(self) -> int:
        return self.end - self.start


def chain_seconds_per_cell(chains: list[str]) -> float:
    slowest = min(CHAIN_CELLS_PER_SECOND.values())
    return sum(1.0 / CHAIN_CELLS_PER_SECOND.get(chain, slowest) for chain in chains)


def shard_rows_for(chains: list[str], target_seconds: float = TARGET_SHARD_SECONDS) -> int:
    """Rows per shard: a multiple of the result batch, so that shards and checkpoints fall
    on batch boundaries and every stored batch belongs to one shard."""
    rows = int(target_seconds / chain_seconds_per_cell(chains))
    rows -= rows % RESULT_BATCH
    return max(MIN_SHARD_ROWS, min(MAX_SHARD_ROWS, rows))


def plan_shards(rows: int, columns: list[str], shard_rows: int) -> list[ShardPlan]:
    """Every (column, row) of the selection in exactly one shard, column by column."""
    if shard_rows < 1:
        raise ValueError(f"shard_rows must be positive, not {shard_rows}")
    plans: list[ShardPlan] = []
    for column in columns:
        for start in range(0, rows, shard_rows):
            plans.append(ShardPlan(len(plans), column, start, min(rows, start + shard_rows)))
    return plans


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

"""Planning a run into shards.

A shard is one column × a contiguous row range. It should take a few seconds on one
worker process: long enough that its overhead (a Kafka message, opening the file, seeking
to the range) is small, short enough that progress moves, work spreads over every worker
and a lost worker costs little. Its rows therefore follow the slowest chain asked for.
"""

from dataclasses import dataclass

from textmill_runs.batches import RESULT_BATCH

# Cells per second of one worker process, per chain, on review-length texts (`make bench`
# prints today's figures). Unknown chains count as the slowest.
CHAIN_CELLS_PER_SECOND = {
    "sentiment": 40_000.0,
    "language": 4_000.0,
    "keywords": 1_200.0,
    "pii": 15_000.0,
    "stats": 40_000.0,
}
# A run started behind a shard under way waits for the rest of it, and for the next one too
# when it was past three quarters: at most 1.25 shards (docs/scheduling.md). At 1.5 s, that
# stays under the two seconds a small run may wait once shards take what they are planned to.
TARGET_SHARD_SECONDS = 1.5
# At most 1.5 s of sentiment: what a worker keeps of a range's other columns for
# their shards (64 MB of siblings) still holds two columns of review-length texts.
MIN_SHARD_ROWS, MAX_SHARD_ROWS = RESULT_BATCH, 60_000
# Rows without a cell cost a read, not a chain: a nearly empty column's shards are not
# made larger than this share says.
MIN_CELL_SHARE = 0.1


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


def shard_rows_for(
    chains: list[str],
    target_seconds: float = TARGET_SHARD_SECONDS,
    *,
    cells_per_second: float | None = None,
    cell_share: float = 1.0,
) -> int:
    """Rows per shard: from the cells a second that shards of these chains and texts were
    measured at (`pace.ShardPace`) when known, else from the chains' planned speed; a multiple
    of the result batch, so that shards and checkpoints fall on batch boundaries and every
    stored batch belongs to one shard. `cell_share`: the share of rows holding a cell."""
    speed = cells_per_second or 1.0 / chain_seconds_per_cell(chains)
    rows = int(target_seconds * speed / max(cell_share, MIN_CELL_SHARE))
    rows -= rows % RESULT_BATCH
    return max(MIN_SHARD_ROWS, min(MAX_SHARD_ROWS, rows))


def plan_shards(rows: int, columns: list[str], shard_rows: int) -> list[ShardPlan]:
    """Every (column, row) of the selection in exactly one shard, numbered row range by row
    range with each range's columns together: shards go out in that order, so a worker that
    read a range for one column (and its siblings with it) still holds the others' values
    when their shards come."""
    if shard_rows < 1:
        raise ValueError(f"shard_rows must be positive, not {shard_rows}")
    plans: list[ShardPlan] = []
    for start in range(0, rows, shard_rows):
        for column in columns:
            plans.append(ShardPlan(len(plans), column, start, min(rows, start + shard_rows)))
    return plans

"""How fast shards really go, so that a planned 1.5-s shard takes about 1.5 s.

The planner's chain speeds (`plan.CHAIN_CELLS_PER_SECOND`) are constants for review-length
texts on a quiet machine. On a machine running the chains 1.6 times slower, every shard of
80,000 titles planned at 2 s took 3.5 s, and a run arriving behind one waits about three
quarters of a shard (docs/scheduling.md). So the coordinator keeps, by the run's chains and
the length of the column's texts, the seconds a cell that completed shards took, and plans
from it once it has one.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textmill_runs.cell_text import analysable
from textmill_runs.model import ShardState
from textmill_runs.plan import TARGET_SHARD_SECONDS, shard_rows_for

# A shard shorter than this is mostly its fixed costs (a claim, the first read, the last
# store and publish: ~45 ms), which would make its cells look slow.
MIN_OBSERVED_SECONDS = 0.25
MIN_OBSERVED_SHARE = 0.5  # of a shard's rows holding a cell
NEWEST_WEIGHT = 0.5  # of a shard that took the target time; a shorter one weighs less


def length_bucket(chars_per_cell: float) -> int:
    """Cells' lengths by powers of two of characters: titles, tweets, reviews and 2 KB
    texts fall in different buckets, and the chains' cost grows with length."""
    return int(math.log2(max(1.0, chars_per_cell)))


def pace_key(chains: Iterable[str], chars_per_cell: float) -> str:
    """What shards are alike in: the run's chains (in any order) and their texts' length."""
    return f"{'+'.join(sorted(set(chains)))}@{length_bucket(chars_per_cell)}"


@dataclass(frozen=True)
class ColumnLength:
    """A column's sampled rows: how many hold a cell to analyse and how long those are."""

    rows: int = 0
    cells: int = 0
    chars: int = 0

    @classmethod
    def of(cls, values: Iterable[object]) -> "ColumnLength":
        rows = cells = chars = 0
        for value in values:
            rows += 1
            if (text := analysable(value)) is not None:
                cells += 1
                chars += len(text)
        return cls(rows, cells, chars)

    @property
    def chars_per_cell(self) -> float:
        return self.chars / self.cells if self.cells else 0.0

    @property
    def cell_share(self) -> float:
        """The share of rows holding a cell; 1 for an empty sample."""
        return self.cells / self.rows if self.rows else 1.0


@dataclass(frozen=True)
class ShardPace:
    seconds_per_cell: float
    shards: int = 1

    @property
    def cells_per_second(self) -> float:
        return 1.0 / self.seconds_per_cell

    def as_dict(self) -> dict[str, float | int]:
        return {"seconds_per_cell": self.seconds_per_cell, "shards": self.shards}

    @classmethod
    def from_dict(cls, data: dict) -> "ShardPace":
        return cls(float(data["seconds_per_cell"]), int(data["shards"]))


def pace_keys(chains: list[str], lengths: Mapping[str, ColumnLength]) -> dict[str, list[str]]:
    """Each column's pace keys, in the order to use them: its length's bucket, then the
    neighbouring one its mean is nearer to (a mean by a bucket's edge may fall either side of
    it in a shard's cells)."""
    keys = {}
    for column, length in lengths.items():
        bucket = length_bucket(length.chars_per_cell)
        nearer = bucket + 1 if length.chars_per_cell >= 2 ** (bucket + 0.5) else bucket - 1
        keys[column] = [pace_key(chains, 2.0**b) for b in (bucket, nearer) if b >= 0]
    return keys


def paced_shard_rows(
    chains: list[str], lengths: Mapping[str, ColumnLength], paces: Mapping[str, ShardPace]
) -> int:
    """Rows per shard of a run over the columns of `lengths`: the fewest any column needs,
    at its first pace in `paces` (by `pace_keys`) or, none, at the chains' planned speed."""
    keys = pace_keys(chains, lengths)
    return min(
        shard_rows_for(
            chains,
            cells_per_second=next(
                (paces[key].cells_per_second for key in keys[column] if key in paces), None
            ),
            cell_share=length.cell_share,
        )
        for column, length in lengths.items()
    )


def measures_pace(
    shards: Mapping[int, ShardState], n: int, columns: int, *, rows: int, cells: int
) -> bool:
    """Whether shard `n` of a run, done after analysing `rows` rows holding `cells` cells,
    says its kind's pace: a full row range of a run planned in several (a cut range's time is
    mostly fixed costs), analysed from its start (not resumed from a checkpoint), of a
    column at least half full (empty rows cost a read: the pace is of full columns)."""
    total = shards[n].total
    return (
        len(shards) > columns
        and total == shards[0].total
        and rows == total
        and cells >= MIN_OBSERVED_SHARE * rows
    )


def observe(
    pace: ShardPace | None, cells: int, seconds: float, target: float = TARGET_SHARD_SECONDS
) -> ShardPace | None:
    """`pace` after a completed shard of `cells` cells that took `seconds`: newer shards
    weigh more (the machine's load moves), a shard as long as the target the most."""
    if cells <= 0 or seconds < MIN_OBSERVED_SECONDS:
        return pace
    per_cell = seconds / cells
    if pace is None:
        return ShardPace(per_cell)
    weight = NEWEST_WEIGHT * min(1.0, seconds / target)
    mixed = (1 - weight) * pace.seconds_per_cell + weight * per_cell
    return ShardPace(mixed, pace.shards + 1)

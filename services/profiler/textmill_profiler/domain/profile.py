"""Profiling a whole table: one streaming pass over the rows, then statistics and ranking.

Memory is bounded by the number of columns, never by the number of rows: each column
holds at most a 2,000-value reservoir and a 10,000-entry distinct tracker.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from textmill_contracts.events import CandidateScore, ColumnStats
from textmill_profiler.domain.scoring import rank_candidates
from textmill_profiler.domain.stats import ColumnAccumulator

# Bump whenever statistics or scoring change: the profile cache is keyed on it.
PROFILER_VERSION = "1.2.0"  # 1.1: language guess per text column; 1.2: structure signals
_BATCH_ROWS = 1_000


class RaggedRowError(ValueError):
    """A row whose number of cells differs from the header's."""

    code = "malformed_file"

    def __init__(self, row_number: int, cells: int, expected: int) -> None:
        super().__init__(f"row {row_number} has {cells} cells, the header has {expected}")
        self.row_number = row_number


@dataclass(frozen=True)
class TableProfile:
    rows: int
    columns: list[ColumnStats]
    candidates: list[CandidateScore]


class TableProfiler:
    """Accumulates rows as they stream in; `finish` turns them into a `TableProfile`."""

    def __init__(self, header: list[str], *, seed: int = 0) -> None:
        self.header = list(header)
        self.rows = 0
        # A distinct seed per column keeps the columns' samples independent.
        self.accumulators = [
            ColumnAccumulator(seed=f"{seed}/{position}") for position in range(len(header))
        ]

    def add_rows(self, rows: Iterable[list[str]]) -> None:
        # Rows are taken in batches and turned into columns, so each column's accumulator
        # runs once per batch: a third of the per-cell cost of a call per cell.
        width = len(self.header)
        rows = iter(rows)
        while batch := list(islice(rows, _BATCH_ROWS)):
            for offset, row in enumerate(batch):
                if len(row) != width:
                    # Row 1 is the header, so the first data row is row 2 of the file.
                    raise RaggedRowError(self.rows + offset + 2, len(row), width)
            self.rows += len(batch)
            for accumulator, cells in zip(self.accumulators, zip(*batch, strict=True), strict=True):
                accumulator.add_many(cells)

    def finish(self, *, samples_per_column: int = 5) -> TableProfile:
        summaries = [
            accumulator.summarise(name, position, samples=samples_per_column)
            for position, (name, accumulator) in enumerate(
                zip(self.header, self.accumulators, strict=True)
            )
        ]
        return TableProfile(
            rows=self.rows,
            columns=[summary.stats for summary in summaries],
            candidates=rank_candidates(summaries),
        )


def profile_table(
    header: list[str],
    rows: Iterable[list[str]],
    *,
    samples_per_column: int = 5,
    seed: int = 0,
) -> TableProfile:
    """Statistics of every column and the ranking of text candidates, in one pass."""
    profiler = TableProfiler(header, seed=seed)
    profiler.add_rows(rows)
    return profiler.finish(samples_per_column=samples_per_column)

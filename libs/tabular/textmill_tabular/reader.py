"""What every format reader offers, and the limits that keep its memory bounded.

A new format is one more TableReader subclass in its own module, registered in table.py.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Self

from textmill_tabular.detection import Dialect
from textmill_tabular.errors import TooLarge
from textmill_tabular.row_index import Checkpoint, Position, RowIndex


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Bounds on one table; `max_row_chars` also bounds the memory one record can take."""

    max_columns: int = 1000
    max_field_chars: int = 1_000_000
    max_row_chars: int = 8_000_000

    def __post_init__(self) -> None:
        if min(self.max_columns, self.max_field_chars, self.max_row_chars) < 1:
            raise ValueError(f"limits must be positive: {self}")
        if self.max_row_chars < self.max_field_chars:
            raise ValueError(
                f"max_row_chars ({self.max_row_chars:,}) must be at least "
                f"max_field_chars ({self.max_field_chars:,})"
            )


class TableReader(ABC):
    """An open table: use it as a context manager; `rows()` streams once."""

    dialect: Dialect
    header: list[str]

    @abstractmethod
    def rows(self) -> Iterator[list[str]]:
        """Data rows (not the header), lazily, each exactly `len(header)` long."""

    @abstractmethod
    def close(self) -> None:
        """Release the file."""

    def positioned_rows(self) -> Iterator[tuple[Position | None, list[str]]]:
        """Data rows with where each starts, for formats that can resume there (else None)."""
        return ((None, row) for row in self.rows())

    def read_range(
        self, start: int, end: int | None, positions: list[int], index: RowIndex | None
    ) -> Iterator[tuple[int, list[str]]]:
        """Data rows [start, end) numbered from 0, keeping the columns at `positions`.

        Resumes at the index's last checkpoint before `start` when the format can seek; else
        scans from the first row (and stops at `end` either way).
        """
        checkpoint = index.checkpoint_for(start) if index else None
        first = 0
        if checkpoint is not None and checkpoint.row > 0 and self._resume(checkpoint):
            first = checkpoint.row
        numbered = enumerate(self.rows(), start=first)
        window = islice(numbered, start - first, None if end is None else max(end - first, 0))
        return ((number, [row[i] for i in positions]) for number, row in window)

    def _resume(self, checkpoint: Checkpoint) -> bool:
        """Make `rows()` continue at `checkpoint`; False when the format cannot seek."""
        return False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def check_width(names: list[str], limits: Limits) -> None:
    if len(names) > limits.max_columns:
        raise TooLarge(
            f"the header has {len(names):,} columns; the limit is {limits.max_columns:,}"
        )


def check_cells(row: list[str], header: list[str], limits: Limits, where: str, number: int) -> None:
    """TooLarge for a cell over `max_field_chars` or a row over `max_row_chars`."""
    total = 0
    for name, cell in zip(header, row, strict=True):
        total += len(cell)
        if len(cell) > limits.max_field_chars:
            raise TooLarge(
                f"{where}, column '{name}' holds {len(cell):,} characters; the limit is "
                f"{limits.max_field_chars:,}",
                row=number,
                column=name,
            )
    if total > limits.max_row_chars:
        raise TooLarge(
            f"{where} holds {total:,} characters; the limit is {limits.max_row_chars:,}",
            row=number,
        )


def unique_names(raw: list[str]) -> list[str]:
    """Header names made unique, deterministically.

    A blank name becomes `column_<position>` (1-based); a repeated name becomes `name_2`,
    `name_3`... Generated names step around names the file itself uses, so real names survive.
    """
    real = {name for name in raw if name.strip()}
    taken: set[str] = set()
    names: list[str] = []
    for position, name in enumerate(raw, start=1):
        generated = not name.strip()
        candidate = f"column_{position}" if generated else name
        if candidate in taken or (generated and candidate in real):
            candidate = _next_free(candidate, taken | real)
        taken.add(candidate)
        names.append(candidate)
    return names


def _next_free(name: str, used: set[str]) -> str:
    number = 2
    while f"{name}_{number}" in used:
        number += 1
    return f"{name}_{number}"

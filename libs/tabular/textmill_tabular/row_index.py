"""Sparse checkpoints into a text table, so that a worker can read rows [start, end) with a seek.

A RowIndex is computed once per file (`build_row_index`), stored as a plain dict (MongoDB) and
handed to every `read_rows` call on that file. For CSV/TSV a checkpoint is the start of a
record, never of a line inside a quoted multi-line cell.
"""

import bisect
import json
from dataclasses import asdict, dataclass
from typing import Any, get_args

from textmill_tabular.detection import Dialect, Format

INDEX_VERSION = 1


@dataclass(frozen=True)
class Position:
    """Where a record starts: its byte offset, and the records and lines before it.

    The counts keep error messages exact (spreadsheet row numbers, physical lines) after a seek.
    """

    offset: int
    record: int
    line: int


@dataclass(frozen=True)
class Checkpoint:
    """Data row `row` (0-based, header and blank lines not counted) starts at `position`."""

    row: int
    position: Position


@dataclass(frozen=True)
class RowIndex:
    """Checkpoints every `every` data rows of one file, and that file's row count.

    `size` and `dialect` identify the file the index was built for. Parquet, JSON arrays and
    Excel workbooks get an index without checkpoints: it still carries the row count.
    """

    dialect: Dialect
    size: int
    rows: int
    every: int
    checkpoints: tuple[Checkpoint, ...] = ()

    def checkpoint_for(self, row: int) -> Checkpoint | None:
        """The last checkpoint at or before data row `row`."""
        at = bisect.bisect_right([c.row for c in self.checkpoints], row)
        return self.checkpoints[at - 1] if at else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/BSON-friendly data; `from_dict` reads it back."""
        return {
            "version": INDEX_VERSION,
            "dialect": asdict(self.dialect),
            "size": self.size,
            "rows": self.rows,
            "every": self.every,
            # [row, offset, record, line]: compact, ~24k entries for 100M rows at every=4096
            "checkpoints": [
                [c.row, c.position.offset, c.position.record, c.position.line]
                for c in self.checkpoints
            ],
        }

    def to_json(self) -> str:
        """As JSON text: stores without nested arrays (FerretDB) keep it as one string."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> "RowIndex":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RowIndex":
        """Raises ValueError for data that is not a row index of this version."""
        try:
            if data["version"] != INDEX_VERSION:
                raise ValueError(f"row index version {data['version']!r} is not {INDEX_VERSION}")
            dialect = Dialect(**data["dialect"])
            if dialect.format not in get_args(Format):
                raise ValueError(f"unknown format {dialect.format!r}")
            checkpoints = tuple(
                Checkpoint(row=int(row), position=Position(int(offset), int(record), int(line)))
                for row, offset, record, line in data["checkpoints"]
            )
            return cls(
                dialect=dialect,
                size=int(data["size"]),
                rows=int(data["rows"]),
                every=int(data["every"]),
                checkpoints=checkpoints,
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a row index: {exc!r}") from exc

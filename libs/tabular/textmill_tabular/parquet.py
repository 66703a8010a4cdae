"""Streaming reader for Parquet files: record batches of BATCH_ROWS rows, never the whole file.

A row range reads only the row groups that overlap it (their row counts are in the footer) and
only the columns asked for.
"""

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from textmill_tabular.cells import cell_text
from textmill_tabular.detection import Dialect
from textmill_tabular.errors import MalformedFile
from textmill_tabular.reader import Limits, TableReader, check_cells, check_width, unique_names
from textmill_tabular.row_index import RowIndex

BATCH_ROWS = 1024


class ParquetReader(TableReader):
    """Row numbers in errors are 1-based data rows (Parquet has no header row)."""

    def __init__(self, path: Path, dialect: Dialect, limits: Limits) -> None:
        self.dialect = dialect
        self._limits = limits
        self._file = path.open("rb")
        try:
            self._parquet = _parquet_file(self._file)
            self._names = self._parquet.schema_arrow.names
            check_width(self._names, limits)
            self.header = unique_names(self._names)
        except BaseException:
            self.close()
            raise

    def rows(self) -> Iterator[list[str]]:
        everything = list(range(len(self.header)))
        for _, row in self._numbered(range(self._parquet.num_row_groups), everything, 0):
            yield row

    def read_range(
        self, start: int, end: int | None, positions: list[int], index: RowIndex | None
    ) -> Iterator[tuple[int, list[str]]]:
        groups, first = self._groups_between(start, end)
        for number, row in self._numbered(groups, positions, first):
            if end is not None and number >= end:
                return
            if number >= start:
                yield number, row

    def close(self) -> None:
        self._file.close()

    def _groups_between(self, start: int, end: int | None) -> tuple[list[int], int]:
        """The row groups overlapping [start, end), and the number of the first one's first row."""
        metadata = self._parquet.metadata
        groups: list[int] = []
        first = row = 0
        for group in range(metadata.num_row_groups):
            count = metadata.row_group(group).num_rows
            if row + count > start and (end is None or row < end) and count:
                if not groups:
                    first = row
                groups.append(group)
            row += count
        return groups, first

    def _numbered(
        self, groups: list[int] | range, positions: list[int], first: int
    ) -> Iterator[tuple[int, list[str]]]:
        header = [self.header[i] for i in positions]
        number = first
        for size, arrays in self._batches(groups, positions):
            columns = [[cell_text(value) for value in array.to_pylist()] for array in arrays]
            for row in zip(*columns, strict=True) if columns else [()] * size:
                cells = list(row)
                check_cells(cells, header, self._limits, f"row {number + 1:,}", number + 1)
                yield number, cells
                number += 1

    def _batches(
        self, groups: list[int] | range, positions: list[int]
    ) -> Iterator[tuple[int, list[pa.Array]]]:
        """Each batch as (rows, the arrays of the columns at `positions`, in that order)."""
        if not groups:
            return
        wanted = [self._names[i] for i in positions]
        counts = Counter(self._names)
        by_name = all(counts[name] == 1 for name in wanted)
        try:
            batches = self._parquet.iter_batches(
                batch_size=BATCH_ROWS, row_groups=list(groups), columns=wanted if by_name else None
            )
            for batch in batches:
                if by_name:
                    yield batch.num_rows, [batch.column(name) for name in wanted]
                else:  # repeated names: read every column and pick by position
                    yield batch.num_rows, [batch.column(i) for i in positions]
        except (pa.ArrowException, OSError) as exc:
            raise MalformedFile(f"the Parquet file cannot be read: {exc}") from exc


def _parquet_file(source: object) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise MalformedFile(f"the Parquet file cannot be read: {exc}") from exc

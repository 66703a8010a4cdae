"""A sample of a file's columns: a few windows of rows spread over it, read through its row
index, so that a sample never reads the whole file. The estimator samples a run's columns
for an estimate, the coordinator for the length of their texts as it plans."""

from pathlib import Path

from textmill_tabular.row_index import RowIndex
from textmill_tabular.row_ranges import read_rows

WINDOWS, WINDOW_ROWS = 8, 64


def sample_windows(
    rows: int, windows: int = WINDOWS, window_rows: int = WINDOW_ROWS
) -> list[tuple[int, int]]:
    """Row ranges [start, end) to read: the whole file when it is small, else `windows`
    ranges of `window_rows` spread evenly from its first row to its last."""
    if rows <= windows * window_rows:
        return [(0, rows)] if rows else []
    last = rows - window_rows
    starts = sorted({i * last // (windows - 1) for i in range(windows)})
    return [(start, start + window_rows) for start in starts]


def read_sample(
    path: Path, filename: str | None, *, columns: list[str], index: RowIndex
) -> dict[str, list[str]]:
    """Each of `columns`' values in the rows of `sample_windows`, in the file's order;
    `path` a file or a stored file's source, as for `read_rows`."""
    values: dict[str, list[str]] = {column: [] for column in columns}
    for start, end in sample_windows(index.rows):
        rows = read_rows(path, filename, columns=columns, start=start, end=end, index=index)
        try:
            for _, row in rows:
                for column, value in zip(columns, row, strict=True):
                    values[column].append(value)
        finally:
            rows.close()
    return values

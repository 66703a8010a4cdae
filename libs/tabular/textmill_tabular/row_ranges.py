"""Reading one shard of a table, rows [start, end), without parsing the rows before it.

Workers call `read_rows` once per shard. CSV, TSV and JSON Lines seek to the last checkpoint of
a RowIndex (built once per file by `build_row_index`) and parse from there; Parquet skips to the
row groups holding the range and reads only the columns asked for; JSON arrays and Excel
workbooks are scanned from their start (they have no line structure to seek by), stopping at
`end`. Without an index, CSV/TSV/JSON Lines are scanned from the start too.
"""

from collections.abc import Iterator
from pathlib import Path

from textmill_tabular.errors import UnknownColumn
from textmill_tabular.reader import TableReader
from textmill_tabular.row_index import Checkpoint, RowIndex
from textmill_tabular.table import TableShape, open_table

DEFAULT_EVERY = 4096
_LISTED_COLUMNS = 20


def build_row_index(
    path: Path,
    filename: str | None = None,
    *,
    every: int = DEFAULT_EVERY,
    sheet: str | None = None,
    **limits: int,
) -> RowIndex:
    """Count the data rows in one streaming pass, noting where every `every`th one starts.

    `sheet` and `limits` are `open_table`'s."""
    return validate_and_index(path, filename, every=every, sheet=sheet, **limits)[1]


def validate_and_index(
    path: Path,
    filename: str | None = None,
    *,
    every: int = DEFAULT_EVERY,
    sheet: str | None = None,
    **limits: int,
) -> tuple[TableShape, RowIndex]:
    """`validate` and `build_row_index` in one streaming pass (the gateway, on upload: the
    file is local then, and a run needs no second read of it to plan its shards)."""
    if every < 1:
        raise ValueError(f"every must be positive, not {every}")
    checkpoints: list[Checkpoint] = []
    rows = 0
    with open_table(path, filename, sheet=sheet, **limits) as table:
        for row, (position, _) in enumerate(table.positioned_rows()):
            if position is not None and row % every == 0:
                checkpoints.append(Checkpoint(row=row, position=position))
            rows = row + 1
        dialect, header = table.dialect, tuple(table.header)
    shape = TableShape(rows=rows, columns=len(header), dialect=dialect, header=header)
    index = RowIndex(
        dialect=dialect,
        size=path.stat().st_size,
        rows=rows,
        every=every,
        checkpoints=tuple(checkpoints),
    )
    return shape, index


def read_rows(
    path: Path,
    filename: str | None = None,
    *,
    columns: list[str] | None = None,
    start: int = 0,
    end: int | None = None,
    index: RowIndex | None = None,
    sheet: str | None = None,
    **limits: int,
) -> Iterator[tuple[int, list[str]]]:
    """(data row number from 0, values of `columns` in that order) for rows [start, end).

    `columns` defaults to all; `sheet` and `limits` are `open_table`'s. The file is opened,
    and unknown columns (UnknownColumn) or an index built for another file (ValueError)
    refused, before this returns; the file closes when the iterator is exhausted or closed.
    """
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"invalid row range [{start}, {end})")
    table = open_table(path, filename, sheet=sheet, **limits)
    try:
        positions = _positions(table.header, columns)
        if index is not None:
            _check_index(index, path, table)
    except BaseException:
        table.close()
        raise
    return _streamed(table, table.read_range(start, end, positions, index))


def _streamed(
    table: TableReader, rows: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    with table:
        yield from rows


def _positions(header: list[str], columns: list[str] | None) -> list[int]:
    if columns is None:
        return list(range(len(header)))
    where = {name: position for position, name in enumerate(header)}
    unknown = [name for name in columns if name not in where]
    if unknown:
        listed = ", ".join(f"'{name}'" for name in header[:_LISTED_COLUMNS])
        hidden = len(header) - _LISTED_COLUMNS
        more = f" and {hidden:,} more" if hidden > 0 else ""
        raise UnknownColumn(
            f"no column named {', '.join(repr(name) for name in unknown)}; the columns are "
            f"{listed}{more}",
            column=unknown[0],
        )
    return [where[name] for name in columns]


def _check_index(index: RowIndex, path: Path, table: TableReader) -> None:
    size = path.stat().st_size
    if index.size != size or index.dialect != table.dialect:
        raise ValueError(
            f"the row index was built for another file ({index.size:,} bytes, "
            f"{index.dialect}), not this one ({size:,} bytes, {table.dialect})"
        )

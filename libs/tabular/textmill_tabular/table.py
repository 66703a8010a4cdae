"""Opening a table whatever its format, and validating an upload in one streaming pass."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textmill_tabular.delimited import DelimitedReader
from textmill_tabular.detection import Dialect, detect
from textmill_tabular.reader import Limits, TableReader

HEAD_BYTES = 64 * 1024

ReaderFactory = Callable[[Path, Dialect, Limits], TableReader]
# A new format is one more reader module, registered here under its Dialect.format.
_READERS: dict[str, ReaderFactory] = {"csv": DelimitedReader, "tsv": DelimitedReader}


@dataclass(frozen=True)
class TableShape:
    """What validation learned: data rows (header excluded), columns and how the file is written."""

    rows: int
    columns: int
    dialect: Dialect


def open_table(
    path: Path,
    filename: str | None = None,
    *,
    max_columns: int = 1000,
    max_field_chars: int = 1_000_000,
    max_row_chars: int = 8_000_000,
) -> TableReader:
    """Detect the file's dialect and open it for streaming; use the result as a context manager.

    `filename` is the user's name for the file (defaults to `path.name`); it only breaks ties
    in detection and names the file in messages. Raises the TabularError subclasses.
    """
    limits = Limits(
        max_columns=max_columns, max_field_chars=max_field_chars, max_row_chars=max_row_chars
    )
    with path.open("rb") as raw:
        head = raw.read(HEAD_BYTES)
    dialect = detect(head, path.name if filename is None else filename)
    return _READERS[dialect.format](path, dialect, limits)


def validate(
    path: Path,
    filename: str | None = None,
    *,
    max_columns: int = 1000,
    max_field_chars: int = 1_000_000,
    max_row_chars: int = 8_000_000,
) -> TableShape:
    """Stream the whole file once, raising on the first problem; the gateway calls it on upload."""
    with open_table(
        path,
        filename,
        max_columns=max_columns,
        max_field_chars=max_field_chars,
        max_row_chars=max_row_chars,
    ) as table:
        rows = sum(1 for _ in table.rows())
        return TableShape(rows=rows, columns=len(table.header), dialect=table.dialect)

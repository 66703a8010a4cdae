"""Opening a table whatever its format, and validating an upload in one streaming pass."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from textmill_tabular.delimited import DelimitedReader
from textmill_tabular.detection import Dialect, detect
from textmill_tabular.errors import MalformedFile
from textmill_tabular.excel import ExcelReader, workbook_dialect
from textmill_tabular.json_array import JsonArrayReader
from textmill_tabular.json_lines import JsonLinesReader
from textmill_tabular.parquet import ParquetReader
from textmill_tabular.reader import Limits, TableReader
from textmill_tabular.signatures import ZIP_MAGIC, subject

HEAD_BYTES = 64 * 1024

ReaderFactory = Callable[[Path, Dialect, Limits], TableReader]
# A new format is one more reader module, registered here under its Dialect.format.
_READERS: dict[str, ReaderFactory] = {
    "csv": DelimitedReader,
    "tsv": DelimitedReader,
    "json": JsonArrayReader,
    "jsonl": JsonLinesReader,
    "parquet": ParquetReader,
    "xlsx": ExcelReader,
}


@dataclass(frozen=True)
class TableShape:
    """What validation learned: data rows (header excluded), columns and how the file is written."""

    rows: int
    columns: int
    dialect: Dialect
    header: tuple[str, ...] = ()


def open_table(
    path: Path, filename: str | None = None, *, sheet: str | None = None, **limits: int
) -> TableReader:
    """Detect the file's format and open it for streaming; use the result as a context manager.

    `filename` is the user's name for the file (defaults to `path.name`); it only breaks ties
    in detection and names the file in messages. `sheet` picks an Excel worksheet (the first by
    default; naming one in another format is an error). `limits` are the fields of `Limits`
    (max_columns, max_field_chars, max_row_chars), defaults there. Raises the TabularError
    subclasses.
    """
    bounds = Limits(**limits)
    name = path.name if filename is None else filename
    dialect = detect_file(path, name)
    if sheet is not None:
        if dialect.format != "xlsx":
            raise MalformedFile(
                f"{subject(name)} is {dialect.format.upper()}, which has no sheets; "
                f"sheet '{sheet}' was asked for"
            )
        dialect = replace(dialect, sheet=sheet)
    return _READERS[dialect.format](path, dialect, bounds)


def detect_file(path: Path, filename: str | None = None) -> Dialect:
    """detect() on the file's head; a ZIP is judged by its whole directory, not its head."""
    with path.open("rb") as raw:
        head = raw.read(HEAD_BYTES)
    if head.startswith(ZIP_MAGIC):
        return workbook_dialect(path, head, filename)
    return detect(head, filename)


def validate(
    path: Path, filename: str | None = None, *, sheet: str | None = None, **limits: int
) -> TableShape:
    """Stream the whole file once, raising on the first problem; the gateway calls it on upload.

    `sheet` and `limits` are `open_table`'s."""
    with open_table(path, filename, sheet=sheet, **limits) as table:
        rows = sum(1 for _ in table.rows())
        return TableShape(
            rows=rows, columns=len(table.header), dialect=table.dialect, header=tuple(table.header)
        )

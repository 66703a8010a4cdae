"""Tabular file reading for textmill: format detection, then rows streamed with bounded memory.

Formats: CSV and TSV (encoding and delimiter detected), JSON (a top-level array of objects),
JSON Lines, Parquet and Excel .xlsx, each one reader module registered in table.py. Workers
read one shard of rows with `read_rows`, seeking through a `RowIndex` built once per file.
"""

from textmill_tabular.detection import Dialect, detect
from textmill_tabular.errors import (
    MalformedFile,
    TabularError,
    TooLarge,
    UnknownColumn,
    UnsupportedFormat,
)
from textmill_tabular.reader import TableReader
from textmill_tabular.row_index import Checkpoint, Position, RowIndex
from textmill_tabular.row_ranges import build_row_index, read_rows, validate_and_index
from textmill_tabular.samples import read_sample, sample_windows
from textmill_tabular.table import TableShape, detect_file, open_table, validate

__all__ = [
    "Checkpoint",
    "Dialect",
    "MalformedFile",
    "Position",
    "RowIndex",
    "TableReader",
    "TableShape",
    "TabularError",
    "TooLarge",
    "UnknownColumn",
    "UnsupportedFormat",
    "build_row_index",
    "detect",
    "detect_file",
    "open_table",
    "read_rows",
    "read_sample",
    "sample_windows",
    "validate",
    "validate_and_index",
]

"""Tabular file reading for textmill: format detection, then rows streamed with bounded memory.

This version reads CSV and TSV; other formats are one more reader module each.
"""

from textmill_tabular.detection import Dialect, detect
from textmill_tabular.errors import MalformedFile, TabularError, TooLarge, UnsupportedFormat
from textmill_tabular.reader import TableReader
from textmill_tabular.table import TableShape, open_table, validate

__all__ = [
    "Dialect",
    "MalformedFile",
    "TableReader",
    "TableShape",
    "TabularError",
    "TooLarge",
    "UnsupportedFormat",
    "detect",
    "open_table",
    "validate",
]

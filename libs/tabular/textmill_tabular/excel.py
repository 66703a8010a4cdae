"""Streaming reader for Excel .xlsx workbooks, through openpyxl's read-only mode.

One worksheet is read (the first, unless a sheet is named), row by row from the sheet's XML;
only the workbook's shared-strings table is held whole, as openpyxl requires. The first
non-empty row is the header; empty rows are skipped; row numbers in errors are the sheet's own.
Cached formula results are read, not formulas. A row range is read by scanning from the start.
"""

import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from textmill_tabular.cells import cell_text
from textmill_tabular.detection import Dialect
from textmill_tabular.errors import MalformedFile
from textmill_tabular.reader import Limits, TableReader, check_cells, check_width, unique_names
from textmill_tabular.signatures import subject, unsupported, zip_holds_workbook

_WORKBOOK_PART = "xl/workbook.xml"


def workbook_dialect(path: Path, head: bytes, filename: str | None) -> Dialect:
    """The dialect of a ZIP file, decided by its central directory: Excel .xlsx, or refused."""
    try:
        # Through `open`, so that any source with a path's `open("rb")` works, not just files.
        with path.open("rb") as raw, zipfile.ZipFile(raw) as archive:
            is_workbook = _WORKBOOK_PART in archive.namelist()
    except zipfile.BadZipFile as exc:
        if zip_holds_workbook(head):
            raise MalformedFile(
                f"{subject(filename)} is an Excel workbook whose ZIP structure is broken: {exc}"
            ) from exc
        raise unsupported(filename, "a damaged ZIP archive") from exc
    if not is_workbook:
        raise unsupported(filename, "a ZIP archive that is not an Excel workbook")
    return Dialect(format="xlsx", encoding="", delimiter="", quotechar="")


class ExcelReader(TableReader):
    def __init__(self, path: Path, dialect: Dialect, limits: Limits) -> None:
        self._limits = limits
        # A file object, not a path: openpyxl refuses paths without an Excel extension.
        self._file = path.open("rb")
        self._book: openpyxl.Workbook | None = None
        try:
            self._book = _load(self._file)
            sheet = _worksheet(self._book, dialect.sheet)
            self.dialect = replace(dialect, sheet=sheet.title)
            sheet.reset_dimensions()  # some writers record wrong dimensions: trust the cells
            self._records = self._numbered(sheet.iter_rows(values_only=True))
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise

    def rows(self) -> Iterator[list[str]]:
        width = len(self.header)
        for number, values in self._records:
            extra = next((i for i in range(width, len(values)) if values[i].strip()), None)
            if extra is not None:
                column = get_column_letter(extra + 1)
                raise MalformedFile(
                    f"row {number:,} has a value in column {column}, beyond the header's "
                    f"{width} columns",
                    row=number,
                    column=column,
                )
            row = values[:width] + [""] * (width - len(values))
            check_cells(row, self.header, self._limits, f"row {number:,}", number)
            yield row

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
        self._file.close()

    def _read_header(self) -> list[str]:
        _, names = next(self._records, (0, []))
        names = names[: _content_width(names)]
        check_width(names, self._limits)
        return unique_names(names)

    def _numbered(self, rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[int, list[str]]]:
        """Non-empty rows as text, with their sheet row numbers."""
        number = 0
        while True:
            try:
                values = next(rows, None)
            except Exception as exc:  # openpyxl raises many types on a corrupt sheet
                _raise_source_error(exc)
                detail = f"row {number + 1:,} of the sheet cannot be read: {exc}"
                raise MalformedFile(detail, row=number + 1) from exc
            if values is None:
                return
            number += 1
            cells = [_excel_text(value) for value in values]
            if _content_width(cells):
                yield number, cells


def _worksheet(book: openpyxl.Workbook, name: str) -> ReadOnlyWorksheet:
    if not name:
        if not book.worksheets:
            raise MalformedFile("the workbook has no worksheet")
        return book.worksheets[0]
    sheets = {sheet.title: sheet for sheet in book.worksheets}
    if name not in sheets:
        listed = ", ".join(f"'{title}'" for title in book.sheetnames)
        raise MalformedFile(f"the workbook has no worksheet '{name}'; its sheets are {listed}")
    return sheets[name]


def _load(source: BinaryIO) -> openpyxl.Workbook:
    try:
        return openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types (zip, XML, KeyError) on a corrupt file
        _raise_source_error(exc)
        raise MalformedFile(f"the Excel workbook cannot be read: {exc}") from exc


def _raise_source_error(exc: BaseException) -> None:
    """Raise the error of the stream itself, if `exc` is one or came of one: a source that
    failed (a stored file deleted while it was read) is no fault of the workbook. Such an
    error says so by a `source_error` attribute: this package knows no store."""
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "source_error", False):
            raise seen
        seen = seen.__cause__ or seen.__context__


def _excel_text(value: object) -> str:
    # Excel stores every number as a float and every date as a date-time: undo both artefacts.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time() and value.tzinfo is None:
        return value.date().isoformat()
    return cell_text(value)


def _content_width(cells: list[str]) -> int:
    """The length of `cells` without its trailing blank cells."""
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    return width

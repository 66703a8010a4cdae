"""Streaming reader for CSV/TSV files: one record in memory at a time, within the limits."""

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

from textmill_tabular.detection import Dialect
from textmill_tabular.errors import MalformedFile, TooLarge
from textmill_tabular.reader import Limits, TableReader, unique_names


class DelimitedReader(TableReader):
    """Reads CSV/TSV lazily.

    Row numbers in errors are spreadsheet row numbers: physical records counted from 1, where
    the header is row 1 (when the file does not start with blank lines) and blank lines count
    but are skipped. Messages also give the physical line, which differs once cells span lines.
    A line holding only whitespace is blank. A field longer than `max_field_chars`, or a record
    longer than `max_row_chars` (usually an unclosed quote), raises TooLarge.
    """

    def __init__(self, path: Path, dialect: Dialect, limits: Limits) -> None:
        self.dialect = dialect
        self._path = path
        self._limits = limits
        self._line_no = 0  # physical lines read so far
        self._record_no = 0  # records parsed so far, blank ones included
        self._record_line = 1  # physical line where the record being parsed starts
        self._current_line = 1  # physical line where the last parsed record started
        self._record_chars = 0
        _allow_csv_fields_up_to(limits.max_row_chars + 1)
        self._stream = path.open(encoding=dialect.encoding, newline="")
        try:
            parsed = csv.reader(
                self._lines(),
                delimiter=dialect.delimiter,
                quotechar=dialect.quotechar,
                strict=True,  # so that the file ending inside quotes is an error, not a cell
            )
            self._records = self._numbered(parsed)
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise

    def rows(self) -> Iterator[list[str]]:
        width = len(self.header)
        for record in self._records:
            if _is_blank(record):
                continue
            if len(record) != width:
                raise MalformedFile(
                    f"row {self._record_no} (line {self._current_line}) has {len(record)} "
                    f"fields, the header has {width}",
                    row=self._record_no,
                )
            self._check_field_sizes(record, self.header)
            yield record

    def close(self) -> None:
        self._stream.close()

    def _read_header(self) -> list[str]:
        record = next((r for r in self._records if not _is_blank(r)), [])
        if len(record) > self._limits.max_columns:
            raise TooLarge(
                f"the header has {len(record):,} columns; the limit is "
                f"{self._limits.max_columns:,}",
                row=self._record_no,
            )
        self._check_field_sizes(record, None)
        return unique_names(record)

    def _numbered(self, parsed: Iterator[list[str]]) -> Iterator[list[str]]:
        while True:
            try:
                record = next(parsed)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._malformed(exc) from exc
            self._record_no += 1
            self._current_line, self._record_line = self._record_line, self._line_no + 1
            self._record_chars = 0
            yield record

    def _lines(self) -> Iterator[str]:
        """Physical lines for csv.reader, never letting one record outgrow the row budget.

        csv.reader wants whole lines, and a file without newlines (or with an unclosed quote)
        would otherwise be pulled into memory in one piece.
        """
        budget = self._limits.max_row_chars
        while line := self._read_line(budget - self._record_chars + 1):
            self._line_no += 1
            self._record_chars += len(line)
            if self._record_chars > budget:
                raise TooLarge(
                    f"row {self._record_no + 1} (from line {self._record_line}) runs past "
                    f"{budget:,} characters; an unclosed quote is the usual cause",
                    row=self._record_no + 1,
                )
            yield line

    def _read_line(self, size: int) -> str:
        try:
            return self._stream.readline(size)
        except UnicodeDecodeError as exc:
            # The stream decodes whole chunks ahead of the parser, so the position comes from
            # the bytes consumed so far, not from the lines parsed so far.
            offset = self._stream.buffer.tell() - len(exc.object) + exc.start
            line = _line_at(self._path, offset, self.dialect.encoding)
            raise MalformedFile(
                f"byte 0x{exc.object[exc.start]:02x} at offset {offset:,} (line {line:,}) is "
                f"not valid {self.dialect.encoding}, the encoding detected from the file's start"
            ) from exc

    def _malformed(self, exc: csv.Error) -> MalformedFile:
        row = self._record_no + 1
        if "unexpected end of data" in str(exc):
            detail = (
                f"row {row} (from line {self._record_line}) opens a quoted field that is "
                "never closed before the end of the file"
            )
        else:
            detail = f"row {row} (line {self._line_no}) cannot be parsed: {exc}"
        return MalformedFile(detail, row=row)

    def _check_field_sizes(self, record: list[str], names: list[str] | None) -> None:
        limit = self._limits.max_field_chars
        for index, field in enumerate(record):
            if len(field) > limit:
                column = names[index] if names else None
                where = f"column '{column}'" if column else f"field {index + 1}"
                raise TooLarge(
                    f"row {self._record_no}, {where} holds {len(field):,} characters; "
                    f"the limit is {limit:,}",
                    row=self._record_no,
                    column=column,
                )


def _line_at(path: Path, offset: int, encoding: str) -> int:
    """The 1-based line holding byte `offset`, counted in chunks to keep memory bounded."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    breaks = 0
    with path.open("rb") as raw:
        while offset > 0 and (chunk := raw.read(min(offset, 1 << 16))):
            offset -= len(chunk)
            text = decoder.decode(chunk)
            breaks += text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + 1


def _is_blank(record: list[str]) -> bool:
    return not record or (len(record) == 1 and not record[0].strip())


def _allow_csv_fields_up_to(chars: int) -> None:
    # csv's field limit is process-wide: only ever raise it, and enforce our own per reader.
    if csv.field_size_limit() < chars:
        csv.field_size_limit(chars)

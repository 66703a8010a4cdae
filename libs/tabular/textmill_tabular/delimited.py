"""Streaming reader for CSV/TSV files: one record in memory at a time, within the limits."""

import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from textmill_tabular.detection import Dialect
from textmill_tabular.errors import MalformedFile, TooLarge
from textmill_tabular.lines import LineStream
from textmill_tabular.reader import Limits, TableReader, unique_names
from textmill_tabular.row_index import Checkpoint, Position, RowIndex


class DelimitedReader(TableReader):
    """Reads CSV/TSV lazily.

    Row numbers in errors are spreadsheet row numbers: physical records counted from 1, where
    the header is row 1 (when the file does not start with blank lines) and blank lines count
    but are skipped. Messages also give the physical line, which differs once cells span lines.
    A line holding only whitespace is blank. A field longer than `max_field_chars`, or a record
    longer than `max_row_chars` (usually an unclosed quote), raises TooLarge.

    csv.reader pulls lines only as it needs them, so once it has returned a record the line
    stream stands exactly at the next record's first byte: that is the record's Position.

    A row range (`read_range`, a worker's shard) is parsed the quick way first: csv.reader
    straight over the text stream, with the checks that cost little (width, field and row
    size) and none of the bookkeeping that only an error message needs. Anything it would
    refuse hands the range from that row on to the careful reader, which raises exactly
    what a full read raises.
    """

    def __init__(self, path: Path, dialect: Dialect, limits: Limits) -> None:
        self.dialect = dialect
        self._path = path
        self._limits = limits
        self._record_no = 0  # records parsed so far, blank ones included
        self._record_line = 1  # physical line where the record being parsed starts
        self._current_line = 1  # physical line where the last parsed record started
        self._record_chars = 0
        self._record_start = (0, 0, 0)  # a Position's fields: one is made only when asked
        _allow_csv_fields_up_to(limits.max_row_chars + 1)
        self._source = LineStream(path, dialect.encoding)
        try:
            self._records = self._parse()
            self.header = self._read_header()
            self._body = Position(self._source.offset, self._record_no, self._source.lines)
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

    def positioned_rows(self) -> Iterator[tuple[Position | None, list[str]]]:
        for row in self.rows():
            yield Position(*self._record_start), row

    def close(self) -> None:
        self._source.close()

    def read_range(
        self, start: int, end: int | None, positions: list[int], index: RowIndex | None
    ) -> Iterator[tuple[int, list[str]]]:
        checkpoint = index.checkpoint_for(start) if index else None
        if checkpoint is None or checkpoint.row == 0:
            checkpoint = Checkpoint(row=0, position=self._body)
        return self._quick_range(start, end, positions, checkpoint)

    def _quick_range(
        self, start: int, end: int | None, positions: list[int], checkpoint: Checkpoint
    ) -> Iterator[tuple[int, list[str]]]:
        """Rows [start, end) from `checkpoint` (a worker's shard: 1.0-1.5 µs a row rather
        than 3-4 µs on 10-column review rows), then the careful reader from the first row
        the quick one would refuse."""
        if checkpoint.position != self._body:
            self._resume(checkpoint)
        number = checkpoint.row
        width, field_limit = len(self.header), self._limits.max_field_chars
        # A row the careful reader would refuse as too long is longer than this: each field
        # adds at most its delimiter and its quotes, each quote inside it one more.
        row_budget = self._limits.max_row_chars - 2
        parsed = csv.reader(
            self._source.text,
            delimiter=self.dialect.delimiter,
            quotechar=self.dialect.quotechar,
            strict=True,
        )
        if end is not None and number >= end:
            return
        try:
            for record in parsed:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # blank
                if len(record) != width:
                    break
                chars = sum(map(len, record))
                # No field is longer than its row: the longest needs finding only when the
                # row passes a field's limit (one pass over the fields a row, not two).
                if 2 * chars + 3 * width > row_budget or (
                    chars > field_limit and max(map(len, record)) > field_limit
                ):
                    break
                if number >= start:
                    yield number, [record[i] for i in positions]
                number += 1
                # Stop before reading row `end`: it is the next shard's, and a refusal of it
                # is not this range's to raise (nor worth the careful reader's pass).
                if end is not None and number >= end:
                    return
            else:
                return
        except (csv.Error, UnicodeDecodeError):
            pass
        self._resume(checkpoint)  # the careful reader, from the checkpoint to the same row
        skip = max(number, start) - checkpoint.row
        rows = islice(enumerate(self.rows(), checkpoint.row), skip, None)
        for n, row in rows:
            if end is not None and n >= end:
                return
            yield n, [row[i] for i in positions]

    def _resume(self, checkpoint: Checkpoint) -> bool:
        position = checkpoint.position
        self._source.resume_at(position.offset, position.line)
        self._record_no = position.record
        self._record_line = position.line + 1
        self._records = self._parse()
        return True

    def _parse(self) -> Iterator[list[str]]:
        parsed = csv.reader(
            self._lines(),
            delimiter=self.dialect.delimiter,
            quotechar=self.dialect.quotechar,
            strict=True,  # so that the file ending inside quotes is an error, not a cell
        )
        return self._numbered(parsed)

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
            start = (self._source.offset, self._record_no, self._source.lines)
            try:
                record = next(parsed)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._malformed(exc) from exc
            self._record_start = start
            self._record_no += 1
            self._current_line, self._record_line = self._record_line, self._source.lines + 1
            self._record_chars = 0
            yield record

    def _lines(self) -> Iterator[str]:
        """Physical lines for csv.reader, never letting one record outgrow the row budget.

        csv.reader wants whole lines, and a file without newlines (or with an unclosed quote)
        would otherwise be pulled into memory in one piece.
        """
        budget = self._limits.max_row_chars
        while line := self._source.readline(budget - self._record_chars + 1):
            self._record_chars += len(line)
            if self._record_chars > budget:
                raise TooLarge(
                    f"row {self._record_no + 1} (from line {self._record_line}) runs past "
                    f"{budget:,} characters; an unclosed quote is the usual cause",
                    row=self._record_no + 1,
                )
            yield line

    def _malformed(self, exc: csv.Error) -> MalformedFile:
        row = self._record_no + 1
        if "unexpected end of data" in str(exc):
            detail = (
                f"row {row} (from line {self._record_line}) opens a quoted field that is "
                "never closed before the end of the file"
            )
        else:
            detail = f"row {row} (line {self._source.lines}) cannot be parsed: {exc}"
        return MalformedFile(detail, row=row)

    def _check_field_sizes(self, record: list[str], names: list[str] | None) -> None:
        limit = self._limits.max_field_chars
        if not record or max(map(len, record)) <= limit:
            return
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


def _is_blank(record: list[str]) -> bool:
    return not record or (len(record) == 1 and not record[0].strip())


def _allow_csv_fields_up_to(chars: int) -> None:
    # csv's field limit is process-wide: only ever raise it, and enforce our own per reader.
    if csv.field_size_limit() < chars:
        csv.field_size_limit(chars)

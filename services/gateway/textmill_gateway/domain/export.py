"""Exports of a run: the original rows plus flattened result columns, in row order.

Each format is an encoder with three steps, `begin()`, `rows(window)` for each window of
rows, and `end()`, each returning the bytes to send next, so a response can stream a file
of any size in bounded memory. Values are written as they are (a CSV cell starting with
`=` is not defused): the export is the data, not a spreadsheet.

Text that cannot be encoded as UTF-8 (a lone surrogate) is replaced by `?` in every format
rather than failing the download half way through.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from textmill_contracts.chains import model_of

# (record, the original row's cells in header order, result doc by analysed column)
Row = tuple[int, Sequence[str | None], Mapping[str, dict | None]]
Window = Sequence[Row]
Extract = Callable[[dict], object]

_INT64 = range(-(2**63), 2**63)


def _text(key: str) -> Extract:
    return lambda entry: entry.get(key) if isinstance(entry.get(key), str) else None


def _number(key: str) -> Extract:
    def extract(entry: dict) -> float | None:
        value = entry.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None  # JSON has no NaN

    return extract


def _count(key: str) -> Extract:
    def extract(entry: dict) -> int | None:
        value = entry.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in _INT64:
            return value
        return None

    return extract


def _keyword_texts(entry: dict) -> str | None:
    keywords = entry.get("keywords")
    if not isinstance(keywords, list):
        return None
    texts = (k.get("text") if isinstance(k, dict) else k for k in keywords)
    return "; ".join(text for text in texts if isinstance(text, str))


# Per chain, in export order: (name after the column prefix, Parquet type, extractor).
CHAIN_FIELDS: dict[str, tuple[tuple[str, pa.DataType, Extract], ...]] = {
    "sentiment": (
        ("sentiment.label", pa.string(), _text("label")),
        ("sentiment.compound", pa.float64(), _number("compound")),
    ),
    "language": (("language", pa.string(), _text("language")),),
    "keywords": (("keywords", pa.string(), _keyword_texts),),
    "pii": (
        ("pii.count", pa.int64(), _count("count")),
        ("pii.redacted", pa.string(), _text("redacted")),
    ),
    "stats": (
        ("stats.chars", pa.int64(), _count("chars")),
        ("stats.words", pa.int64(), _count("words")),
    ),
}


ChainField = tuple[str, str, pa.DataType, Extract]  # (chain, suffix, type, extractor)


# A `model:<name>` chain's fields, after the column prefix and the chain's name.
MODEL_FIELDS: tuple[tuple[str, pa.DataType, Extract], ...] = (
    ("label", pa.string(), _text("label")),
    ("confidence", pa.float64(), _number("confidence")),
)


@functools.cache
def _chain_fields(chains: tuple[str, ...]) -> tuple[ChainField, ...]:
    """The run's chain fields, in CHAIN_FIELDS order whatever order the run listed them
    in, then each `model:<name>` chain's label and confidence in the run's order; a chain
    this version cannot export (unknown to it) adds no fields. Cached: it is asked for
    every cell of an export."""
    builtin = tuple(
        (chain, suffix, kind, extract)
        for chain, fields in CHAIN_FIELDS.items()
        if chain in chains
        for suffix, kind, extract in fields
    )
    models = tuple(
        (chain, f"{chain}.{suffix}", kind, extract)
        for chain in dict.fromkeys(chains)
        if model_of(chain)
        for suffix, kind, extract in MODEL_FIELDS
    )
    return builtin + models


def _suffixes(chains: Sequence[str]) -> list[tuple[str, pa.DataType]]:
    """Each result column's name after the column prefix, and its type: status first."""
    fields = _chain_fields(tuple(chains))
    return [("status", pa.string()), *((suffix, kind) for _, suffix, kind, _ in fields)]


def result_columns(columns: list[str], chains: list[str], header: Sequence[str] = ()) -> list[str]:
    """The result column names, for each analysed column in order, unique beside `header`.

    The file's own columns keep their names; a result name already taken (by the file, or
    by an earlier result column) becomes `name_2`, `name_3`... whichever is free first. The
    same rule the reader uses for a file's repeated header names, so a user meets one rule,
    and the plain name stays readable in front (a prefix would hide which column it is).
    """
    suffixes = [suffix for suffix, _ in _suffixes(chains)]
    taken = set(header)
    names = []
    for name in (f"{column}.{suffix}" for column in columns for suffix in suffixes):
        number = 2
        candidate = name
        while candidate in taken:
            candidate = f"{name}_{number}"
            number += 1
        taken.add(candidate)
        names.append(candidate)
    return names


def flatten(column: str, doc: dict | None, chains: list[str]) -> dict[str, object]:
    """One column's result as flat values; None where the doc, chain or value is missing,
    the cell was skipped, or the chain failed on it."""
    doc = doc or {}
    status = doc.get("status")
    flat: dict[str, object] = {f"{column}.status": status if isinstance(status, str) else None}
    entries = doc.get("chains") or {}
    for chain, suffix, _, extract in _chain_fields(tuple(chains)):
        entry = entries.get(chain)
        ok = isinstance(entry, dict) and "error" not in entry
        flat[f"{column}.{suffix}"] = extract(entry) if ok else None
    return flat


class Export(Protocol):
    """What every format offers: build, then begin, rows per window, end; each step
    returns the bytes to send next."""

    def __init__(self, header: list[str], columns: list[str], chains: list[str]) -> None: ...
    def begin(self) -> bytes: ...
    def rows(self, window: Window) -> bytes: ...
    def end(self) -> bytes: ...


def _fit(values: Sequence[object], width: int) -> list[str | None]:
    """The row's cells as text, exactly `width` of them (a ragged row is padded with None)."""
    cells = [None if value is None else str(value) for value in values[:width]]
    return cells + [None] * (width - len(cells))


def _cells(row: Row, width: int, columns: list[str], chains: list[str]) -> list[object]:
    """One output row: the original cells, then every column's flattened results."""
    _, values, results = row
    cells: list[object] = _fit(values, width)
    for column in columns:
        cells += flatten(column, results.get(column), chains).values()
    return cells


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "replace")


class CsvExport:
    """RFC 4180-style CSV: the original header plus the result columns (named by
    `result_columns`, so no name repeats), minimal quoting."""

    def __init__(self, header: list[str], columns: list[str], chains: list[str]) -> None:
        self.header, self.columns, self.chains = header, columns, chains
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def begin(self) -> bytes:
        names = result_columns(self.columns, self.chains, self.header)
        self._writer.writerow([*self.header, *names])
        return self._drain()

    def rows(self, window: Window) -> bytes:
        for row in window:  # None becomes an empty cell
            self._writer.writerow(_cells(row, len(self.header), self.columns, self.chains))
        return self._drain()

    def end(self) -> bytes:
        return b""

    def _drain(self) -> bytes:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return _utf8(text)


class JsonlExport:
    """One JSON object per line: the record number, the row by header, and each analysed
    column's flattened results without the column prefix."""

    def __init__(self, header: list[str], columns: list[str], chains: list[str]) -> None:
        self.header, self.columns, self.chains = header, columns, chains

    def begin(self) -> bytes:
        return b""

    def rows(self, window: Window) -> bytes:
        return b"".join(self._line(row) for row in window)

    def end(self) -> bytes:
        return b""

    def _line(self, row: Row) -> bytes:
        record, values, results = row
        line = {
            "record": record,
            "row": dict(zip(self.header, _fit(values, len(self.header)), strict=True)),
            "results": {
                column: {
                    key[len(column) + 1 :]: value
                    for key, value in flatten(column, results.get(column), self.chains).items()
                }
                for column in self.columns
            },
        }
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
        # Legal inside JSON strings, but line breaks to str.splitlines() and JavaScript.
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        return _utf8(text + "\n")


class _Spool:
    """A write-only file that hands over what was written since it was last drained."""

    closed = False

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


class ParquetExport:
    """Parquet: the original columns as strings, the result columns typed and nullable,
    one schema for the whole file and one row group per window."""

    def __init__(self, header: list[str], columns: list[str], chains: list[str]) -> None:
        self.header, self.columns, self.chains = header, columns, chains
        names = result_columns(columns, chains, header)
        kinds = [kind for _ in columns for _, kind in _suffixes(chains)]
        self.schema = pa.schema(
            [pa.field(name, pa.string()) for name in header]
            + [pa.field(name, kind) for name, kind in zip(names, kinds, strict=True)]
        )
        self._spool = _Spool()
        self._writer: pq.ParquetWriter | None = None

    def begin(self) -> bytes:
        # PythonFile keeps its own write position, so draining the spool between calls
        # leaves the offsets recorded in the footer correct.
        sink = pa.PythonFile(self._spool, mode="w")
        self._writer = pq.ParquetWriter(sink, self.schema)
        return self._spool.drain()

    def rows(self, window: Window) -> bytes:
        if self._writer is None:
            raise RuntimeError("begin() must come before rows()")
        if window:
            self._writer.write_table(self._table(window), row_group_size=len(window))
        return self._spool.drain()

    def end(self) -> bytes:
        if self._writer is None:
            raise RuntimeError("begin() must come before end()")
        self._writer.close()
        return self._spool.drain()

    def _table(self, window: Window) -> pa.Table:
        rows = [_cells(row, len(self.header), self.columns, self.chains) for row in window]
        by_column = zip(*rows, strict=True)
        arrays = [
            _array(list(values), field.type)
            for values, field in zip(by_column, self.schema, strict=True)
        ]
        return pa.Table.from_arrays(arrays, schema=self.schema)


def _array(values: list[object], kind: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=kind)
    except UnicodeEncodeError:  # rare: only then pay for cleaning every value
        return pa.array([_clean(value) for value in values], type=kind)


def _clean(value: object) -> object:
    return _utf8(value).decode("utf-8") if isinstance(value, str) else value


EXPORTERS: dict[str, type[Export]] = {
    "csv": CsvExport,
    "jsonl": JsonlExport,
    "parquet": ParquetExport,
}

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}

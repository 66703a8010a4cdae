"""Working out how a file is written (format, encoding, delimiter) from its first bytes."""

from dataclasses import dataclass
from typing import Literal

from textmill_tabular.delimiters import sniff_delimiter
from textmill_tabular.encoding import bom_encoding, bomless_utf16, decode_head, guess_encoding
from textmill_tabular.signatures import (
    PARQUET_MAGIC,
    ZIP_MAGIC,
    json_kind,
    reject_binary_signature,
    reject_non_tabular_text,
    suffix,
    unsupported,
    zip_holds_workbook,
)

Format = Literal["csv", "tsv", "json", "jsonl", "parquet", "xlsx"]
_TSV_SUFFIXES = frozenset({".tsv", ".tab"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_WIDE_ENCODINGS = frozenset({"utf-16", "utf-32", "utf-16-le", "utf-16-be"})


@dataclass(frozen=True)
class Dialect:
    """How to read a file.

    `encoding` is a Python codec name for the text formats (CSV, TSV, JSON, JSON Lines) and ""
    for Parquet and Excel; `delimiter` and `quotechar` are "" except for CSV/TSV. `sheet` is the
    worksheet read from an Excel workbook ("" before the reader has chosen one, and elsewhere).
    """

    format: Format
    encoding: str
    delimiter: str
    quotechar: str = '"'
    sheet: str = ""


def detect(head: bytes, filename: str | None = None) -> Dialect:
    """Detect the dialect from `head`, the first (up to) 64 KiB of the file.

    Content decides; `filename` only breaks ties (a one-column `.tsv`) and names the file in
    messages. Empty or blank content is a CSV with zero columns (JSON Lines if so named). A ZIP
    is taken for an Excel workbook when its first entries are workbook parts (open_table
    confirms it from the whole archive). Raises UnsupportedFormat for other binary content and
    for JSON of another shape.
    """
    if head.startswith(PARQUET_MAGIC):
        return _binary("parquet")
    if head.startswith(ZIP_MAGIC):
        if zip_holds_workbook(head):
            return _binary("xlsx")
        raise unsupported(filename, "a ZIP archive that is not an Excel workbook")
    reject_binary_signature(head, filename)
    announced = bom_encoding(head)
    if announced is None and b"\x00" in head:
        announced = bomless_utf16(head)
    # UTF-16/32 text is full of NUL bytes; any other text never holds one.
    if b"\x00" in head and announced not in _WIDE_ENCODINGS:
        raise unsupported(filename, "a binary file (it contains NUL bytes)")
    encoding = announced or guess_encoding(head)
    text = decode_head(head, encoding)
    named_tsv = suffix(filename) in _TSV_SUFFIXES
    fallback = "\t" if named_tsv else ","
    if not text.strip():
        if suffix(filename) in _JSONL_SUFFIXES:
            return _json("jsonl", encoding)
        return _delimited(encoding, fallback)
    if kind := json_kind(text, filename):
        return _json(kind, encoding)
    reject_non_tabular_text(text, filename)
    delimiter = sniff_delimiter(text, preferred="\t" if named_tsv else None)
    return _delimited(encoding, delimiter or fallback)


def _delimited(encoding: str, delimiter: str) -> Dialect:
    return Dialect(
        format="tsv" if delimiter == "\t" else "csv", encoding=encoding, delimiter=delimiter
    )


def _json(kind: Format, encoding: str) -> Dialect:
    return Dialect(format=kind, encoding=encoding, delimiter="", quotechar="")


def _binary(kind: Format) -> Dialect:
    return Dialect(format=kind, encoding="", delimiter="", quotechar="")

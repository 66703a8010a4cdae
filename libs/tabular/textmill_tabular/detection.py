"""Working out how a file is written (format, encoding, delimiter) from its first bytes."""

from dataclasses import dataclass
from typing import Literal

from textmill_tabular.delimiters import sniff_delimiter
from textmill_tabular.encoding import bom_encoding, decode_head, guess_encoding
from textmill_tabular.signatures import (
    reject_binary_signature,
    reject_non_tabular_text,
    suffix,
    unsupported,
)

Format = Literal["csv", "tsv"]
_TSV_SUFFIXES = frozenset({".tsv", ".tab"})
_WIDE_ENCODINGS = frozenset({"utf-16", "utf-32"})


@dataclass(frozen=True)
class Dialect:
    """How to read a delimited file: `encoding` is a Python codec name."""

    format: Format
    encoding: str
    delimiter: str
    quotechar: str = '"'


def detect(head: bytes, filename: str | None = None) -> Dialect:
    """Detect the dialect from `head`, the first (up to) 64 KiB of the file.

    Content decides; `filename` only breaks ties (a one-column `.tsv`) and names the file in
    messages. Empty or blank content is a CSV with zero columns. Raises UnsupportedFormat for
    binary content and JSON.
    """
    reject_binary_signature(head, filename)
    announced = bom_encoding(head)
    # UTF-16/32 text is full of NUL bytes; any other text never holds one.
    if b"\x00" in head and announced not in _WIDE_ENCODINGS:
        raise unsupported(filename, "a binary file (it contains NUL bytes)")
    encoding = announced or guess_encoding(head)
    text = decode_head(head, encoding)
    named_tsv = suffix(filename) in _TSV_SUFFIXES
    fallback = "\t" if named_tsv else ","
    if not text.strip():
        return _dialect(encoding, fallback)
    reject_non_tabular_text(text, filename)
    delimiter = sniff_delimiter(text, preferred="\t" if named_tsv else None)
    return _dialect(encoding, delimiter or fallback)


def _dialect(encoding: str, delimiter: str) -> Dialect:
    return Dialect(
        format="tsv" if delimiter == "\t" else "csv", encoding=encoding, delimiter=delimiter
    )

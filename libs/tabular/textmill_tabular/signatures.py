"""Recognising content by its first bytes: magic numbers, workbooks inside ZIPs, JSON shapes.

Formats we cannot read get a 415 naming what they look like, instead of a baffling parse error
later; formats we can read are named so that detection can pick their reader.
"""

import json
import re
import struct
from pathlib import PurePath
from typing import Literal

from textmill_tabular.errors import UnsupportedFormat

PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document (such as .xls)"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"ARROW1", "an Arrow file"),
)
SUPPORTED = "CSV, TSV, JSON (an array of objects), JSON Lines, Parquet and Excel .xlsx"
# Decoded text of a real CSV holds next to no control characters; binary data holds many.
# C0 and C1 controls less the five that text holds (\t \n \v \f \r: 0x09-0x0D), and DEL.
# Counted by one regex scan: a Python test per character took 10 ms a 64 KiB head, and
# every sample a coordinator or estimator reads of a stored file detects its head again.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.01
_LOCAL_HEADER = re.compile(re.escape(ZIP_MAGIC))
_JSON_WHITESPACE = " \t\n\r"
# What may open the first item of a JSON array that is not an object.
_NON_OBJECT_ITEMS = {'"': "strings", "[": "arrays", "t": "booleans", "f": "booleans", "n": "nulls"}


def reject_binary_signature(head: bytes, filename: str | None) -> None:
    """Raise UnsupportedFormat if `head` starts with the magic number of an unreadable format."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise unsupported(filename, kind)


def zip_holds_workbook(head: bytes) -> bool:
    """True when the ZIP entries named in `head` include an Excel workbook part (`xl/...`).

    Only the local headers inside the head are seen; the reader confirms from the archive's
    central directory that `xl/workbook.xml` is really there.
    """
    for match in _LOCAL_HEADER.finditer(head):
        fixed = head[match.start() + 26 : match.start() + 30]
        if len(fixed) < 4:
            break
        name_length, _ = struct.unpack("<HH", fixed)
        name = head[match.start() + 30 : match.start() + 30 + name_length]
        if name.startswith(b"xl/"):
            return True
    return False


def json_kind(text: str, filename: str | None) -> Literal["json", "jsonl"] | None:
    """'json' for a top-level array of objects, 'jsonl' for one object per line, None otherwise.

    Raises UnsupportedFormat for JSON of another shape: an array of scalars or of arrays, a
    single object spread over several lines, or, in a file named `.json`, a single scalar.
    """
    stripped = text.lstrip(_JSON_WHITESPACE + "\ufeff")
    if stripped.startswith("["):
        first_item = stripped[1:].lstrip(_JSON_WHITESPACE)[:1]
        if first_item in ("{", "]", ""):
            return "json"
        kind = "numbers" if first_item in "-0123456789" else _NON_OBJECT_ITEMS.get(first_item)
        if kind is None:
            return None  # "[id],name" is a CSV header, not JSON
        raise unsupported(filename, f"a JSON array of {kind}; an array of objects is needed")
    if stripped.startswith("{"):
        if _single_object_over_lines(stripped):
            raise unsupported(
                filename,
                "a JSON object spread over several lines; JSON Lines needs one object per line",
            )
        return "jsonl"
    if suffix(filename) == ".json" and (kind := _json_scalar(stripped)):
        raise unsupported(filename, f"a JSON {kind}; an array of objects is needed")
    return None


def _json_scalar(text: str) -> str | None:
    """What single JSON value other than an array or object `text` is, if it is one: in a
    file named `.json`, `42` is that number, not a CSV with the header "42"."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON; or an int past Python's 4,300 digits
        return None
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string"}.get(type(value))


def _single_object_over_lines(text: str) -> bool:
    first_line, newline, _ = text.partition("\n")
    if not newline:
        return False  # the head ends inside the first line: the reader will judge it
    try:
        json.loads(first_line)
    except json.JSONDecodeError:
        try:
            json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError:
            return False  # broken JSON Lines: the reader names the line
        return True
    return False


def reject_non_tabular_text(text: str, filename: str | None) -> None:
    """Raise UnsupportedFormat for decoded text that is mostly control characters."""
    if len(_CONTROLS.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise unsupported(filename, "binary data")


def unsupported(filename: str | None, kind: str) -> UnsupportedFormat:
    return UnsupportedFormat(
        f"{subject(filename)} looks like {kind}; supported formats are {SUPPORTED}"
    )


def subject(filename: str | None) -> str:
    return f"'{filename}'" if filename else "the file"


def suffix(filename: str | None) -> str:
    return PurePath(filename).suffix.lower() if filename else ""

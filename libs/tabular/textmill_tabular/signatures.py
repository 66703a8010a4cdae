"""Recognising content that is not delimited text (Parquet, archives, images, JSON).

Such uploads get a 415 naming what they look like, instead of a baffling parse error later.
"""

from pathlib import PurePath

from textmill_tabular.errors import UnsupportedFormat

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
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
_EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
# Decoded text of a real CSV holds next to no control characters; binary data holds many.
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")
_MAX_CONTROL_SHARE = 0.01


def reject_binary_signature(head: bytes, filename: str | None) -> None:
    """Raise UnsupportedFormat if `head` starts with the magic number of a known binary format."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            # An .xlsx workbook is a ZIP archive; the name tells the user what they sent.
            if kind == "a ZIP archive" and suffix(filename) in _EXCEL_SUFFIXES:
                kind = "an Excel workbook"
            raise unsupported(filename, kind)


def reject_non_tabular_text(text: str, filename: str | None) -> None:
    """Raise UnsupportedFormat for decoded text that is JSON or mostly control characters."""
    if text.lstrip()[:1] in ("[", "{"):
        raise unsupported(filename, "JSON")
    controls = sum(_is_control(char) for char in text)
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise unsupported(filename, "binary data")


def unsupported(filename: str | None, kind: str) -> UnsupportedFormat:
    subject = f"'{filename}'" if filename else "the file"
    return UnsupportedFormat(
        f"{subject} looks like {kind}; only CSV/TSV are supported in this version"
    )


def suffix(filename: str | None) -> str:
    return PurePath(filename).suffix.lower() if filename else ""


def _is_control(char: str) -> bool:
    code = ord(char)
    return (code < 32 and char not in _TEXT_CONTROLS) or 0x7F <= code <= 0x9F

"""Reading text files line by line while knowing the byte offset where each line starts.

Offsets let a reader stop at one record and a later reader resume there with a seek. A
byte-order mark is skipped once and decoding continues with the BOM-less codec of the same
byte order, so that reading may start at any line boundary. Bytes are counted by encoding each
decoded line again: exact for UTF-8/16/32 and the code pages, whose decoding keeps lengths;
stateful ISO-2022 encodings are the accepted exception.
"""

import codecs
import io
from pathlib import Path
from typing import TextIO

from textmill_tabular.errors import MalformedFile

_ASCII = "".join(map(chr, range(128)))
# A BOM-announcing codec, and the codec that reads the rest of the file after each BOM.
_AFTER_BOM: dict[str, tuple[tuple[bytes, str], ...]] = {
    "utf-8-sig": ((codecs.BOM_UTF8, "utf-8"),),
    "utf-16": ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")),
    "utf-32": ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")),
}


def body_encoding(path: Path, encoding: str) -> tuple[str, int]:
    """(codec for the text after any byte-order mark, length of that mark in bytes)."""
    variants = _AFTER_BOM.get(codecs.lookup(encoding).name)
    if variants is None:
        return encoding, 0
    with path.open("rb") as raw:
        start = raw.read(4)
    # The UTF-32 LE mark begins with the UTF-16 LE one, but only one codec family applies here.
    for bom, codec in variants:
        if start.startswith(bom):
            return codec, len(bom)
    return variants[0][1], 0


def open_text(path: Path, encoding: str, offset: int = 0) -> tuple[TextIO, str, int]:
    """A text stream positioned at byte `offset` (never inside the BOM): (stream, codec, offset)."""
    codec, bom = body_encoding(path, encoding)
    offset = max(offset, bom)
    raw = path.open("rb")
    raw.seek(offset)
    return io.TextIOWrapper(raw, encoding=codec, newline=""), codec, offset


class LineStream:
    """Physical lines of a text file; `offset` and `lines` say where the next line starts."""

    def __init__(self, path: Path, encoding: str, *, offset: int = 0, lines: int = 0) -> None:
        self._path = path
        self._label = encoding  # the detected codec, as messages name it
        self._stream, self._codec, self.offset = open_text(path, encoding, offset)
        self.lines = lines
        self._ascii_bytes = _ASCII.encode(self._codec, errors="replace") == _ASCII.encode()

    def readline(self, size: int) -> str:
        """The next line, or at most `size` characters of it; "" at the end of the file."""
        try:
            line = self._stream.readline(size)
        except UnicodeDecodeError as exc:
            raise undecodable(self._path, self._stream, exc, self._label) from exc
        if line:
            self.lines += 1
            ascii_only = self._ascii_bytes and line.isascii()
            self.offset += len(line) if ascii_only else len(line.encode(self._codec))
        return line

    @property
    def text(self) -> TextIO:
        """The text stream itself, for a reader that needs no offsets (`offset` and `lines`
        stop following it)."""
        return self._stream

    def resume_at(self, offset: int, lines: int) -> None:
        """Continue from byte `offset`, a line boundary, which is line number `lines`."""
        self._stream.close()
        self._stream, self._codec, self.offset = open_text(self._path, self._label, offset)
        self.lines = lines

    def close(self) -> None:
        self._stream.close()


def undecodable(
    path: Path, stream: TextIO, exc: UnicodeDecodeError, encoding: str
) -> MalformedFile:
    """The error for bytes that do not decode, saying at which byte and line they are."""
    # The stream decodes whole chunks ahead of the parser, so the position comes from the bytes
    # consumed so far, not from the lines parsed so far.
    offset = stream.buffer.tell() - len(exc.object) + exc.start
    line = _line_at(path, offset, encoding)
    return MalformedFile(
        f"byte 0x{exc.object[exc.start]:02x} at offset {offset:,} (line {line:,}) is "
        f"not valid {encoding}, the encoding detected from the file's start"
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

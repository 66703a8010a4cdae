"""Streaming reader for a JSON file holding one top-level array of objects.

json.load would hold the whole file; here `JSONDecoder.raw_decode` decodes one object at a time
from a buffer refilled in chunks, so memory is bounded by the largest object (and refused past
`max_row_chars`). Row numbers in errors are record numbers (the first object is record 1);
messages add the line. Without byte checkpoints, a row range is read by scanning from the start.
"""

import json
from collections.abc import Callable, Iterator
from typing import TextIO

from textmill_tabular.errors import MalformedFile, TooLarge
from textmill_tabular.json_rows import JsonObjectsReader, JsonRecord
from textmill_tabular.lines import open_text, undecodable

_CHUNK_CHARS = 64 * 1024
_WHITESPACE = frozenset(" \t\n\r")


class JsonArrayReader(JsonObjectsReader):
    _stream: TextIO

    def _open(self) -> None:
        self._stream, _, _ = open_text(self._path, self.dialect.encoding)

    def close(self) -> None:
        self._stream.close()

    def _records(self) -> Iterator[JsonRecord]:
        items = ArrayItems(self._stream, self._limits.max_row_chars, self._undecodable)
        for number, line, value in items:
            yield JsonRecord(row=number, where=f"record {number:,} (line {line:,})", value=value)

    def _undecodable(self, exc: UnicodeDecodeError) -> MalformedFile:
        return undecodable(self._path, self._stream, exc, self.dialect.encoding)


class ArrayItems:
    """The items of a top-level JSON array, decoded one at a time: (number, line, value)."""

    def __init__(
        self,
        stream: TextIO,
        max_chars: int,
        undecodable_error: Callable[[UnicodeDecodeError], MalformedFile],
    ) -> None:
        self._stream = stream
        self._max_chars = max_chars
        self._undecodable = undecodable_error
        self._decoder = json.JSONDecoder()
        self._buffer = ""
        self._pos = 0  # next character to look at in the buffer
        self._eof = False
        self._counted = 0  # buffer position up to which newlines are counted...
        self._line = 1  # ...and the line number there

    def __iter__(self) -> Iterator[tuple[int, int, object]]:
        first = self._peek()
        if first != "[":
            raise MalformedFile(
                f"a JSON file must hold an array of objects, but it starts with {_shown(first)}"
            )
        self._pos += 1
        if self._peek() == "]":
            self._pos += 1
            self._expect_end()
            return
        number = 0
        while True:
            number += 1
            self._peek()  # the record starts after the whitespace
            line = self._line_here()
            yield number, line, self._decode(number, line)
            following = self._peek()
            self._pos += 1
            if following == "]":
                self._expect_end()
                return
            if following != ",":
                raise MalformedFile(
                    f"expected ',' or ']' after record {number:,} (line {self._line_here():,}), "
                    f"found {_shown(following)}",
                    row=number,
                )

    def _decode(self, number: int, line: int) -> object:
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except RecursionError as exc:  # the decoder recurses once per level
                raise MalformedFile(
                    f"record {number:,} (from line {line:,}) is nested too deeply", row=number
                ) from exc
            except json.JSONDecodeError as exc:
                if self._eof:
                    raise MalformedFile(
                        f"invalid JSON in record {number:,} (from line {line:,}), at line "
                        f"{self._line_of(exc.pos):,}: {exc.msg}",
                        row=number,
                    ) from exc
            else:
                # A number may continue in the next chunk; an object cannot end before its "}".
                if end < len(self._buffer) or self._eof:
                    self._check_size(end - self._pos, number, line)
                    self._pos = end
                    return value
            self._check_size(len(self._buffer) - self._pos, number, line)
            self._fill(max(_CHUNK_CHARS, len(self._buffer) - self._pos))

    def _check_size(self, chars: int, number: int, line: int) -> None:
        if chars > self._max_chars:
            raise TooLarge(
                f"record {number:,} (from line {line:,}) runs past {self._max_chars:,} characters",
                row=number,
            )

    def _peek(self) -> str:
        """The next character that is not whitespace ("" at the end), without consuming it."""
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in _WHITESPACE:
                self._pos += 1
            if self._pos < len(self._buffer) or not self._fill(_CHUNK_CHARS):
                return self._buffer[self._pos : self._pos + 1]

    def _expect_end(self) -> None:
        if (extra := self._peek()) != "":
            raise MalformedFile(
                f"the JSON array closes before line {self._line_here():,}, where "
                f"{_shown(extra)} follows it; a JSON file must hold a single array"
            )

    def _fill(self, chars: int) -> bool:
        """Drop what was consumed and read up to `chars` more; False at the end of the file."""
        self._line_of(self._pos)
        self._buffer = self._buffer[self._pos :]
        self._counted -= self._pos
        self._pos = 0
        try:
            chunk = self._stream.read(chars)
        except UnicodeDecodeError as exc:
            raise self._undecodable(exc) from exc
        self._eof = not chunk
        self._buffer += chunk
        return bool(chunk)

    def _line_here(self) -> int:
        return self._line_of(self._pos)

    def _line_of(self, pos: int) -> int:
        if pos > self._counted:
            self._line += self._buffer.count("\n", self._counted, pos)
            self._counted = pos
        return self._line - self._buffer.count("\n", pos, self._counted)


def _shown(char: str) -> str:
    return f"'{char}'" if char else "the end of the file"

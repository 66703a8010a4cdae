"""Streaming reader for JSON Lines (NDJSON): one object per line, blank lines skipped.

Row numbers in errors are line numbers. Like CSV, the file is read line by line within the row
budget, and each record's byte offset is known, so a RowIndex can seek into it.
"""

import json
from collections.abc import Iterator

from textmill_tabular.errors import MalformedFile, TooLarge
from textmill_tabular.json_rows import JsonObjectsReader, JsonRecord
from textmill_tabular.lines import LineStream
from textmill_tabular.row_index import Checkpoint, Position


class JsonLinesReader(JsonObjectsReader):
    _source: LineStream

    def _open(self) -> None:
        self._source = LineStream(self._path, self.dialect.encoding)

    def close(self) -> None:
        self._source.close()

    def _resume(self, checkpoint: Checkpoint) -> bool:
        position = checkpoint.position
        self._source.resume_at(position.offset, position.line)
        return True

    def _records(self) -> Iterator[JsonRecord]:
        budget = self._limits.max_row_chars
        while True:
            start = Position(self._source.offset, self._source.lines, self._source.lines)
            line = self._source.readline(budget + 1)
            if not line:
                return
            number = self._source.lines
            if len(line.rstrip("\r\n")) > budget:
                raise TooLarge(f"line {number:,} runs past {budget:,} characters", row=number)
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except RecursionError as exc:  # the decoder recurses once per level
                raise MalformedFile(f"line {number:,} is nested too deeply", row=number) from exc
            except json.JSONDecodeError as exc:
                raise MalformedFile(
                    f"invalid JSON on line {number:,}: {exc.msg} (column {exc.colno})",
                    row=number,
                ) from exc
            yield JsonRecord(row=number, where=f"line {number:,}", value=value, position=start)

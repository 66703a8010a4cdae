"""What the two JSON formats share: objects become rows under columns fixed by the first ones.

The header is the union of the keys of the first HEADER_RECORDS objects, in order of first
appearance. A key first seen later would be a column the profile never saw, so it is refused
(MalformedFile naming the record and the key) rather than silently dropped. Keys an object
lacks are "" in its row.
"""

from abc import abstractmethod
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from textmill_tabular.cells import json_text
from textmill_tabular.detection import Dialect
from textmill_tabular.errors import MalformedFile, TooLarge
from textmill_tabular.reader import Limits, TableReader, check_cells, unique_names
from textmill_tabular.row_index import Position

HEADER_RECORDS = 1000
_KINDS = {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "an array"}


class JsonRecord(NamedTuple):
    """One decoded JSON value; `row` is the number errors carry, `where` words it."""

    row: int
    where: str
    value: object
    position: Position | None = None


class JsonObjectsReader(TableReader):
    """Rows from a stream of JSON objects; subclasses say how the objects are read."""

    def __init__(self, path: Path, dialect: Dialect, limits: Limits) -> None:
        self.dialect = dialect
        self._path = path
        self._limits = limits
        self._open()
        try:
            keys = self._scan_keys()
            self.header = unique_names(keys)
            self._columns = {key: position for position, key in enumerate(keys)}
            self._restart()
        except BaseException:
            self.close()
            raise

    @abstractmethod
    def _open(self) -> None:
        """Open the file at its start."""

    @abstractmethod
    def _records(self) -> Iterator[JsonRecord]:
        """The decoded values, from wherever the file stands."""

    def _restart(self) -> None:
        self.close()
        self._open()

    def rows(self) -> Iterator[list[str]]:
        for _, row in self.positioned_rows():
            yield row

    def positioned_rows(self) -> Iterator[tuple[Position | None, list[str]]]:
        for record in self._records():
            row = self._row(record)
            check_cells(row, self.header, self._limits, record.where, record.row)
            yield record.position, row

    def _scan_keys(self) -> list[str]:
        keys: dict[str, None] = {}
        for record in islice(self._records(), HEADER_RECORDS):
            keys.update(dict.fromkeys(_object(record)))
            if len(keys) > self._limits.max_columns:
                raise TooLarge(
                    f"the first {record.row:,} records have {len(keys):,} distinct keys; the "
                    f"limit is {self._limits.max_columns:,} columns",
                    row=record.row,
                )
        return list(keys)

    def _row(self, record: JsonRecord) -> list[str]:
        row = [""] * len(self.header)
        for key, value in _object(record).items():
            position = self._columns.get(key)
            if position is None:
                raise MalformedFile(
                    f"{record.where} has the key '{key}', which none of the first "
                    f"{HEADER_RECORDS:,} records has; the columns are the keys of those records",
                    row=record.row,
                    column=key,
                )
            row[position] = json_text(value)
        return row


def _object(record: JsonRecord) -> dict[str, object]:
    if isinstance(record.value, dict):
        return record.value
    kind = "null" if record.value is None else _KINDS.get(type(record.value), "not an object")
    raise MalformedFile(
        f"{record.where} is {kind}, not an object; each record must be a JSON object",
        row=record.row,
    )

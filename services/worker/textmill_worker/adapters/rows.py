"""A shard's rows, read from the stored file through its row index, and the values of the
run's other columns read in the same pass and kept for their shards (`SiblingValues`)."""

import sys
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from pymongo.synchronous.database import Database

from textmill_infra.blobs import open_stored_file
from textmill_infra.caches import SizedCache
from textmill_storage import RowIndexes
from textmill_tabular import read_rows

Rows = Iterator[tuple[int, list[str]]]


# (the column's position in the header, the records, the column's values)
Kept = tuple[int, list[int], list[str]]


def _values_size(kept: Kept) -> int:
    return sum(map(sys.getsizeof, kept[2]))


class SiblingValues(SizedCache[tuple, Kept]):
    """A column's values over a shard's rows, keyed (file, column, start, end), read in the
    pass of a sibling shard (the same file and rows, another column of the run) and kept
    for that shard's turn (`pop`): its rows are then neither fetched nor parsed again. Least
    recently kept first out, past `max_bytes` of values (their strings' own size: a
    character takes 1 to 4 bytes)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, _values_size)


# A run's shards go out range by range, each range's columns together (see the
# coordinator's planning): a sibling's values wait about one shard. A shard's most rows
# (80,000) of 200-character ASCII texts in 2 sibling columns fit; longer texts or more
# columns are read again by their own shards.
SIBLING_BYTES = 64 * 1024 * 1024


class ShardRows:
    """The rows of one column over a row range, read from the stored file (synchronous:
    called from a thread)."""

    def __init__(self, db: Database, siblings: SiblingValues) -> None:
        self._db, self._indexes = db, RowIndexes(db)
        self._siblings = siblings

    def open(
        self,
        tenant: str,
        file_id: str,
        column: str,
        start: int,
        end: int,
        *,
        offset: int | None = None,
        siblings: Sequence[str] = (),
    ) -> tuple[int, Rows]:
        """(the column's position in the header, an iterator of (record, [value, ...]))
        over rows [offset, end) of the shard [start, end); the first value is `column`'s.

        The rows come from a sibling's pass when one kept them; otherwise `siblings` (the
        run's other columns) are read in the same pass, and kept when it reads the whole
        shard."""
        offset = start if offset is None else offset
        kept = self._siblings.pop((file_id, column, start, end))
        if kept is not None:
            position, records, values = kept
            skip = bisect_left(records, offset)
            return position, _served(records[skip:], values[skip:])
        indexed = self._indexes.get(file_id)
        if indexed is None:
            raise LookupError(f"the row index of file {file_id} is gone")
        index, header = indexed
        source = open_stored_file(self._db, tenant, file_id)
        siblings = [name for name in siblings if name != column] if offset == start else []
        rows = read_rows(
            source, source.name, columns=[column, *siblings], start=offset, end=end, index=index
        )
        if siblings:
            keys = [(file_id, name, start, end) for name in siblings]
            rows = self._keeping(rows, keys, [header.index(name) for name in siblings])
        return header.index(column), rows

    def _keeping(self, rows: Rows, keys: list[tuple], positions: list[int]) -> Rows:
        """`rows`, keeping the siblings' values once the last one has been read. Whenever
        they pass what the cache may hold, the column gathered largest so far is dropped
        (its shard reads the file again): a worker's memory stays bounded whatever the
        shard's rows and the texts' length (80,000 rows of 5,000-character texts hold
        400 MB a column), and the siblings that fit are still kept. Counted every
        `COUNT_EVERY` rows, column by column, rather than value by value."""
        records: list[int] = []
        columns: list[list[str] | None] = [[] for _ in keys]
        sizes = [0] * len(keys)
        room, gathering = self._siblings.max_bytes, len(keys)
        pending: list[list[str]] = []
        for record, values in rows:
            if gathering:
                records.append(record)
                pending.append(values)
                if len(pending) == COUNT_EVERY:
                    room, gathering = _gather(pending, columns, sizes, room, gathering)
                    pending = []
            yield record, values
        if gathering and pending:
            room, gathering = _gather(pending, columns, sizes, room, gathering)
        for key, position, values in zip(keys, positions, columns, strict=True):
            if values is not None:
                self._siblings.put(key, (position, records, values))


# Rows whose sibling values are counted at once: at most this many rows' values are held
# beyond the cache's bound.
COUNT_EVERY = 64


def _gather(
    pending: list[list[str]],
    columns: list[list[str] | None],
    sizes: list[int],
    room: int,
    gathering: int,
) -> tuple[int, int]:
    """Add the siblings' values of the `pending` rows to their columns still gathered; drop
    the largest columns while they pass the room left. (room, columns still gathered)."""
    for n, kept in enumerate(columns):
        if kept is not None:
            values = [row[n + 1] for row in pending]
            kept.extend(values)
            size = sum(map(sys.getsizeof, values))
            sizes[n] += size
            room -= size
    while room < 0:
        largest = max(range(len(columns)), key=sizes.__getitem__)
        columns[largest], room = None, room + sizes[largest]
        sizes[largest], gathering = -1, gathering - 1
    return room, gathering


def _served(records: list[int], values: list[str]) -> Rows:
    for record, value in zip(records, values, strict=True):
        yield record, [value]

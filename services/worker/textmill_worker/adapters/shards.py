"""What a worker reads and writes in MongoDB: its shard's checkpoint, the file's row index
and rows, and the results (one aligned batch per write, idempotent by the batch `_id`)."""

import sys
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from pymongo.synchronous.database import Database

from textmill_contracts.envelope import utc_now
from textmill_infra.blobs import StoredFileSource
from textmill_infra.caches import SizedCache
from textmill_infra.runs import RESULTS, ROW_INDEXES, SHARDS, result_batch_docs
from textmill_tabular import RowIndex, read_rows

LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class ShardStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._shards = db[SHARDS]

    async def get(self, shard_id: str) -> dict | None:
        return await self._shards.find_one({"_id": shard_id})

    async def claim(self, shard_id: str, worker: str, attempt: int, resumed_from: int) -> None:
        fields = {"worker": worker, "attempt": attempt, "updated_at": utc_now()}
        if resumed_from:
            fields["resumed_from"] = resumed_from
        await self._shards.update_one({"_id": shard_id}, {"$set": fields})

    async def release(self, shard_id: str, worker: str) -> None:
        """`worker` (if it still holds the shard) stops: the shard reads as untouched since
        long ago, so that the next worker handed it takes it at once, and the coordinator's
        sweep re-publishes it once `worker` is gone."""
        await self._shards.update_one(
            {"_id": shard_id, "worker": worker}, {"$set": {"updated_at": LONG_AGO}}
        )

    async def checkpoint(self, shard_id: str, offset: int, cells: int, done: bool) -> None:
        await self._shards.update_one(
            {"_id": shard_id},
            {
                "$max": {"offset": offset, "cells": cells},
                "$set": {"done": done, "updated_at": utc_now()},
            },
        )

    async def write_batch(
        self, run_id: str, column: str, position: int, records: list[int], cells: bytes
    ) -> bool:
        """Store one aligned batch (`cells`: the JSON list of its results, one per record);
        False when it was already stored (a redelivered or reassigned shard rewrites
        nothing).

        A batch in parts writes them first, then its own document, which says it is stored:
        a write cut short leaves parts that the redo writes again (the same cells, since the
        chains are deterministic), and none are rewritten once the batch is stored."""
        doc, parts = result_batch_docs(run_id, column, position, records[0], len(records), cells)
        results = self._db[RESULTS]
        if parts and await results.find_one({"_id": doc["_id"]}, {"_id": 1}) is not None:
            return False
        for part in parts:
            await results.replace_one({"_id": part["_id"]}, part, upsert=True)
        try:
            await results.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True


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
# (120,000) of 200-character ASCII texts in 2 sibling columns fit; longer texts or more
# columns are read again by their own shards.
SIBLING_VALUES = SiblingValues(64 * 1024 * 1024)


class ShardRows:
    """The rows of one column over a row range, read from the stored file (synchronous:
    called from a thread)."""

    def __init__(self, db: Database, siblings: SiblingValues = SIBLING_VALUES) -> None:
        self._db = db
        self._siblings = siblings

    def open(
        self,
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
        indexed = self._db[ROW_INDEXES].find_one({"_id": file_id})
        file_doc = self._db["fs.files"].find_one({"_id": ObjectId(file_id)})
        if indexed is None or file_doc is None:
            raise LookupError(f"file {file_id} or its row index is gone")
        header: list[str] = indexed["header"]
        siblings = [name for name in siblings if name != column] if offset == start else []
        source = StoredFileSource(self._db, file_doc)
        rows = read_rows(
            source,
            source.name,
            columns=[column, *siblings],
            start=offset,
            end=end,
            index=RowIndex.from_json(indexed["index"]),
        )
        if siblings:
            keys = [(file_id, name, start, end) for name in siblings]
            rows = self._keeping(rows, keys, [header.index(name) for name in siblings])
        return header.index(column), rows

    def _keeping(self, rows: Rows, keys: list[tuple], positions: list[int]) -> Rows:
        """`rows`, keeping the siblings' values once the last one has been read. Whenever
        they pass what the cache may hold, the column gathered largest so far is dropped
        (its shard reads the file again): a worker's memory stays bounded whatever the
        shard's rows and the texts' length (120,000 rows of 5,000-character texts hold
        600 MB a column), and the siblings that fit are still kept."""
        records: list[int] = []
        columns: list[list[str] | None] = [[] for _ in keys]
        sizes = [0] * len(keys)
        room, gathering = self._siblings.max_bytes, len(keys)
        for record, values in rows:
            if gathering:
                records.append(record)
                for n, value in enumerate(values[1:]):
                    if (kept := columns[n]) is not None:
                        kept.append(value)
                        size = sys.getsizeof(value)
                        sizes[n] += size
                        room -= size
                while room < 0:
                    largest = max(range(len(keys)), key=sizes.__getitem__)
                    columns[largest], room = None, room + sizes[largest]
                    sizes[largest], gathering = -1, gathering - 1
            yield record, values
        for key, position, values in zip(keys, positions, columns, strict=True):
            if values is not None:
                self._siblings.put(key, (position, records, values))


def _served(records: list[int], values: list[str]) -> Rows:
    for record, value in zip(records, values, strict=True):
        yield record, [value]

"""What a worker reads and writes in MongoDB: its shard's checkpoint, the file's row index
and rows, and the results (one aligned batch per write, idempotent by the batch `_id`)."""

from collections.abc import Iterator

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from pymongo.synchronous.database import Database

from textmill_contracts.envelope import utc_now
from textmill_infra.blobs import StoredFileSource
from textmill_infra.runs import RESULTS, ROW_INDEXES, SHARDS, result_batch_docs
from textmill_tabular import RowIndex, read_rows


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


class ShardRows:
    """The rows of one column over a row range, read from the stored file (synchronous:
    called from a thread)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def open(
        self, file_id: str, column: str, start: int, end: int
    ) -> tuple[int, Iterator[tuple[int, list[str]]]]:
        """(the column's position in the header, an iterator of (record, [value]))."""
        indexed = self._db[ROW_INDEXES].find_one({"_id": file_id})
        file_doc = self._db["fs.files"].find_one({"_id": ObjectId(file_id)})
        if indexed is None or file_doc is None:
            raise LookupError(f"file {file_id} or its row index is gone")
        header: list[str] = indexed["header"]
        source = StoredFileSource(self._db, file_doc)
        rows = read_rows(
            source,
            source.name,
            columns=[column],
            start=start,
            end=end,
            index=RowIndex.from_json(indexed["index"]),
        )
        return header.index(column), rows

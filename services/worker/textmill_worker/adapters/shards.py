"""What a worker reads and writes in MongoDB: its shard's checkpoint, the file's row index
and rows, and the results (bulk, idempotent by `_id` = column position + record)."""

import json
from collections.abc import Iterator

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError
from pymongo.synchronous.database import Database

from textmill_contracts.envelope import utc_now
from textmill_infra.blobs import StoredFileSource
from textmill_infra.runs import ROW_INDEXES, SHARDS, result_id, results_collection
from textmill_tabular import RowIndex, read_rows

DUPLICATE_KEY = 11000


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

    async def write_results(self, run_id: str, docs: list[dict]) -> int:
        """Insert what is not stored yet; returns how many were new. A redelivered shard
        rewrites nothing: the unique `_id` refuses the cells already stored."""
        if not docs:
            return 0
        try:
            result = await self._db[results_collection(run_id)].insert_many(docs, ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            errors = exc.details["writeErrors"]
            if any(e["code"] != DUPLICATE_KEY for e in errors):
                raise
            return len(docs) - len(errors)


def result_document(column: str, position: int, result: dict, record: int) -> dict:
    return {"_id": result_id(position, record), "column": column, "record": record, **result}


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
            index=RowIndex.from_dict(json.loads(indexed["index"])),
        )
        return header.index(column), rows

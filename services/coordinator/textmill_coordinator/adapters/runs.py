"""Runs and shards in MongoDB, and each file's row index. Every write is keyed by `_id`, so
a redelivered command or progress event rewrites what it wrote before."""

from datetime import datetime

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError
from pymongo.synchronous.database import Database

from textmill_contracts.envelope import utc_now
from textmill_coordinator.planning import ShardPlan
from textmill_infra.blobs import StoredFileSource
from textmill_infra.runs import ROW_INDEXES, RUNS, SHARDS, row_index_doc, shard_id
from textmill_tabular import RowIndex, build_row_index, open_table

DUPLICATE_KEY = 11000


class FileGone(Exception):
    pass


class RunStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._runs, self._shards = db[RUNS], db[SHARDS]

    async def get(self, run_id: str) -> dict | None:
        return await self._runs.find_one({"_id": run_id})

    async def save_plan(self, run_id: str, plans: list[ShardPlan], chains: list[str]) -> None:
        """Shards first, then the run's view of them: a crash in between replans the same."""
        docs = [
            {
                "_id": shard_id(run_id, p.n),
                "run_id": run_id,
                "n": p.n,
                "column": p.column,
                "start": p.start,
                "end": p.end,
                "offset": p.start,
                "cells": 0,
                "done": False,
                "chains": chains,
            }
            for p in plans
        ]
        if docs:
            try:
                await self._shards.insert_many(docs, ordered=False)
            except BulkWriteError as exc:
                if any(e["code"] != DUPLICATE_KEY for e in exc.details["writeErrors"]):
                    raise
        progress = {
            f"shards.{p.n}": {"column": p.column, "total": p.cells, "cells": 0, "done": False}
            for p in plans
        }
        await self._runs.update_one(
            {"_id": run_id, "status": "accepted"},
            {"$set": {**progress, "status": "queued", "queued_at": utc_now()}},
        )

    async def shards_not_done(self, run_id: str) -> list[dict]:
        return [s async for s in self._shards.find({"run_id": run_id, "done": False})]

    async def record_progress(self, run_id: str, n: int, cells: int, done: bool) -> dict | None:
        """Fold one shard's progress in (monotonic: a late, older event changes nothing);
        returns the run as it is after that."""
        update: dict = {"$max": {f"shards.{n}.cells": cells}}
        if done:
            update["$set"] = {f"shards.{n}.done": True}
        return await self._runs.find_one_and_update(
            {"_id": run_id}, update, return_document=ReturnDocument.AFTER
        )

    async def set_status(
        self, run_id: str, status: str, *, only_from: list[str], **fields: datetime | str | None
    ) -> bool:
        result = await self._runs.update_one(
            {"_id": run_id, "status": {"$in": only_from}},
            {"$set": {"status": status, **fields}},
        )
        return result.modified_count == 1

    async def active(self) -> list[dict]:
        return [r async for r in self._runs.find({"status": {"$in": ["queued", "running"]}})]


class RowIndexes:
    """A file's row index: stored by the gateway on upload; built here (a full read of the
    stored file) for a file stored without one."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get_or_build(self, tenant: str, file_id: str) -> tuple[RowIndex, list[str]]:
        cached = self._db[ROW_INDEXES].find_one({"_id": file_id})
        if cached is not None:
            return RowIndex.from_json(cached["index"]), cached["header"]
        doc = self._file(tenant, file_id)
        source = StoredFileSource(self._db, doc)
        index = build_row_index(source, source.name)

        with open_table(source, source.name) as table:
            header = list(table.header)
        self._db[ROW_INDEXES].replace_one(
            {"_id": file_id}, row_index_doc(file_id, index.to_json(), header), upsert=True
        )
        return index, header

    def _file(self, tenant: str, file_id: str) -> dict:
        try:
            oid = ObjectId(file_id)
        except (InvalidId, TypeError) as exc:
            raise FileGone(file_id) from exc
        doc = self._db["fs.files"].find_one({"_id": oid})
        if doc is None or (doc.get("metadata") or {}).get("tenant") != tenant:
            raise FileGone(file_id)
        return doc

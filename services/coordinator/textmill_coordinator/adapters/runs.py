"""Runs and shards in MongoDB, and each file's row index. Every write is keyed by `_id`, so
a redelivered command or progress event rewrites what it wrote before.

Every read is keyed by `_id` too (a status change as well: `RunStatuses`), or scans only
`active_runs`, which holds one small document per run being analysed. FerretDB's SQLite
backend pushes only `_id` filters down: `runs.find({"status": ...})` and
`shards.find({"run_id": ...})` decode every run and shard ever stored. With the ~400 runs
of a few benchmark sessions the sweep's two scans cost FerretDB ~0.4 s of CPU every 5 s
during a run, and planning a run waited ~0.2 s for one.
"""

from datetime import datetime

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError
from pymongo.synchronous.database import Database

from textmill_contracts.envelope import utc_now
from textmill_contracts.runs import TERMINAL_STATUSES
from textmill_coordinator.planning import ShardPlan
from textmill_infra.blobs import StoredFileSource
from textmill_infra.runs import (
    ACTIVE_RUNS,
    ROW_INDEXES,
    RUNS,
    SHARDS,
    RunStatuses,
    row_index_doc,
    shard_id,
)
from textmill_infra.stores import find_by_ids
from textmill_tabular import RowIndex, build_row_index, open_table

DUPLICATE_KEY = 11000
SWEPT = ("queued", "running")  # the statuses whose shards the sweep watches
LOOKUP_WINDOW = 64  # `_id` lookups in flight at once


class FileGone(Exception):
    pass


class RunStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._runs, self._shards, self._active = db[RUNS], db[SHARDS], db[ACTIVE_RUNS]
        self._statuses = RunStatuses(db)

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
        # Registered before it is queued: a crash in between leaves an entry that `active`
        # skips (the run is still "accepted") until the redelivered command queues it.
        await self._register(run_id)
        await self._statuses.move(
            run_id, "queued", only_from=["accepted"], **progress, queued_at=utc_now()
        )

    async def shards_not_done(self, run: dict) -> list[dict]:
        """The run's shards that are not done, in order. The run's own `shards.<n>` says
        which may not be; each is then read by `_id`."""
        pending = sorted(int(n) for n, shard in run.get("shards", {}).items() if not shard["done"])
        ids = [shard_id(run["_id"], n) for n in pending]
        docs = await find_by_ids(self._shards, ids, LOOKUP_WINDOW)
        return [doc for doc in docs if doc is not None and not doc["done"]]

    async def mark_republished(self, shard: str, attempt: int) -> None:
        """The sweep published `shard` again as `attempt`. Not `updated_at`, which says when
        its holder last touched it (a worker handed it leaves a shard touched lately)."""
        await self._shards.update_one(
            {"_id": shard}, {"$set": {"republished_at": utc_now(), "attempt": attempt}}
        )

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
        moved = await self._statuses.move(run_id, status, only_from=only_from, **fields)
        if status in TERMINAL_STATUSES:
            await self._active.delete_one({"_id": run_id})
        return moved

    async def active(self) -> list[dict]:
        """The queued and running runs, oldest first. An entry whose run has ended some other
        way (the gateway marks a cancel itself) or is gone is dropped here."""
        ids = [doc["_id"] async for doc in self._active.find({}, {"_id": 1}).sort("since", 1)]
        runs = await find_by_ids(self._runs, ids, LOOKUP_WINDOW)
        for run_id, run in zip(ids, runs, strict=True):
            if run is None or run["status"] in TERMINAL_STATUSES:
                await self._active.delete_one({"_id": run_id})
        return [run for run in runs if run is not None and run["status"] in SWEPT]

    async def register_active(self) -> int:
        """Enter every queued or running run in `active_runs` (a scan of `runs`, once, when a
        coordinator starts: runs queued by a version without the registry, or whose entry
        was lost); returns how many were missing."""
        found = {
            run["_id"] async for run in self._runs.find({"status": {"$in": SWEPT}}, {"_id": 1})
        }
        known = {doc["_id"] async for doc in self._active.find({}, {"_id": 1})}
        for run_id in found - known:
            await self._register(run_id)
        return len(found - known)

    async def _register(self, run_id: str) -> None:
        """Enter the run in `active_runs` (idempotent: a second entry keeps the first's
        `since`)."""
        await self._active.update_one(
            {"_id": run_id}, {"$setOnInsert": {"since": utc_now()}}, upsert=True
        )


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

"""Shards in MongoDB: stored by the coordinator when it plans a run, claimed and
checkpointed by the worker analysing them. Every write is keyed by `_id`, so a redelivered
command or event rewrites what it wrote before."""

from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from textmill_contracts.envelope import utc_now
from textmill_infra.clients import find_by_ids
from textmill_runs import Run, Shard, ShardPlan, shard_id
from textmill_storage.collections import LOOKUP_WINDOW, SHARDS
from textmill_storage.documents import shard_document, shard_from

DUPLICATE_KEY = 11000
LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class ShardRecords:
    def __init__(self, db: AsyncDatabase) -> None:
        self._shards = db[SHARDS]

    async def insert_plan(self, run_id: str, plans: list[ShardPlan], chains: list[str]) -> None:
        """Store the planned shards; those stored already (a replanned run) stay as they are."""
        docs = [shard_document(run_id, plan, chains) for plan in plans]
        if not docs:
            return
        try:
            await self._shards.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            if any(e["code"] != DUPLICATE_KEY for e in exc.details["writeErrors"]):
                raise

    async def get(self, shard: str) -> Shard | None:
        doc = await self._shards.find_one({"_id": shard})
        return shard_from(doc) if doc is not None else None

    async def not_done(self, run: Run) -> list[Shard]:
        """The run's shards that are not done, in order: the run says which may not be, and
        each is then read by `_id`."""
        ids = [shard_id(run.id, n) for n in run.pending_shards()]
        docs = await find_by_ids(self._shards, ids, LOOKUP_WINDOW)
        return [shard_from(doc) for doc in docs if doc is not None and not doc["done"]]

    async def claim(self, shard: str, worker: str, attempt: int, resumed_from: int) -> None:
        fields = {"worker": worker, "attempt": attempt, "updated_at": utc_now()}
        if resumed_from:
            fields["resumed_from"] = resumed_from
        await self._shards.update_one({"_id": shard}, {"$set": fields})

    async def release(self, shard: str, worker: str) -> None:
        """`worker` (if it still holds the shard) stops: the shard reads as untouched since
        long ago, so that the next worker handed it takes it at once, and the coordinator's
        sweep re-publishes it once `worker` is gone."""
        await self._shards.update_one(
            {"_id": shard, "worker": worker}, {"$set": {"updated_at": LONG_AGO}}
        )

    async def checkpoint(self, shard: str, offset: int, cells: int, done: bool) -> None:
        await self._shards.update_one(
            {"_id": shard},
            {
                "$max": {"offset": offset, "cells": cells},
                "$set": {"done": done, "updated_at": utc_now()},
            },
        )

    async def mark_republished(self, shard: str, attempt: int) -> None:
        """The sweep published `shard` again as `attempt`. Not `updated_at`, which says when
        its holder last touched it."""
        await self._shards.update_one(
            {"_id": shard}, {"$set": {"republished_at": utc_now(), "attempt": attempt}}
        )

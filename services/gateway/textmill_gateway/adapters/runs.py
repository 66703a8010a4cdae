"""Runs as the gateway reads and writes them: created here as `accepted`, planned and moved
on by the coordinator, results written by workers (layout: `textmill_infra.runs`)."""

from collections.abc import AsyncIterator

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts.envelope import utc_now
from textmill_infra.runs import RUNS, result_id, results_collection


class RunStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._runs = db[RUNS]

    async def create(
        self,
        run_id: str,
        tenant: str,
        file_id: str,
        columns: list[str],
        chains: list[str],
        rows: int,
    ) -> dict:
        doc = {
            "_id": run_id,
            "tenant": tenant,
            "file_id": file_id,
            "columns": columns,
            "chains": chains,
            "status": "accepted",
            "rows": rows,
            "cells_total": rows * len(columns),
            "created_at": utc_now(),
        }
        await self._runs.insert_one(doc)
        return doc

    async def get(self, tenant: str, run_id: str) -> dict | None:
        doc = await self._runs.find_one({"_id": run_id})
        if doc is None or doc.get("tenant") != tenant:
            return None  # another tenant's run answers as an absent one
        return doc

    async def for_tenant(self, tenant: str, limit: int = 100) -> list[dict]:
        cursor = (
            self._runs.find({"tenant": tenant}, {"shards": 0})
            .sort("created_at", DESCENDING)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def mark_cancelled(self, run_id: str) -> None:
        await self._runs.update_one(
            {"_id": run_id, "status": {"$in": ["accepted", "queued", "running"]}},
            {"$set": {"status": "cancelled", "finished_at": utc_now()}},
        )

    async def results_page(
        self, run_id: str, *, after: str | None, column_position: int | None, limit: int
    ) -> list[dict]:
        query: dict = {}
        if column_position is not None:
            low = result_id(column_position, 0)
            high = result_id(column_position + 1, 0)
            query["_id"] = {"$gte": low, "$lt": high}
        if after is not None:
            query.setdefault("_id", {})["$gt"] = after
        cursor = (
            self._db[results_collection(run_id)].find(query).sort("_id", ASCENDING).limit(limit)
        )
        return [doc async for doc in cursor]

    async def results_between(
        self, run_id: str, column_position: int, start: int, end: int
    ) -> dict[int, dict]:
        """The column's results for records [start, end), by record."""
        query = {
            "_id": {
                "$gte": result_id(column_position, start),
                "$lt": result_id(column_position, end),
            }
        }
        return {
            doc["record"]: doc async for doc in self._db[results_collection(run_id)].find(query)
        }

    def all_results(self, run_id: str) -> AsyncIterator[dict]:
        return self._db[results_collection(run_id)].find({}, {"_id": 0})

"""Runs in MongoDB, as every service reads and writes them: created `accepted` by the
gateway, planned and moved on by the coordinator. Every read and write is by `_id`, or
scans only `active_runs` (one small document per run under way): FerretDB decodes every
document for any other filter.
"""

import dataclasses
from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from textmill_contracts.envelope import utc_now
from textmill_infra.clients import find_by_ids
from textmill_runs import UNDER_WAY, Run, ShardPlan, is_terminal
from textmill_storage.collections import ACTIVE_RUNS, LOOKUP_WINDOW, RUN_ESTIMATES, RUNS
from textmill_storage.documents import planned_shards, run_document, run_from
from textmill_storage.run_statuses import RunStatuses
from textmill_storage.tenant_runs import TenantRuns


class RunRecords:
    def __init__(self, db: AsyncDatabase) -> None:
        self._runs, self._active = db[RUNS], db[ACTIVE_RUNS]
        self._estimates = db[RUN_ESTIMATES]
        self._statuses = RunStatuses(db)
        self._tenant_runs = TenantRuns(db)

    async def create(self, run: Run) -> Run:
        """Store a new run (`accepted`), entered first in its tenant's list: a run stored
        without its entry would never be listed, an entry without its run is skipped."""
        await self._tenant_runs.enter(run.tenant, run.id)
        await self._runs.insert_one(run_document(run))
        return run

    async def get(self, run_id: str) -> Run | None:
        doc = await self._runs.find_one({"_id": run_id})
        return (await self._with_estimates([doc]))[0] if doc is not None else None

    async def get_own(self, tenant: str, run_id: str) -> Run | None:
        """The run if it is `tenant`'s: another tenant's answers as an absent one."""
        run = await self.get(run_id)
        return run if run is not None and run.tenant == tenant else None

    async def newest(self, tenant: str, limit: int = 100) -> list[Run]:
        """The tenant's newest runs, whole (with their shards' progress)."""
        ids = await self._tenant_runs.newest(tenant, limit)
        docs = await find_by_ids(self._runs, ids, LOOKUP_WINDOW)
        return await self._with_estimates(
            [doc for doc in docs if doc is not None and doc.get("tenant") == tenant]
        )

    async def _with_estimates(self, docs: list[dict]) -> list[Run]:
        """The runs of `docs`, each with the estimate kept for it (`run_estimates`)."""
        ids = [doc["_id"] for doc in docs]
        estimates = await find_by_ids(self._estimates, ids, LOOKUP_WINDOW)
        return [
            run_from({**doc, "estimate": kept["estimate"]} if kept else doc)
            for doc, kept in zip(docs, estimates, strict=True)
        ]

    async def page(
        self, tenant: str, limit: int, below: int | None = None
    ) -> tuple[list[Run], int | None]:
        """A page of the tenant's runs, newest first, numbered below `below`; and the
        `below` of the next page (None when nothing is older)."""
        ids, following = await self._tenant_runs.page(tenant, limit, below)
        docs = await find_by_ids(self._runs, ids, LOOKUP_WINDOW)
        runs = [run_from(doc) for doc in docs if doc is not None and doc.get("tenant") == tenant]
        return runs, following

    async def move(self, run_id: str, status: str, **fields) -> bool:
        """Move the run to `status` (with `fields`) if it may move there; whether it moved.
        An ended run leaves the registry of runs under way."""
        moved = await self._statuses.move(run_id, status, **fields)
        if is_terminal(status):
            await self._active.delete_one({"_id": run_id})
        return moved

    async def record_plan(self, run_id: str, plans: list[ShardPlan]) -> None:
        """The run's view of its planned shards, and `queued`; its shards are stored before
        (`ShardRecords.insert_plan`), the first of them fixing their size, so a crash in between
        replans the same."""
        # Registered before it is queued: a crash in between leaves an entry that `active`
        # skips (the run is still "accepted") until the redelivered command queues it.
        await self._register(run_id)
        await self._statuses.move(run_id, "queued", **planned_shards(plans), queued_at=utc_now())

    async def record_progress(
        self, run_id: str, n: int, cells: int, done: bool, started_at: datetime | None = None
    ) -> Run | None:
        """Fold one shard's progress in (monotonic: a late, older event changes nothing;
        `started_at`, when the shard began, moves the run's start earlier, never later);
        the run as it is after that."""
        update: dict = {"$max": {f"shards.{n}.cells": cells}}
        if started_at is not None:
            update["$min"] = {"started_at": started_at}
        if done:
            update["$set"] = {f"shards.{n}.done": True}
        doc = await self._runs.find_one_and_update(
            {"_id": run_id}, update, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            return None
        if not is_terminal(doc["status"]) and (end := await self._statuses.settle(run_id)):
            doc = {**doc, **end}  # this fold wrote the older status back over a cancel's
        return run_from(doc)

    async def settled(self, runs: list[Run]) -> list[Run]:
        """`runs`, each not ended whose end is claimed written again and shown ended: a
        progress fold racing a cancel (docs/ferretdb.md) can leave the older status."""
        open_ids = [run.id for run in runs if not run.ended]
        ends = await self._statuses.claimed_ends(open_ids)
        for run_id, end in ends.items():
            await self._statuses.write_end(run_id, end)
        return [dataclasses.replace(run, **ends[run.id]) if run.id in ends else run for run in runs]

    async def record_estimate(self, run_id: str, estimate: dict) -> None:
        """The estimate made as the run was accepted (`RunEstimate`, as JSON), once: a second
        one, made later, is not the estimate at acceptance. In a document of its own, never
        an update of the run's (which the coordinator updates at the same moment)."""
        try:
            await self._estimates.insert_one({"_id": run_id, "estimate": estimate})
        except DuplicateKeyError:
            pass

    async def active(self, *, estimates: bool = True) -> list[Run]:
        """The queued and running runs, oldest first (`under_way` of `active_ids`)."""
        return await self.under_way(await self.active_ids(), estimates=estimates)

    async def active_ids(self) -> list[str]:
        """The ids in the registry of runs under way, oldest first: one query of small
        documents, where a run's own document is a lookup each."""
        return [doc["_id"] async for doc in self._active.find({}, {"_id": 1}).sort("since", 1)]

    async def under_way(self, ids: list[str], *, estimates: bool = True) -> list[Run]:
        """Those of the runs `ids` (registered as under way) still queued or running, in
        order. An entry whose run has ended some other way (the gateway records a cancel
        itself) or is gone is dropped here. `estimates`: each with its estimate, one more
        lookup a run (the scheduler's rounds need none)."""
        docs = await find_by_ids(self._runs, ids, LOOKUP_WINDOW)
        for run_id, doc in zip(ids, docs, strict=True):
            if doc is None or is_terminal(doc["status"]):
                await self._active.delete_one({"_id": run_id})
        under_way = [doc for doc in docs if doc is not None and doc["status"] in UNDER_WAY]
        if not estimates:
            return [run_from(doc) for doc in under_way]
        return await self._with_estimates(under_way)

    async def register_active(self) -> int:
        """Enter every queued or running run in `active_runs` (a scan of `runs`, once, when a
        coordinator starts: runs whose entry was lost); returns how many were missing."""
        found = {
            run["_id"]
            async for run in self._runs.find({"status": {"$in": list(UNDER_WAY)}}, {"_id": 1})
        }
        known = {doc["_id"] async for doc in self._active.find({}, {"_id": 1})}
        for run_id in found - known:
            await self._register(run_id)
        return len(found - known)

    async def _register(self, run_id: str) -> None:
        """Enter the run in `active_runs` (a second entry keeps the first's `since`). Two
        replicas planning the run at once both upsert: the one that loses the insert gets a
        duplicate key (FerretDB does not retry it as MongoDB may), and the entry is there."""
        try:
            await self._active.update_one(
                {"_id": run_id}, {"$setOnInsert": {"since": utc_now()}}, upsert=True
            )
        except DuplicateKeyError:
            pass

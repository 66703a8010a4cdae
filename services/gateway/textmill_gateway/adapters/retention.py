"""The cleanup job: files, and ended runs with their results, shards and live streams, removed
once their tenant's retention age has passed (`domain/retention.py`).

Every gateway replica runs the job; a Redis lock lets one sweep at a time (a second would
only repeat the same deletes: each is by `_id` and harmless twice). A sweep scans the files'
and runs' documents projected to their dates, then deletes `batch` items at a time with a
pause between batches, so runs under way keep the store; a run goes before its file (its
results are found through the file's header), and its own document goes last, so a sweep cut
short leaves it to be found again by the next.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis
from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts import FileDeleted
from textmill_contracts.envelope import utc_now
from textmill_contracts.topics import TOPICS
from textmill_gateway.adapters.files import FileStore
from textmill_gateway.adapters.streams import RunStreams
from textmill_gateway.domain.retention import RetentionPolicy
from textmill_infra import blobs
from textmill_infra.clients import in_windows
from textmill_infra.logs import get_logger
from textmill_infra.messaging import Publisher
from textmill_runs import batch_starts, result_batch_id, result_part_id, shard_id
from textmill_storage.collections import (
    ACTIVE_RUNS,
    RESULTS,
    RUN_ENDS,
    RUN_ESTIMATES,
    RUNS,
    SHARD_RELEASES,
    SHARDS,
)

log = get_logger(__name__)

LOCK_KEY = "textmill:retention:lock"
DELETE_WINDOW = 16  # `_id` deletes in flight at once


@dataclass(frozen=True)
class Swept:
    runs: int
    files: int


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class RetentionSweep:
    def __init__(
        self,
        db: AsyncDatabase,
        redis: aioredis.Redis,
        streams: RunStreams,
        publisher: Publisher | None,
        policy: RetentionPolicy,
        *,
        batch: int = 50,
        pause_seconds: float = 0.2,
    ) -> None:
        self._db, self._redis, self._streams = db, redis, streams
        self._files = FileStore(db)
        self._publisher, self._policy = publisher, policy
        self._batch, self._pause = batch, pause_seconds

    async def keep_sweeping(self, every_seconds: float) -> None:
        """A sweep every `every_seconds`, by whichever replica takes the lock; a sweep that
        fails is logged, and the next one tries again."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.sweep_once(utc_now(), lock_seconds=every_seconds)
            except Exception:
                log.exception("retention sweep failed; the next one tries again")

    async def sweep_once(self, now: datetime, lock_seconds: float) -> Swept | None:
        """A sweep, if no other replica holds the lock (None when one does)."""
        token = f"{id(self)}:{now.isoformat()}"
        if not await self._redis.set(LOCK_KEY, token, nx=True, px=int(lock_seconds * 1000)):
            return None
        try:
            return await self.sweep(now)
        finally:
            if await self._redis.get(LOCK_KEY) == token.encode():
                await self._redis.delete(LOCK_KEY)

    async def sweep(self, now: datetime) -> Swept:
        runs, in_use = await self._expired_runs(now)
        for start in range(0, len(runs), self._batch):
            for run in runs[start : start + self._batch]:
                await self._remove_run(run)
            await asyncio.sleep(self._pause)
        files = await self._expired_files(now, in_use)
        for start in range(0, len(files), self._batch):
            for doc in files[start : start + self._batch]:
                await self._remove_file(doc)
            await asyncio.sleep(self._pause)
        if runs or files:
            log.info("retention: expired runs and files removed", runs=len(runs), files=len(files))
        return Swept(runs=len(runs), files=len(files))

    async def _expired_runs(self, now: datetime) -> tuple[list[dict], set[str]]:
        """The expired runs, and the files of the runs kept: a run under way reads its file,
        and a kept run's results and export need its header, however old the file is."""
        fields = {"tenant": 1, "status": 1, "file_id": 1, "columns": 1, "rows": 1, "shards": 1}
        fields |= {"finished_at": 1, "created_at": 1}
        expired, in_use = [], set()
        async for doc in self._db[RUNS].find({}, fields):
            if self._policy.run_expired(
                doc.get("tenant", ""),
                doc.get("status", ""),
                _aware(doc.get("finished_at") or doc.get("created_at")),
                now,
            ):
                expired.append(doc)
            else:
                in_use.add(str(doc.get("file_id", "")))
        return expired, in_use

    async def _expired_files(self, now: datetime, in_use: set[str]) -> list[dict]:
        return [
            doc
            async for doc in self._db[blobs.FILES].find({}, {"metadata.tenant": 1, "uploadDate": 1})
            if str(doc["_id"]) not in in_use
            and self._policy.file_expired(
                (doc.get("metadata") or {}).get("tenant", ""), _aware(doc["uploadDate"]), now
            )
        ]

    async def _remove_run(self, run: dict) -> None:
        run_id = run["_id"]
        results = self._db[RESULTS]
        header = await self._files.header(run.get("file_id", ""))
        if header is None:  # the file went first (deleted by its tenant): find them by a scan
            await results.delete_many({"run_id": run_id})
        else:
            positions = [header.index(c) for c in run.get("columns", []) if c in header]
            ids = [
                result_batch_id(run_id, position, first)
                for position in positions
                for first in batch_starts(0, int(run.get("rows", 0)))
            ]
            # The whole document comes back (FerretDB takes no projection here): its `parts`
            # names the further parts to delete.
            batches = await in_windows(
                ids, lambda i: results.find_one_and_delete({"_id": i}), DELETE_WINDOW
            )
            parts = [
                result_part_id(doc["_id"], n)
                for doc in batches
                if doc is not None
                for n in range(1, doc.get("parts", 1))
            ]
            await in_windows(parts, lambda i: results.delete_one({"_id": i}), DELETE_WINDOW)
        shards = [shard_id(run_id, int(n)) for n in (run.get("shards") or {})]
        for collection in (SHARDS, SHARD_RELEASES):  # a shard and its release share its id
            store = self._db[collection]
            await in_windows(shards, lambda i, c=store: c.delete_one({"_id": i}), DELETE_WINDOW)
        for collection in (RUN_ESTIMATES, RUN_ENDS, ACTIVE_RUNS):
            await self._db[collection].delete_one({"_id": run_id})
        await self._streams.forget(run_id)
        await self._db[RUNS].delete_one({"_id": run_id})

    async def _remove_file(self, doc: dict) -> None:
        tenant = (doc.get("metadata") or {}).get("tenant", "")
        deleted = await self._files.delete(tenant, str(doc["_id"]))
        if deleted is not None and self._publisher is not None:
            # As a tenant's own delete does: the profiler drops the file's profiles.
            event = FileDeleted(tenant=deleted.tenant, file_id=deleted.id, sha256=deleted.sha256)
            await self._publisher.publish(event, TOPICS.files, key=deleted.id)

"""The reads behind `GET /api/v2/stats`: a scan of the stored files' and runs' documents
(projected to what the tally needs) and the liveness table the coordinators keep in Redis.
An admin's call, not a hot path: FerretDB decodes every document of a scan whatever the
filter, so a tenant's own stats cost the same scan as the operator's."""

import json

import redis.asyncio as aioredis
from pymongo.asynchronous.database import AsyncDatabase

from textmill_gateway.domain.stats import StoreStats
from textmill_infra import blobs
from textmill_storage.collections import RUNS

# The coordinators' liveness table: one key per instance, expiring when its beats stop.
LIVENESS_PREFIX = "textmill:liveness:"


class StatsReader:
    def __init__(self, db: AsyncDatabase, redis: aioredis.Redis) -> None:
        self._db, self._redis = db, redis

    async def store(self, tenant: str | None) -> StoreStats:
        """The files and runs of `tenant`, or of every tenant when None."""
        stats = StoreStats()
        files = {"metadata.tenant": tenant} if tenant is not None else {}
        async for doc in self._db[blobs.FILES].find(files, {"metadata.tenant": 1, "length": 1}):
            owner = (doc.get("metadata") or {}).get("tenant", "")
            stats.add_file(owner, int(doc.get("length", 0)))
        runs = {"tenant": tenant} if tenant is not None else {}
        fields = {"tenant": 1, "status": 1, "cells_total": 1, "shards": 1}
        async for doc in self._db[RUNS].find(runs, fields):
            stats.add_run(
                doc.get("tenant", ""),
                doc.get("status", ""),
                int(doc.get("cells_total", 0)),
                doc.get("shards") or {},
            )
        return stats

    async def workers_alive(self) -> int:
        """Worker instances whose heartbeats the coordinators have seen within the timeout."""
        match = LIVENESS_PREFIX + "*"
        keys = [key async for key in self._redis.scan_iter(match=match, count=500)]
        entries = await self._redis.mget(keys) if keys else []
        return sum(
            1 for raw in entries if raw is not None and json.loads(raw).get("service") == "worker"
        )

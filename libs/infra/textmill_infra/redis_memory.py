"""Redis's memory against its limit, read from `INFO memory`: the run streams, the profile
cache and the liveness table share it, and a Redis at `maxmemory` refuses writes
(`noeviction`), which stops every run's stream."""

import asyncio
import logging

import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry, Gauge

log = logging.getLogger(__name__)


class RedisMemory:
    def __init__(self, client: aioredis.Redis, registry: CollectorRegistry) -> None:
        self._client = client
        self.used = Gauge(
            "textmill_redis_used_memory_bytes", "Memory Redis uses", registry=registry
        )
        self.limit = Gauge(
            "textmill_redis_maxmemory_bytes",
            "Redis's maxmemory (0: no limit)",
            registry=registry,
        )

    async def watch(self, every: float) -> None:
        while True:
            try:
                info = await self._client.info("memory")
                self.used.set(info["used_memory"])
                self.limit.set(info.get("maxmemory", 0))
            except Exception:
                log.warning("redis memory not read; next round", exc_info=True)
            await asyncio.sleep(every)

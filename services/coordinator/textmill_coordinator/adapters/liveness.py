"""The liveness table in Redis: one hash per instance, expiring when beats stop, so that
any replica (and `make status`) reads the same view."""

import json
from datetime import datetime, timedelta

import redis.asyncio as aioredis

from textmill_coordinator.domain.liveness import InstanceLiveness

PREFIX = "textmill:liveness:"


class LivenessTable:
    def __init__(self, redis: aioredis.Redis, timeout: timedelta) -> None:
        self._redis, self._timeout = redis, timeout

    async def get(self, instance_id: str) -> InstanceLiveness | None:
        raw = await self._redis.get(PREFIX + instance_id)
        if raw is None:
            return None
        data = json.loads(raw)
        started = data.get("started_at")
        return InstanceLiveness(
            **{
                **data,
                "last_seen": datetime.fromisoformat(data["last_seen"]),
                "started_at": datetime.fromisoformat(started) if started else None,
            }
        )

    async def put(self, liveness: InstanceLiveness) -> None:
        ttl = max(1, int(self._timeout.total_seconds()))
        await self._redis.set(PREFIX + liveness.instance_id, json.dumps(liveness.as_dict()), ex=ttl)

    async def alive(self) -> set[str]:
        """Instance ids whose entry has not expired."""
        return {
            key.decode().removeprefix(PREFIX)
            async for key in self._redis.scan_iter(match=PREFIX + "*", count=500)
        }

    async def count(self, service: str) -> int:
        """How many instances of `service` are alive."""
        keys = [key async for key in self._redis.scan_iter(match=PREFIX + "*", count=500)]
        values = await self._redis.mget(keys) if keys else []
        return sum(1 for raw in values if raw is not None and json.loads(raw)["service"] == service)

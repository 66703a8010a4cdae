"""The pace of completed shards (`textmill_runs.pace`) in Redis, by chains and text length:
the coordinator plans shards from it and folds each completed full shard into it, the
estimator plans as the coordinator will; both coordinator replicas share it, and a restart
keeps it."""

import json

import redis.asyncio as aioredis

from textmill_runs.pace import ShardPace, observe

KEY = "textmill:shard-paces"


class ShardPaces:
    """One Redis hash, a field a pace key. Two replicas folding shards into one field at
    the same moment may lose one shard of an average that newer shards outweigh anyway."""

    def __init__(self, redis: aioredis.Redis, key: str = KEY) -> None:
        self._redis, self._key = redis, key

    async def get(self, keys: list[str]) -> dict[str, ShardPace]:
        values = await self._redis.hmget(self._key, keys) if keys else []
        return {
            key: ShardPace.from_dict(json.loads(raw))
            for key, raw in zip(keys, values, strict=True)
            if raw is not None
        }

    async def observe(self, key: str, cells: int, seconds: float) -> None:
        old = (await self.get([key])).get(key)
        new = observe(old, cells, seconds)
        if new is not None and new != old:
            await self._redis.hset(self._key, key, json.dumps(new.as_dict()))

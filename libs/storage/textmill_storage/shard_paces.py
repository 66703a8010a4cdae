"""The pace of completed shards (`textmill_runs.pace`) in Redis, by chains and text length:
the coordinator plans shards from it and folds each completed full shard into it, the
estimator plans as the coordinator will; both coordinator replicas share it, and a restart
keeps it."""

import asyncio
import json
from collections.abc import Mapping

import redis.asyncio as aioredis

from textmill_infra.logs import get_logger
from textmill_runs.pace import ColumnLength, ShardPace, observe, pace_keys, paced_shard_rows

KEY = "textmill:shard-paces"
# A pace is worth less than the plan or the fold waiting on a Redis that does not answer
# (the client retries, each try within its own timeout).
WAIT_SECONDS = 0.5

log = get_logger(__name__)


class ShardPaces:
    """One Redis hash, a field a pace key. Two replicas folding shards into one field at
    the same moment may lose one shard of an average that newer shards outweigh anyway."""

    def __init__(self, redis: aioredis.Redis, key: str = KEY) -> None:
        self._redis, self._key = redis, key

    async def get(self, keys: list[str]) -> dict[str, ShardPace]:
        async with asyncio.timeout(WAIT_SECONDS):
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
            async with asyncio.timeout(WAIT_SECONDS):
                await self._redis.hset(self._key, key, json.dumps(new.as_dict()))

    async def shard_rows(self, chains: list[str], lengths: Mapping[str, ColumnLength]) -> int:
        """Rows per shard of a run of `chains` over columns of `lengths`
        (`textmill_runs.pace.paced_shard_rows`): without the paces (Redis away or slow), at
        the chains' planned speed. What the coordinator plans and the estimator expects."""
        keys = sorted({key for column in pace_keys(chains, lengths).values() for key in column})
        try:
            paces = await self.get(keys)
        except Exception:
            log.warning("shard paces unavailable: planned at the chains' speed", exc_info=True)
            paces = {}
        return paced_shard_rows(chains, lengths, paces)

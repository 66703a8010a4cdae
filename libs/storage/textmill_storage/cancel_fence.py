"""The cancel fence of each run in Redis, shared by every gateway and worker replica.

Writers enter the fence before each bulk write and leave after it; a cancel closes the
fence and then waits until no writer is inside. Once `cancel` returns, no result of the run
can be written any more: that is what "acknowledged" means for a cancel.
"""

import asyncio
import time

import redis.asyncio as aioredis

_ENTER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1
"""
_LEAVE = """
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
"""


class CancelFence:
    def __init__(self, redis: aioredis.Redis, *, writer_ttl_seconds: int = 60) -> None:
        self._redis = redis
        self._ttl = writer_ttl_seconds
        self._enter = redis.register_script(_ENTER)
        self._leave = redis.register_script(_LEAVE)

    @staticmethod
    def _keys(run_id: str) -> tuple[str, str]:
        return f"textmill:run:{run_id}:cancelled", f"textmill:run:{run_id}:writers"

    async def enter(self, run_id: str) -> bool:
        """False when the run is cancelled: the caller must not write."""
        return bool(await self._enter(keys=list(self._keys(run_id)), args=[self._ttl]))

    async def leave(self, run_id: str) -> None:
        await self._leave(keys=[self._keys(run_id)[1]])

    async def is_cancelled(self, run_id: str) -> bool:
        return bool(await self._redis.exists(self._keys(run_id)[0]))

    async def cancel(self, run_id: str, *, wait_seconds: float = 30.0) -> bool:
        """Close the fence and wait for writers inside to leave; False if they did not in
        time (a crashed writer's count expires after `writer_ttl_seconds`)."""
        cancelled, writers = self._keys(run_id)
        await self._redis.set(cancelled, "1", ex=7 * 24 * 3600)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if int(await self._redis.get(writers) or 0) <= 0:
                return True
            await asyncio.sleep(0.02)
        return False

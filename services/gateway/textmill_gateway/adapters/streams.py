"""Each run's live stream: a Redis stream of sequenced messages, shared by every gateway
replica, fed from Kafka and read by any number of websocket and SSE clients.

Appending is one Lua script, so that deduplication and the sequence number are atomic:
a Kafka message seen twice (at-least-once) is appended once, and a cell already streamed
(a shard redone after a crash) is dropped from a later batch. Entry ids are `<seq>-1`, so
"everything after sequence n" is the exclusive range `(n-1` and a reconnecting client
replays exactly what it missed. Clients read at their own pace with XREAD: a slow client
holds nothing back from the run or from other clients.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis

# KEYS: stream, seen message ids, seen cells, sequence.
# ARGV: ttl, message id, type, payload prefix, payload suffix, then (cell key, item json)*.
_APPEND = """
local ttl = tonumber(ARGV[1])
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return 0 end
local body
if #ARGV > 5 then
  local items = {}
  for i = 6, #ARGV, 2 do
    if redis.call('SADD', KEYS[3], ARGV[i]) == 1 then table.insert(items, ARGV[i + 1]) end
  end
  if #items == 0 then
    redis.call('EXPIRE', KEYS[2], ttl)
    return 0
  end
  body = ARGV[4] .. table.concat(items, ',') .. ARGV[5]
else
  body = ARGV[4] .. ARGV[5]
end
local seq = redis.call('INCR', KEYS[4])
redis.call('XADD', KEYS[1], seq .. '-1', 'type', ARGV[3], 'data', body)
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
return seq
"""


@dataclass(frozen=True)
class StreamMessage:
    seq: int
    type: str
    data: str  # JSON text, passed through to clients unparsed

    def json(self) -> str:
        return f'{{"seq":{self.seq},"type":"{self.type}","data":{self.data}}}'


class RunStreams:
    def __init__(self, redis: aioredis.Redis, *, ttl_seconds: int = 24 * 3600) -> None:
        self._redis, self._ttl = redis, ttl_seconds
        self._append = redis.register_script(_APPEND)

    @staticmethod
    def _keys(run_id: str) -> list[str]:
        base = f"textmill:stream:{run_id}"
        return [base, f"{base}:messages", f"{base}:cells", f"{base}:seq"]

    async def append(self, run_id: str, message_id: str, type_: str, data: str) -> int:
        """Append once per message id; returns the sequence number, 0 for a duplicate."""
        args = [self._ttl, message_id, type_, data, ""]
        return int(await self._append(keys=self._keys(run_id), args=args))

    async def append_cells(
        self, run_id: str, message_id: str, prefix: str, cells: list[tuple[str, str]], suffix: str
    ) -> int:
        """Append `prefix + [items of cells not streamed before] + suffix` as one `results`
        message; returns its sequence number, 0 when nothing was new."""
        args: list = [self._ttl, message_id, "results", prefix, suffix]
        for key, item in cells:
            args += [key, item]
        return int(await self._append(keys=self._keys(run_id), args=args))

    async def exists(self, run_id: str) -> bool:
        return bool(await self._redis.exists(self._keys(run_id)[0]))

    async def cells_streamed(self, run_id: str) -> int:
        return int(await self._redis.scard(self._keys(run_id)[2]))

    async def read(
        self, run_id: str, after: int = 0, *, block_ms: int = 3_000
    ) -> AsyncIterator[StreamMessage | None]:
        """Messages with seq > `after`, then live ones as they come; yields None after each
        `block_ms` without news, so the caller can keep the client alive. (`block_ms` stays
        under the Redis client's socket timeout, 5 s.)"""
        key = self._keys(run_id)[0]
        last = f"{after}-1" if after > 0 else "0-0"
        while True:
            batch = await self._redis.xread({key: last}, count=500, block=block_ms)
            if not batch:
                yield None
                continue
            for entry_id, fields in batch[0][1]:
                last = entry_id.decode()
                yield StreamMessage(
                    seq=int(last.split("-", 1)[0]),
                    type=fields[b"type"].decode(),
                    data=fields[b"data"].decode(),
                )


def is_terminal_run_message(message: StreamMessage, terminal: frozenset[str]) -> bool:
    return message.type == "run" and json.loads(message.data).get("status") in terminal

"""Each run's live stream: a Redis stream of sequenced messages, shared by every gateway
replica, fed from Kafka and read by any number of websocket and SSE clients.

Appending is one Lua script, so that deduplication and the sequence number are atomic:
a Kafka message seen twice (at-least-once) is appended once, and a result batch already
streamed (a shard redone after a crash publishes its stored batches again) is dropped.
Result batches are aligned (`textmill_infra.runs`), so (column, first record) names one
batch whoever computed it. Entry ids are `<seq>-1`, so "everything after sequence n" is
the exclusive range `(n-1` and a reconnecting client replays exactly what it missed.
Clients read at their own pace with XREAD: a slow client holds nothing back from the run
or from other clients.

Memory: result batches are kept zlib-compressed (~25 KB per 1,000 sentiment cells, an
eighth of their JSON), and a stream lives `ttl_seconds` (24 h) after its latest message
while the run goes on, `retain_seconds` (1 h) once the run has ended (a late message does
not extend it): long enough to reconnect and replay, short enough that Redis (whose policy
is `noeviction`: a full Redis refuses writes rather than lose keys) does not fill up with
finished runs.
"""

import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis

# KEYS: stream, seen message ids, seen result batches, cells streamed, the run-ended mark.
# ARGV: ttl, message id, type, data, codec ("" or "zlib"), result batch key ("" for other
# types), its cells, "1" if the run has ended. The next sequence number is the stream's last
# one plus one: no separate counter that could disagree with the stream. Once the run has
# ended, a late message (results that lost the race with the final update) keeps the
# stream's remaining lifetime instead of extending it to `ttl`.
_APPEND = """
local ttl = tonumber(ARGV[1])
if ARGV[8] == '1' then
  redis.call('SET', KEYS[5], '1', 'EX', ttl)
else
  local left = redis.call('TTL', KEYS[5])
  if left > 0 then ttl = left end
end
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return 0 end
if ARGV[6] ~= '' then
  if redis.call('SADD', KEYS[3], ARGV[6]) == 0 then
    redis.call('EXPIRE', KEYS[2], ttl)
    return 0
  end
  redis.call('INCRBY', KEYS[4], tonumber(ARGV[7]))
end
local seq = 1
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if top[1] then seq = tonumber(string.match(top[1][1], '^%d+')) + 1 end
redis.call('XADD', KEYS[1], seq .. '-1', 'type', ARGV[3], 'data', ARGV[4], 'codec', ARGV[5])
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
return seq
"""
_READ_COUNT = 50  # messages per XREAD: up to ~10 MB of result JSON once decompressed


@dataclass(frozen=True)
class StreamMessage:
    seq: int
    type: str
    data: str  # JSON text, passed through to clients unparsed

    def json(self) -> str:
        return f'{{"seq":{self.seq},"type":"{self.type}","data":{self.data}}}'


class RunStreams:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        ttl_seconds: int = 24 * 3600,
        retain_seconds: int = 3600,
    ) -> None:
        self._redis, self._ttl, self._retain = redis, ttl_seconds, retain_seconds
        self._append = redis.register_script(_APPEND)

    @staticmethod
    def _keys(run_id: str) -> list[str]:
        base = f"textmill:stream:{run_id}"
        return [base, f"{base}:messages", f"{base}:batches", f"{base}:cells", f"{base}:ended"]

    async def append(
        self, run_id: str, message_id: str, type_: str, data: str | bytes, *, final: bool = False
    ) -> int:
        """Append once per message id; returns the sequence number, 0 for a duplicate.
        `final`: the run has ended, keep its stream `retain_seconds` from now."""
        ttl = self._retain if final else self._ttl
        args = [ttl, message_id, type_, data, "", "", 0, "1" if final else ""]
        return int(await self._append(keys=self._keys(run_id), args=args))

    async def append_results(
        self, run_id: str, message_id: str, batch: str, cells: int, data: bytes
    ) -> int:
        """Append a `results` message once per message id and once per result batch (named
        by `batch`); returns its sequence number, 0 when it was streamed before."""
        packed = zlib.compress(data, 1)
        args = [self._ttl, message_id, "results", packed, "zlib", batch, cells, ""]
        return int(await self._append(keys=self._keys(run_id), args=args))

    async def exists(self, run_id: str) -> bool:
        return bool(await self._redis.exists(self._keys(run_id)[0]))

    async def cells_streamed(self, run_id: str) -> int:
        return int(await self._redis.get(self._keys(run_id)[3]) or 0)

    async def read(
        self, run_id: str, after: int = 0, *, block_ms: int = 3_000
    ) -> AsyncIterator[StreamMessage | None]:
        """Messages with seq > `after`, then live ones as they come; yields None after each
        `block_ms` without news, so the caller can keep the client alive. (`block_ms` stays
        under the Redis client's socket timeout, 5 s.)"""
        key = self._keys(run_id)[0]
        last = f"{after}-1" if after > 0 else "0-0"
        while True:
            batch = await self._redis.xread({key: last}, count=_READ_COUNT, block=block_ms)
            if not batch:
                yield None
                continue
            for entry_id, fields in batch[0][1]:
                last = entry_id.decode()
                data = fields[b"data"]
                if fields.get(b"codec") == b"zlib":
                    data = zlib.decompress(data)
                seq = int(last.split("-", 1)[0])
                yield StreamMessage(seq=seq, type=fields[b"type"].decode(), data=data.decode())


def is_terminal_run_message(message: StreamMessage, terminal: frozenset[str]) -> bool:
    return message.type == "run" and json.loads(message.data).get("status") in terminal

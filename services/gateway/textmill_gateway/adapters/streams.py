"""Each run's live stream: a Redis stream of sequenced messages, shared by every gateway
replica, fed from Kafka and read by any number of websocket and SSE clients.

Appending is one Lua script, so that deduplication and the sequence number are atomic:
a Kafka message seen twice (at-least-once) is appended once, and a result batch already
streamed (a shard redone after a crash publishes its stored batches again) is dropped.
Result batches are aligned (`textmill_runs.batches`), so (column, first record) names one
batch whoever computed it. Entry ids are `<seq>-1`, so "everything after sequence n" is
the exclusive range `(n-1` and a reconnecting client replays exactly what it missed.
Clients read at their own pace with XREAD: a slow client holds nothing back from the run
or from other clients.

Memory: result batches are kept zlib-compressed (~25 KB per 1,000 sentiment cells, an
eighth of their JSON), and a stream lives `ttl_seconds` (24 h) after its latest message
while the run goes on, `retain_seconds` (1 h) once the run has ended (a late message does
not extend it): long enough to reconnect and replay. Ended runs' streams are also kept
within `retain_bytes` all together (their messages' stored bytes): once a run ends past
that, the streams that ended first are deleted. Redis's policy is `noeviction` (a full
Redis refuses writes rather than lose a key, such as a run's cancel fence), and a fixed
hour was no bound: ~100 runs of 200,000 cells in an hour filled a 512 MB Redis, and every
run then stalled on refused writes. A deleted stream leaves its run-ended mark (a few
bytes, gone with the hour): a message arriving later is dropped rather than starting the
stream again, and a reader gets `StreamGone`, as it does once the stream expired; the
run's results stay in the store. (The budget keeps Redis from filling up with ended
streams; it cannot empty a Redis already full, which refuses the script's writes too; and
the streams of runs under way are bounded by their 24 h only.)

The ended streams' bookkeeping is one Lua script with the run's own keys and four of its
own; it deletes other runs' keys by name, which a single Redis allows (a Redis Cluster
would need the keys of a run and the index in one hash slot).
"""

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis

from textmill_infra.logs import get_logger

log = get_logger(__name__)

# KEYS: stream, seen message ids, seen result batches, cells streamed, the run-ended mark,
# bytes stored. ARGV: ttl, message id, type, data, codec ("" or "zlib"), result batch key
# ("" for other types), its cells, "1" if the run has ended. The next sequence number is
# the stream's last one plus one: no separate counter that could disagree with the stream.
# Once the run has ended, a late message (results that lost the race with the final
# update) keeps the stream's remaining lifetime instead of extending it to `ttl`, and is
# dropped if the stream was deleted (its run-ended mark outlives it).
_APPEND = """
if redis.call('EXISTS', KEYS[5]) == 1 and redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
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
redis.call('INCRBY', KEYS[6], #ARGV[4])
for _, i in ipairs({1, 2, 3, 4, 6}) do redis.call('EXPIRE', KEYS[i], ttl) end
return seq
"""
# Once a run has ended: note its stream among the ended ones (once, in the order they end),
# then from the one that ended first: forget those that expired by themselves, and delete
# the rest while the ended ones together pass the budget (the one just ended too, if it
# alone does), all but their run-ended marks. KEYS: ended streams (sorted set of run
# ids), their bytes (hash), their total, the order counter, this run's bytes stored.
# ARGV: run id, budget in bytes, the stream keys' prefix, then the suffixes of the keys a
# deletion takes (`_DELETED`). Returns the streams deleted.
_RETIRE = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then
  local bytes = tonumber(redis.call('GET', KEYS[5]) or 0)
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[4]), ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], bytes)
  redis.call('INCRBY', KEYS[3], bytes)
end
local deleted = 0
while true do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if not oldest then break end
  local base = ARGV[3] .. oldest
  if redis.call('EXISTS', base) == 1 then
    if tonumber(redis.call('GET', KEYS[3]) or 0) <= tonumber(ARGV[2]) then break end
    for i = 4, #ARGV do redis.call('DEL', base .. ARGV[i]) end
    deleted = deleted + 1
  end
  redis.call('DECRBY', KEYS[3], tonumber(redis.call('HGET', KEYS[2], oldest) or 0))
  redis.call('ZREM', KEYS[1], oldest)
  redis.call('HDEL', KEYS[2], oldest)
end
return deleted
"""
# A run whose retention age has passed: delete every key of its stream, its run-ended mark
# too, and its place among the ended streams (so that their total stays true). KEYS: the
# ended streams, their bytes, their total, then the run's keys. ARGV: run id. Returns the
# keys deleted.
_FORGET = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) ~= false then
  redis.call('DECRBY', KEYS[3], tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or 0))
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return redis.call('DEL', unpack(KEYS, 4))
"""
# A run's keys, by their suffix after `<namespace>:stream:<run id>`: the stream, the message
# ids and result batches seen, the cells streamed, the run-ended mark, the bytes stored.
_SUFFIXES = ("", ":messages", ":batches", ":cells", ":ended", ":bytes")
# What deleting an ended run's stream takes: all but its run-ended mark.
_DELETED = tuple(suffix for suffix in _SUFFIXES if suffix != ":ended")
_READ_COUNT = 50  # messages per XREAD: up to ~10 MB of result JSON once decompressed


@dataclass(frozen=True)
class StreamMessage:
    seq: int
    type: str
    data: str  # JSON text, passed through to clients unparsed

    def json(self) -> str:
        return f'{{"seq":{self.seq},"type":"{self.type}","data":{self.data}}}'


class StreamGone(Exception):
    """The stream being read no longer exists: its run ended and it expired, or it was
    deleted to keep the ended streams within their budget."""


class RunStreams:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        ttl_seconds: int = 24 * 3600,
        retain_seconds: int = 3600,
        retain_bytes: int = 128 * 1024 * 1024,
        namespace: str = "textmill",
    ) -> None:
        """`namespace` prefixes every key (tests keep theirs apart with it)."""
        self._redis, self._ttl, self._retain = redis, ttl_seconds, retain_seconds
        self._retain_bytes = retain_bytes
        self._prefix = f"{namespace}:stream:"
        ended = f"{namespace}:streams:ended"
        self._ended = [ended, f"{ended}:bytes", f"{ended}:total", f"{ended}:order"]
        self._append = redis.register_script(_APPEND)
        self._retire = redis.register_script(_RETIRE)
        self._forget = redis.register_script(_FORGET)

    def _keys(self, run_id: str) -> list[str]:
        return [f"{self._prefix}{run_id}{suffix}" for suffix in _SUFFIXES]

    async def append(
        self, run_id: str, message_id: str, type_: str, data: str | bytes, *, final: bool = False
    ) -> int:
        """Append once per message id; returns the sequence number, 0 for a duplicate.
        `final`: the run has ended, keep its stream `retain_seconds` from now."""
        ttl = self._retain if final else self._ttl
        args = [ttl, message_id, type_, data, "", "", 0, "1" if final else ""]
        seq = int(await self._append(keys=self._keys(run_id), args=args))
        if final:
            deleted = await self._retire(
                keys=[*self._ended, self._keys(run_id)[5]],
                args=[run_id, self._retain_bytes, self._prefix, *_DELETED],
            )
            if deleted:
                log.info("ended runs' streams deleted, past their budget", streams=deleted)
        return seq

    async def append_results(
        self, run_id: str, message_id: str, batch: str, cells: int, data: bytes
    ) -> int:
        """Append a `results` message once per message id and once per result batch (named
        by `batch`); returns its sequence number, 0 when it was streamed before."""
        packed = zlib.compress(data, 1)
        args = [self._ttl, message_id, "results", packed, "zlib", batch, cells, ""]
        return int(await self._append(keys=self._keys(run_id), args=args))

    async def forget(self, run_id: str) -> int:
        """Delete the run's stream and every key kept beside it (the cleanup job's, once
        the run's retention age has passed); returns how many keys were there."""
        return int(await self._forget(keys=[*self._ended[:3], *self._keys(run_id)], args=[run_id]))

    async def exists(self, run_id: str) -> bool:
        return bool(await self._redis.exists(self._keys(run_id)[0]))

    async def presence(self, run_id: str) -> tuple[bool, bool]:
        """(the run's stream is there, its run-ended mark is), in one round trip."""
        stream, _, _, _, ended, _ = self._keys(run_id)
        pipe = self._redis.pipeline(transaction=False)
        pipe.exists(stream)
        pipe.exists(ended)
        there, ended_mark = await pipe.execute()
        return bool(there), bool(ended_mark)

    async def deleted(self, run_id: str) -> bool:
        """The run has ended and its stream is no longer kept, though its run-ended mark
        still is (an hour from the end)."""
        there, ended = await self.presence(run_id)
        return ended and not there

    async def cells_streamed(self, run_id: str) -> int:
        return int(await self._redis.get(self._keys(run_id)[3]) or 0)

    async def ended_by(self, run_id: str, after: int) -> bool:
        """The run's final status is in its stream (its run-ended mark is set as that
        message is appended) and nothing is after `after`: a reader there has had
        everything. (A late result appended after the final status counts: readers get it
        through `rest`.)"""
        if not await self._redis.exists(self._keys(run_id)[4]):
            return False
        return await self._read_all_by(run_id, after)

    async def _read_all_by(self, run_id: str, after: int) -> bool:
        """Nothing in the stream is after `after` (False when there is no stream: the
        caller tells that apart)."""
        try:
            info = await self._redis.xinfo_stream(self._keys(run_id)[0])
        except aioredis.ResponseError:
            return False  # no such stream
        return int(info["last-generated-id"].split(b"-", 1)[0]) <= after

    async def rest(
        self, run_id: str, after: int, wait_ms: int = 250
    ) -> AsyncIterator[StreamMessage]:
        """The messages after `after` that are in the stream or come within `wait_ms` of
        the last: what follows a run's final status (results that lost the race with the
        end), for a live reader to pass on before it closes."""
        try:
            async for message in self.read(run_id, after, block_ms=wait_ms):
                if message is None:
                    return
                yield message
        except StreamGone:
            return

    async def read(
        self,
        run_id: str,
        after: int = 0,
        *,
        block_ms: int = 3_000,
        appear_by: float | None = None,
    ) -> AsyncIterator[StreamMessage | None]:
        """Messages with seq > `after`, then live ones as they come; yields None after each
        `block_ms` without news, so the caller can keep the client alive. (`block_ms` stays
        under the Redis client's socket timeout, 5 s.) A run's stream appears with its
        first message. Ends once the run has ended and the reader has had all of its
        stream (`ended_by`): a client resuming at or past the end is not kept waiting.
        Raises StreamGone when the stream, once there, is no longer, when it was deleted,
        or when it has not appeared by `appear_by` (the loop's clock)."""
        key = self._keys(run_id)[0]
        last = f"{after}-1" if after > 0 else "0-0"
        seen = False
        while True:
            batch = await self._redis.xread({key: last}, count=_READ_COUNT, block=block_ms)
            if not batch:
                there, ended = await self.presence(run_id)
                late = appear_by is not None and asyncio.get_running_loop().time() > appear_by
                if not there and (seen or late or ended):
                    raise StreamGone(run_id)
                seen = seen or there
                # Ended, and nothing came past `last` since XREAD gave up (a late result).
                if there and ended and await self._read_all_by(run_id, int(last.split("-")[0])):
                    return
                yield None
                continue
            seen = True
            for entry_id, fields in batch[0][1]:
                last = entry_id.decode()
                yield _message(entry_id, fields)


def _message(entry_id: bytes, fields: dict[bytes, bytes]) -> StreamMessage:
    data = fields[b"data"]
    if fields.get(b"codec") == b"zlib":
        data = zlib.decompress(data)
    seq = int(entry_id.split(b"-", 1)[0])
    return StreamMessage(seq=seq, type=fields[b"type"].decode(), data=data.decode())


def is_terminal_run_message(message: StreamMessage, terminal: frozenset[str]) -> bool:
    return message.type == "run" and json.loads(message.data).get("status") in terminal

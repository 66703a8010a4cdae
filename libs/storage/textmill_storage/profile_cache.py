"""The profile cache in Redis: keyed by (tenant, file content hash, profiler version),
bounded in bytes with least-recently-used eviction, and every entry expires after a TTL.
The profiler fills it; the gateway answers a hit itself (`current`), so that a cached
profile costs one Redis round trip instead of a Kafka request/reply to the profiler.

Redis is shared with rate limits and liveness, so its own `maxmemory-policy` cannot be
the bound; the bound is kept here instead, atomically in Lua so that several profiler
replicas share one accounting: a sorted set orders keys by last use, a hash holds each
entry's size, a counter their total. A replaced file has a new content hash, hence a new
key; a deleted file's entries are dropped by `invalidate`.

The profiler records the version it profiles under (`record_version`, at start-up; a put
records it too when Redis lost it). The gateway knows no version of its own: `current`
reads the recorded version and that version's entry in one script, so no entry of a version
the running profiler does not write under is served, with no window in which a version
cached in the gateway could be stale.
"""

import json
import time
import zlib
from dataclasses import dataclass

import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry, Counter, Gauge

NAMESPACE = "textmill:profile-cache:v1:"

# Drops one entry's accounting. KEYS[2] is the LRU set, KEYS[3] the sizes, KEYS[4] the total.
FORGET = """
local function forget(key)
  local size = tonumber(redis.call('HGET', KEYS[3], key) or '0')
  redis.call('HDEL', KEYS[3], key)
  redis.call('ZREM', KEYS[2], key)
  redis.call('DECRBY', KEYS[4], size)
end
"""

# KEYS: entry, lru, sizes, total, stats, version. ARGV: value, ttl s, now µs, max bytes,
# version. Returns {total bytes after, evicted count}.
PUT = (
    FORGET
    + """
redis.call('SET', KEYS[6], ARGV[5], 'NX')
local now, ttl_us, max = tonumber(ARGV[3]), tonumber(ARGV[2]) * 1000000, tonumber(ARGV[4])
-- entries whose TTL ran out are gone from Redis already: drop their accounting
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - ttl_us)) do
  if redis.call('EXISTS', key) == 0 then forget(key) end
end
forget(KEYS[1])
local size = string.len(ARGV[1])
if size > max then return {tonumber(redis.call('GET', KEYS[4]) or '0'), 0} end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('HSET', KEYS[3], KEYS[1], size)
redis.call('ZADD', KEYS[2], now, KEYS[1])
local total = redis.call('INCRBY', KEYS[4], size)
local evicted = 0
while total > max do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not oldest then break end
  redis.call('DEL', oldest)
  forget(oldest)
  evicted = evicted + 1
  total = tonumber(redis.call('GET', KEYS[4]))
end
if evicted > 0 then redis.call('HINCRBY', KEYS[5], 'evictions', evicted) end
return {total, evicted}
"""
)

# KEYS: (unused, so that `forget` finds its keys where PUT has them), lru, sizes, total, then
# the entries to drop. Returns how many of them existed.
INVALIDATE = (
    FORGET
    + """
local dropped = 0
for i = 5, #KEYS do
  dropped = dropped + redis.call('DEL', KEYS[i])
  forget(KEYS[i])
end
return dropped
"""
)


# KEYS: version, lru, stats. ARGV: entry key prefix, tenant, sha256, now µs.
# Returns {version or false, entry or false}. A hit is counted and touched for LRU as the
# profiler's own `get` does; a miss is not counted: the profiler, asked next, counts it.
CURRENT = """
local version = redis.call('GET', KEYS[1])
if not version then return {false, false} end
local key = ARGV[1] .. ARGV[2] .. ':' .. ARGV[3] .. ':' .. version
local value = redis.call('GET', key)
if not value then return {version, false} end
redis.call('HINCRBY', KEYS[3], 'hits', 1)
redis.call('ZADD', KEYS[2], 'XX', tonumber(ARGV[4]), key)
return {version, value}
"""


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    evictions: int
    entries: int
    bytes: int
    max_bytes: int

    @property
    def hit_rate(self) -> float:
        looked_up = self.hits + self.misses
        return self.hits / looked_up if looked_up else 0.0

    def as_dict(self) -> dict:
        return {**self.__dict__, "hit_rate": round(self.hit_rate, 4)}


class ProfileCache:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        max_bytes: int,
        ttl_seconds: int,
        registry: CollectorRegistry,
        namespace: str = NAMESPACE,
    ) -> None:
        self._redis, self.max_bytes, self._ttl = redis, max_bytes, ttl_seconds
        self._ns = namespace
        self._lru, self._sizes = namespace + "lru", namespace + "sizes"
        self._total, self._stats = namespace + "bytes", namespace + "stats"
        self._version = namespace + "version"
        self._entries = namespace + "entry:"  # an entry: <this><tenant>:<sha256>:<version>
        self._put = redis.register_script(PUT)
        self._current = redis.register_script(CURRENT)
        self._invalidate = redis.register_script(INVALIDATE)
        self._lookups = Counter(
            "textmill_profile_cache_lookups_total",
            "Profile cache lookups",
            ["outcome"],
            registry=registry,
        )
        self._evictions = Counter(
            "textmill_profile_cache_evictions_total", "Profile cache evictions", registry=registry
        )
        self._bytes = Gauge(
            "textmill_profile_cache_bytes", "Bytes held by the profile cache", registry=registry
        )

    def key(self, tenant: str, sha256: str, version: str) -> str:
        return f"{self._entries}{tenant}:{sha256}:{version}"

    async def record_version(self, version: str) -> None:
        """The version the profiler profiles under now: the one `current` serves."""
        await self._redis.set(self._version, version)

    async def current(self, tenant: str, sha256: str) -> tuple[str, dict] | None:
        """The recorded version and its entry of this content, on a hit; None on a miss
        (not counted: the profiler, asked next, counts it) or when no version is recorded."""
        version, raw = await self._current(
            keys=[self._version, self._lru, self._stats],
            args=[self._entries, tenant, sha256, _now_us()],
        )
        if not raw:
            return None
        self._lookups.labels("hit").inc()
        return version.decode(), json.loads(zlib.decompress(raw))

    async def get(self, tenant: str, sha256: str, version: str) -> dict | None:
        key = self.key(tenant, sha256, version)
        raw = await self._redis.get(key)
        hit = raw is not None
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self._stats, "hits" if hit else "misses", 1)
            if hit:
                pipe.zadd(self._lru, {key: _now_us()}, xx=True)
            await pipe.execute()
        self._lookups.labels("hit" if hit else "miss").inc()
        return json.loads(zlib.decompress(raw)) if hit else None

    async def put(self, tenant: str, sha256: str, version: str, profile: dict) -> None:
        value = zlib.compress(json.dumps(profile, separators=(",", ":")).encode(), 6)
        total, evicted = await self._put(
            keys=[
                self.key(tenant, sha256, version),
                self._lru,
                self._sizes,
                self._total,
                self._stats,
                self._version,
            ],
            args=[value, self._ttl, _now_us(), self.max_bytes, version],
        )
        self._bytes.set(int(total))
        self._evictions.inc(int(evicted))

    async def invalidate(self, tenant: str, sha256: str) -> int:
        """Drop every version's entry of this content for this tenant; returns how many."""
        pattern = self.key(tenant, sha256, "*")
        keys = [key async for key in self._redis.scan_iter(match=pattern, count=200)]
        if not keys:
            return 0
        accounting = [self._ns + "unused", self._lru, self._sizes, self._total]
        return int(await self._invalidate(keys=[*accounting, *keys]))

    async def stats(self) -> CacheStats:
        counts = await self._redis.hgetall(self._stats)
        return CacheStats(
            hits=int(counts.get(b"hits", 0)),
            misses=int(counts.get(b"misses", 0)),
            evictions=int(counts.get(b"evictions", 0)),
            entries=await self._redis.zcard(self._lru),
            bytes=int(await self._redis.get(self._total) or 0),
            max_bytes=self.max_bytes,
        )


def _now_us() -> int:
    # Microseconds: with milliseconds, entries used within one millisecond tie, and ties
    # fall back to key order instead of use order. Exact in a double until the year 2255.
    return time.time_ns() // 1000

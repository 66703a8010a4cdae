"""The profile cache (`textmill_storage.profile_cache`) against the real Redis: LRU within a
byte bound, TTL, invalidation, statistics, and the gateway's lookup of the recorded
version. Each test has a namespace of its own, apart from the running profiler's."""

import asyncio
import secrets
import uuid

import pytest
from prometheus_client import CollectorRegistry

from textmill_storage import ProfileCache


def profile(marker: str, size: int = 2_000) -> dict:
    # Random hex, so that compression leaves the entry about `size` bytes.
    text = secrets.token_hex(size)
    return {"rows": 1, "columns": [], "candidates": [], "marker": marker, "pad": text}


@pytest.fixture
async def make_cache(redis):
    namespaces = []

    def make(max_bytes: int = 1_000_000, ttl_seconds: int = 600) -> ProfileCache:
        namespace = f"textmill:test-cache:{uuid.uuid4().hex[:8]}:"
        namespaces.append(namespace)
        return ProfileCache(
            redis,
            max_bytes=max_bytes,
            ttl_seconds=ttl_seconds,
            registry=CollectorRegistry(),
            namespace=namespace,
        )

    yield make
    for namespace in namespaces:
        keys = [k async for k in redis.scan_iter(match=namespace + "*")]
        if keys:
            await redis.delete(*keys)


async def test_a_stored_profile_is_a_hit_and_an_unknown_one_a_miss(make_cache):
    cache = make_cache()
    await cache.put("t", "sha-a", "1", profile("a"))
    assert (await cache.get("t", "sha-a", "1"))["marker"] == "a"
    assert await cache.get("t", "sha-b", "1") is None
    stats = await cache.stats()
    assert (stats.hits, stats.misses, stats.entries) == (1, 1, 1)
    assert stats.hit_rate == 0.5


async def test_entries_are_per_tenant_and_per_profiler_version(make_cache):
    cache = make_cache()
    await cache.put("t", "sha", "1", profile("v1"))
    assert await cache.get("other-tenant", "sha", "1") is None
    assert await cache.get("t", "sha", "2") is None


async def test_the_least_recently_used_entry_is_evicted_past_the_byte_bound(make_cache):
    # Given a cache that holds three entries and a half, with three in it
    probe = make_cache()
    await probe.put("t", "probe", "1", profile("probe"))
    entry_bytes = (await probe.stats()).bytes
    cache = make_cache(max_bytes=3 * entry_bytes + entry_bytes // 2)
    for name in ("a", "b", "c"):
        await cache.put("t", name, "1", profile(name))
    # When "a" is read (so "b" is now the least recently used) and "d" is added
    assert await cache.get("t", "a", "1") is not None
    await cache.put("t", "d", "1", profile("d"))
    # Then "b" was evicted, the others stay, and the bound holds
    assert await cache.get("t", "b", "1") is None
    assert all([await cache.get("t", n, "1") for n in ("a", "c", "d")])
    stats = await cache.stats()
    assert stats.evictions == 1
    assert stats.bytes <= stats.max_bytes


async def test_an_entry_larger_than_the_whole_cache_is_not_stored(make_cache):
    cache = make_cache(max_bytes=500)
    await cache.put("t", "big", "1", profile("big", size=4_000))
    assert await cache.get("t", "big", "1") is None
    assert (await cache.stats()).bytes == 0


async def test_entries_expire_after_their_ttl_and_their_bytes_are_released(make_cache):
    cache = make_cache(ttl_seconds=1)
    await cache.put("t", "old", "1", profile("old"))
    await asyncio.sleep(2.1)
    assert await cache.get("t", "old", "1") is None
    await cache.put("t", "new", "1", profile("new"))
    stats = await cache.stats()
    assert stats.entries == 1
    assert stats.bytes == len(await cache._redis.get(cache.key("t", "new", "1")))


async def test_invalidate_drops_every_version_of_the_content(make_cache):
    cache = make_cache()
    for version in ("1", "2"):
        await cache.put("t", "sha", version, profile(version))
    await cache.put("t", "keep", "1", profile("keep"))
    assert await cache.invalidate("t", "sha") == 2
    assert await cache.get("t", "sha", "1") is None
    assert await cache.get("t", "keep", "1") is not None
    stats = await cache.stats()
    assert stats.entries == 1
    assert stats.bytes == len(await cache._redis.get(cache.key("t", "keep", "1")))


async def test_the_current_lookup_serves_the_recorded_versions_entry_only(make_cache):
    # Given entries of two versions of one content, and version "2" recorded
    cache = make_cache()
    for version in ("1", "2"):
        await cache.put("t", "sha", version, profile(version))
    await cache.record_version("2")
    # Then the lookup answers version 2's entry, and once "3" is recorded (a profiler of a
    # new version started) neither older entry is served
    assert await cache.current("t", "sha") == ("2", await cache.get("t", "sha", "2"))
    await cache.record_version("3")
    assert await cache.current("t", "sha") is None
    assert await cache.current("other-tenant", "sha") is None


async def test_a_put_records_its_version_only_when_none_is(make_cache):
    # Given no version recorded (Redis lost it), a put records its own
    cache = make_cache()
    assert await cache.current("t", "sha") is None
    await cache.put("t", "sha", "1", profile("1"))
    assert (await cache.current("t", "sha"))[0] == "1"
    # ...but a put of an older profiler does not take back the version a newer one recorded
    await cache.record_version("2")
    await cache.put("t", "sha", "1", profile("1"))
    assert await cache.current("t", "sha") is None


async def test_a_current_hit_is_counted_and_touched_and_a_miss_left_to_the_profiler(make_cache):
    # Given a cache that holds two entries and a half, with "a" then "b" in it
    probe = make_cache()
    await probe.put("t", "probe", "1", profile("probe"))
    entry_bytes = (await probe.stats()).bytes
    cache = make_cache(max_bytes=2 * entry_bytes + entry_bytes // 2)
    await cache.record_version("1")
    for name in ("a", "b"):
        await cache.put("t", name, "1", profile(name))
    # When "a" is read through the gateway's lookup, and an unknown content too
    assert (await cache.current("t", "a"))[1]["marker"] == "a"
    assert await cache.current("t", "unknown") is None
    # Then the hit is counted, the miss is not (the profiler counts it when it is asked)...
    stats = await cache.stats()
    assert (stats.hits, stats.misses) == (1, 0)
    # ...and "a" is now the more recently used: adding "c" evicts "b"
    await cache.put("t", "c", "1", profile("c"))
    assert await cache.get("t", "b", "1") is None
    assert await cache.get("t", "a", "1") is not None

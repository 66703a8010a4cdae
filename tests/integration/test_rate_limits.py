"""The rate limiter against the real Redis: a request's quotas are spent in one round trip,
on the `limits` library's own counters (the library reads back what was spent), and a
quota that refuses leaves the next unspent."""

import uuid

from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from textmill_gateway.adapters.rate_limits import KEY_PREFIX, RateLimits
from textmill_gateway.domain.principal import Principal


def principal() -> Principal:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    return Principal(key_id="k", tenant=tenant, role="analyst", credential=uuid.uuid4().hex)


def library(settings, redis) -> SlidingWindowCounterRateLimiter:
    storage = RedisStorage(
        settings.redis_url,
        implementation="redispy",
        key_prefix=KEY_PREFIX,
        connection_pool=redis.connection_pool,
    )
    return SlidingWindowCounterRateLimiter(storage)


async def test_a_request_spends_key_and_tenant_quotas_in_one_round_trip(settings, redis):
    # Given a limiter with room for 5 reads a key and 8 a tenant
    config = settings.model_copy(
        update={"rate_limit_key_reads": "5/minute", "rate_limit_tenant_reads": "8/minute"}
    )
    limits, who = RateLimits(redis, config), principal()
    await limits.spend(principal(), "reads")  # Redis has loaded the script (once, ever)
    calls = []
    pool = redis.connection_pool
    original = pool.get_connection

    async def counted(*args, **kwargs):
        calls.append(args)
        return await original(*args, **kwargs)

    pool.get_connection = counted
    try:
        # When 3 reads are counted
        for _ in range(3):
            standings = await limits.spend(who, "reads")
    finally:
        pool.get_connection = original
    # Then each took one command on one connection
    assert len(calls) == 3
    # And it stands where the library itself reads its counters
    assert [(s.quota.name, s.remaining, s.allowed) for s in standings] == [
        ("key-reads", 2, True),
        ("tenant-reads", 5, True),
    ]
    reader = library(config, redis)
    key_stats = await reader.get_window_stats(
        limits._items["key", "reads"], "key", "reads", who.credential
    )
    tenant_stats = await reader.get_window_stats(
        limits._items["tenant", "reads"], "tenant", "reads", who.tenant
    )
    assert (key_stats.remaining, tenant_stats.remaining) == (2, 5)
    assert 0 <= standings[0].reset_seconds <= 60  # 0 in the millisecond it was counted


async def test_a_key_refused_leaves_its_tenants_quota_unspent(settings, redis):
    config = settings.model_copy(
        update={"rate_limit_key_reads": "2/minute", "rate_limit_tenant_reads": "10/minute"}
    )
    limits, who = RateLimits(redis, config), principal()
    answers = [await limits.spend(who, "reads") for _ in range(4)]
    # The key's quota allows 2, then refuses, and the tenant's is not looked at when it does
    assert [[s.allowed for s in a] for a in answers] == [
        [True, True],
        [True, True],
        [False],
        [False],
    ]
    assert answers[1][1].remaining == 8
    assert answers[3][0].remaining == 0
    stats = await library(config, redis).get_window_stats(
        limits._items["tenant", "reads"], "tenant", "reads", who.tenant
    )
    assert stats.remaining == 8

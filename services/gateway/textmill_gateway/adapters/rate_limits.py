"""Rate limits in Redis, shared by every gateway replica: the `limits` library's sliding
window counter (two counters per quota; a window's count weighs the previous window's by
how much of it still overlaps), each budget counted per key and per tenant.

A request's quotas are spent in one Redis round trip (`SPEND`, the library's own
acquire-then-read of a sliding window, for every quota in turn), where the library takes
two per quota (`hit`, then `get_window_stats`): four round trips a request were 13 % of
the gateway's time under reads. The counters are the library's own keys, so the refusals'
budget (still counted by the library) and the quotas share one layout."""

import math
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from textmill_gateway.domain.budgets import BUDGETS, Budget, Quota, Standing
from textmill_gateway.domain.principal import Principal
from textmill_infra.settings import Settings

KEY_PREFIX = "textmill:limits"

# KEYS: (previous window, current window) of each quota; ARGV: (limit, expiry seconds) of
# each. Per quota, as limits' acquire_sliding_window.lua then sliding_window.lua do: shift
# an expired current window to the previous one, refuse when the weighted count has no
# room, else count one; then its counters. Stops at the first quota that refuses (those
# after it are not spent). Returns {allowed, previous count, previous ttl ms, current
# count, current ttl ms} per quota looked at.
SPEND = """
local out = {}
for i = 1, #KEYS / 2 do
    local previous_key, current_key = KEYS[2 * i - 1], KEYS[2 * i]
    local limit = tonumber(ARGV[2 * i - 1])
    local expiry = tonumber(ARGV[2 * i]) * 1000
    local current_ttl = tonumber(redis.call('pttl', current_key))
    if current_ttl > 0 and current_ttl < expiry then
        redis.call('rename', current_key, previous_key)
        redis.call('set', current_key, 0, 'PX', current_ttl + expiry)
    end
    local previous_count = tonumber(redis.call('get', previous_key)) or 0
    local previous_ttl = math.max(0, tonumber(redis.call('pttl', previous_key)) or 0)
    local current_count = tonumber(redis.call('get', current_key)) or 0
    current_ttl = math.max(0, tonumber(redis.call('pttl', current_key)) or 0)
    local weighted = math.floor(previous_count * previous_ttl / expiry) + current_count
    local allowed = 0
    if weighted + 1 <= limit then
        allowed = 1
        if redis.call('exists', current_key) == 1 then
            redis.call('incrby', current_key, 1)
            current_count = current_count + 1
        else
            redis.call('set', current_key, 1, 'PX', expiry * 2)
            current_count, current_ttl = 1, expiry * 2
        end
    end
    out[i] = {allowed, previous_count, previous_ttl, current_count, current_ttl}
    if allowed == 0 then
        break
    end
end
return out
"""


@dataclass(frozen=True)
class Window:
    """One quota's sliding window as Redis holds it after a request was counted."""

    previous_count: int
    previous_seconds_left: float
    current_count: int
    current_seconds_left: float

    def standing(self, quota: Quota, allowed: bool) -> Standing:
        """Remaining and seconds to the next free place, as the library's
        `SlidingWindowCounterRateLimiter.get_window_stats` computes them."""
        expiry = quota.window_seconds
        weighted = self.previous_count * self.previous_seconds_left / expiry + self.current_count
        remaining = max(0, quota.limit - math.floor(weighted))
        if not (self.previous_count or self.current_count):
            return Standing(quota, remaining, expiry, allowed)
        previous_reset, current_reset = math.inf, math.inf
        if self.previous_count:
            previous_reset = self.previous_seconds_left % (expiry / self.previous_count)
        if self.current_count:
            current_reset = self.current_seconds_left % expiry
        return Standing(quota, remaining, min(previous_reset, current_reset), allowed)


class RateLimits:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        self._items: dict[tuple[str, str], RateLimitItem] = {}
        for scope in ("key", "tenant"):
            for budget in BUDGETS:
                self._items[scope, budget] = _parsed(
                    getattr(settings, f"rate_limit_{scope}_{budget}"), f"{scope}_{budget}"
                )
        self._refusals = _parsed(settings.rate_limit_refusals, "refusals")
        storage = RedisStorage(
            settings.redis_url,
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            connection_pool=redis.connection_pool,
        )
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._spend = redis.register_script(SPEND)

    async def spend(self, principal: Principal, budget: Budget) -> list[Standing]:
        """Count one request of `principal` against its key's and its tenant's quota of
        `budget`, in one round trip; where it stands against each. A quota that refuses is
        not spent from the next: the tenant's is spent only once the key's allowed."""
        quotas, keys, args = [], [], []
        for scope, who in (("key", principal.credential), ("tenant", principal.tenant)):
            item = self._items[scope, budget]
            quotas.append(Quota(f"{scope}-{budget}", item.amount, item.get_expiry()))
            keys.extend(window_keys(item, scope, budget, who))
            args.extend((item.amount, item.get_expiry()))
        answers = await self._spend(keys=keys, args=args)
        return [
            Window(int(pc), int(pt) / 1000, int(cc), int(ct) / 1000).standing(quota, bool(ok))
            for quota, (ok, pc, pt, cc, ct) in zip(quotas, answers, strict=False)
        ]

    async def may_audit_refusal(self, address: str) -> bool:
        """Whether a refused login from `address` is still within what is audited of them
        (a flood of bad credentials must not flood the audit log)."""
        return await self._limiter.hit(self._refusals, "refusals", address)


def window_keys(item: RateLimitItem, *identifiers: str) -> tuple[str, str]:
    """(previous, current) Redis keys of a quota's sliding window: the `limits` library's
    layout (`<prefix>:{<item key>}/-1` and `<prefix>:{<item key>}`)."""
    current = f"{KEY_PREFIX}:{{{item.key_for(*identifiers)}}}"
    return f"{current}/-1", current


def _parsed(text: str, name: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError as exc:
        raise ValueError(f"TEXTMILL_RATE_LIMIT_{name.upper()}={text!r}: {exc}") from None

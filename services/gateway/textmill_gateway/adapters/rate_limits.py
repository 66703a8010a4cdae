"""Rate limits in Redis, shared by every gateway replica: the `limits` library's sliding
window counter (two counters per quota; a window's count weighs the previous window's by
how much of it still overlaps), each budget counted per key and per tenant."""

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from textmill_gateway.domain.budgets import BUDGETS, Budget, Quota, Standing
from textmill_gateway.domain.principal import Principal
from textmill_infra.settings import Settings

KEY_PREFIX = "textmill:limits"


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

    async def spend(self, principal: Principal, budget: Budget) -> list[Standing]:
        """Count one request of `principal` against its key's and its tenant's quota of
        `budget`; where it stands against each. A quota that refuses is not spent from
        the next: the tenant's is spent only once the key's allowed."""
        standings = []
        for scope, who in (("key", principal.credential), ("tenant", principal.tenant)):
            item = self._items[scope, budget]
            allowed = await self._limiter.hit(item, scope, budget, who)
            reset_at, remaining = await self._limiter.get_window_stats(item, scope, budget, who)
            quota = Quota(f"{scope}-{budget}", item.amount, item.get_expiry())
            reset = reset_at - time.time() if math.isfinite(reset_at) else item.get_expiry()
            standings.append(Standing(quota, remaining, reset, allowed))
            if not allowed:
                break
        return standings

    async def may_audit_refusal(self, address: str) -> bool:
        """Whether a refused login from `address` is still within what is audited of them
        (a flood of bad credentials must not flood the audit log)."""
        return await self._limiter.hit(self._refusals, "refusals", address)


def _parsed(text: str, name: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError as exc:
        raise ValueError(f"TEXTMILL_RATE_LIMIT_{name.upper()}={text!r}: {exc}") from None

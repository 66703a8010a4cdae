"""Rate-limit budgets: which budget a request spends, and the headers that tell a client
where it stands (the IETF draft's `RateLimit-Policy` and `RateLimit`, `Retry-After`).

Three budgets, each counted per key and per tenant: `writes` (uploads, run and task
starts, quick analyses, deletes, cancels, key changes), `reads` (every GET, profiles and
estimates, which change nothing), `streams` (a run's SSE or websocket, once when opened).
"""

import math
from dataclasses import dataclass
from typing import Literal

Budget = Literal["writes", "reads", "streams"]
BUDGETS: tuple[Budget, ...] = ("writes", "reads", "streams")
SCOPES = ("key", "tenant")


def budget_of(method: str, declared: str | None) -> Budget:
    """The budget a route declared (`opt={"budget": ...}`), else by its method."""
    if declared in BUDGETS:
        return declared  # type: ignore[return-value]
    return "reads" if method.upper() in ("GET", "HEAD") else "writes"


@dataclass(frozen=True)
class Quota:
    name: str  # "key-writes", "tenant-reads", ...
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class Standing:
    """Where a caller stands against one quota after its request was counted."""

    quota: Quota
    remaining: int
    reset_seconds: float
    allowed: bool


def rate_limit_headers(standings: list[Standing]) -> dict[str, str]:
    """`RateLimit-Policy` (quota `q` per window `w` seconds) and `RateLimit` (remaining `r`,
    seconds to reset `t`) of every quota the request was counted against."""
    policy = ", ".join(
        f'"{s.quota.name}";q={s.quota.limit};w={s.quota.window_seconds}' for s in standings
    )
    current = ", ".join(
        f'"{s.quota.name}";r={max(0, s.remaining)};t={_seconds(s.reset_seconds)}' for s in standings
    )
    return {"RateLimit-Policy": policy, "RateLimit": current}


def retry_after(standings: list[Standing]) -> int:
    """Seconds until every quota that refused has room again (at least 1)."""
    waits = [_seconds(s.reset_seconds) for s in standings if not s.allowed]
    return max([1, *waits])


def _seconds(value: float) -> int:
    # At least 1: a sliding window frees room continuously, and 0 would read as "now".
    return max(1, math.ceil(value))

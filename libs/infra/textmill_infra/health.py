"""Liveness and readiness: `/healthz` says the process runs, `/readyz` that its dependencies answer.

A readiness check is a named coroutine returning True when its dependency is usable. All
checks run concurrently, each bounded by a timeout, so one hung dependency cannot hang
the probe.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

Check = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]

    def as_dict(self) -> dict:
        return {"status": "ready" if self.ready else "not ready", "checks": self.checks}


async def run_checks(checks: Mapping[str, Check], timeout: float) -> Readiness:
    async def one(check: Check) -> str:
        try:
            ok = await asyncio.wait_for(check(), timeout)
        except TimeoutError:
            return f"timeout after {timeout:g}s"
        except Exception as exc:  # a probe reports failures, it does not raise them
            return f"error: {type(exc).__name__}: {exc}"[:300]
        return "ok" if ok else "failing"

    names = list(checks)
    results = await asyncio.gather(*(one(checks[n]) for n in names))
    outcome = dict(zip(names, results, strict=True))
    return Readiness(all(r == "ok" for r in results), outcome)

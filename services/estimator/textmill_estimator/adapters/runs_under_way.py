"""The runs under way as the estimator reads them for the backlog ahead of a run: one read
(`RunRecords.active`, two lookups a run) shared by every estimate made within
`fresh_seconds` of it. 100 runs accepted at once made 100 such reads of up to 100 runs each,
a third of a core of the estimator's and more of FerretDB's for ten seconds; the backlog a
second old is as good an estimate of the queue, which moves by shards of about 1.5 s."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from textmill_runs import Run


class RunsUnderWay:
    def __init__(
        self,
        read: Callable[[], Awaitable[list[Run]]],
        fresh_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read, self._fresh, self._clock = read, fresh_seconds, clock
        self._last: tuple[float, asyncio.Future[list[Run]]] | None = None

    async def active(self) -> list[Run]:
        """The runs under way as read at most `fresh_seconds` ago; callers during a read
        share it, and a read that failed is made again by the next caller."""
        now, last = self._clock(), self._last
        if last is None or now - last[0] > self._fresh or _failed(last[1]):
            last = self._last = (now, asyncio.ensure_future(self._read()))
        return await asyncio.shield(last[1])


def _failed(read: asyncio.Future) -> bool:
    return read.done() and (read.cancelled() or read.exception() is not None)

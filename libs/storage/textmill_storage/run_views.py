"""The runs under way as this replica's release rounds see them.

A round reads every run under way: one lookup a run, and a round starts whenever a shard
frees its slot or a run is planned. 100 runs planned at once made about 260 rounds and
25,000 lookups in 40 s, most of FerretDB's 0.6 of a core while the worker got 0.1-0.3.
Here a run's document read less than `fresh_seconds` ago is not read again, and a run
this replica has just planned or folded progress into is kept as written. A run's
progress always reaches the same replica (its events are keyed by run), so its own runs
are current; another replica's may be up to `fresh_seconds` behind, which only makes a
round release less (a shard that freed its slot still seems to hold it), never twice:
what was released is read fresh every round (`ShardReleases`), and a release is claimed
once."""

import time
from collections.abc import Callable

from textmill_runs import Run
from textmill_storage import RunRecords


class RunViews:
    def __init__(
        self,
        runs: RunRecords,
        fresh_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runs, self._fresh, self._clock = runs, fresh_seconds, clock
        self._kept: dict[str, tuple[float, Run]] = {}  # run id -> (when read, the run)

    def keep(self, run: Run) -> None:
        """`run` as this replica just wrote it: current, for the next rounds."""
        self._kept[run.id] = (self._clock(), run)

    async def active(self) -> list[Run]:
        """The runs under way, oldest first, without their estimates (`RunRecords.active`),
        those read or kept within `fresh_seconds` not read again."""
        ids, now = await self._runs.active_ids(), self._clock()
        stale = [i for i in ids if i not in self._kept or now - self._kept[i][0] > self._fresh]
        read = {run.id: run for run in await self._runs.under_way(stale, estimates=False)}
        self._kept = {
            i: (now, read[i]) if i in read else self._kept[i]
            for i in ids
            if i in read or (i in self._kept and i not in stale)
        }
        return [run for _, run in self._kept.values() if not run.ended]

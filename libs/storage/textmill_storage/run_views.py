"""The runs under way as a service reads them over and over: the coordinator's release
rounds, the estimator's backlog of each estimate.

Each read took every run's document, a lookup by `_id` each (two with its estimate). 100
runs planned at once made about 260 release rounds and 24,900 lookups in 40 s, most of
FerretDB's 0.6 of a core while the worker got 0.1-0.3; the estimator read them all again
for each of the 100 estimates. Here the registry of runs under way (`active_ids`, one
query of small documents) is read every time, so a run just registered shows at once,
and a run's own document read, or kept by its writer, less than `fresh_seconds` ago is
not read again.

For the coordinator, a run it has just planned or folded progress into is kept as it
wrote it. A run's progress events are keyed by run, so one replica folds them (another
during a rebalance): that replica sees its runs as they are, the other one up to
`fresh_seconds` behind. A view behind the store shows a run's shards less far along,
never further (`$max` of cells, `done` set once), so a round on it sees a slot held that
has come free and releases less, never more; what is released it reads fresh
(`ShardReleases`), and a release is claimed once."""

import time
from collections.abc import Callable

from textmill_runs import Run
from textmill_storage.run_records import RunRecords


class RunViews:
    def __init__(
        self,
        runs: RunRecords,
        fresh_seconds: float,
        *,
        estimates: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runs, self._fresh, self._estimates = runs, fresh_seconds, estimates
        self._clock = clock
        self._kept: dict[str, tuple[float, Run]] = {}  # run id -> (when read or kept, run)

    def keep(self, run: Run) -> None:
        """`run` as its writer just wrote it: current, for the reads that follow."""
        self._kept[run.id] = (self._clock(), run)

    async def active(self) -> list[Run]:
        """The runs under way, oldest first (`RunRecords.active`); a run read or kept within
        `fresh_seconds` is not read again. A run kept while this read was under way stays
        as kept: the document read may be older."""
        ids, now = await self._runs.active_ids(), self._clock()
        stale = [i for i in ids if i not in self._kept or now - self._kept[i][0] > self._fresh]
        read = await self._runs.under_way(stale, estimates=self._estimates)
        fresh = {run.id: (now, run) for run in read}
        kept, self._kept = self._kept, {}
        for i in ids:
            if i in kept and (i not in stale or kept[i][0] >= now):
                self._kept[i] = kept[i]  # fresh, or kept during the read
            elif i in fresh:
                self._kept[i] = fresh[i]
        return [run for _, run in self._kept.values() if not run.ended]

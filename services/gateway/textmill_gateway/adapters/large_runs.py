"""Large runs as a gateway last read them, kept for a second. A run's document maps every
shard (600 for a 600,000-cell run) and its progress is folded from them, so reading it whole
for each status read made a large run's status cost many times a small one's: most of it
in the store, which decodes the whole document whatever the projection. A run of
`min_shards` shards or more is read at most once per `keep_seconds` by a replica; a smaller
one, cheap to read, is read every time. The gateway's own cancel drops the run kept.
"""

import time
from collections import OrderedDict
from collections.abc import Callable

from textmill_runs import Run
from textmill_storage import RunRecords

LARGE_RUN_SHARDS = 64  # 64,000 cells at the least: a document of tens of kB
MAX_RUNS = 100  # 600 shards are about 150 kB once read: at most ~15 MB kept


class LargeRuns:
    def __init__(
        self,
        runs: RunRecords,
        *,
        keep_seconds: float,
        min_shards: int = LARGE_RUN_SHARDS,
        max_runs: int = MAX_RUNS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runs, self._keep, self._clock = runs, keep_seconds, clock
        self._min_shards, self._max = min_shards, max_runs
        self._kept: OrderedDict[str, tuple[float, Run]] = OrderedDict()

    async def get_own(self, tenant: str, run_id: str) -> Run | None:
        """The run if it is `tenant`'s; a large one at most `keep_seconds` old."""
        kept = self._kept.get(run_id)
        if kept is not None and self._clock() - kept[0] < self._keep:
            return kept[1] if kept[1].tenant == tenant else None
        run = await self._runs.get_own(tenant, run_id)
        if run is not None and self._keep > 0 and len(run.shards) >= self._min_shards:
            self._kept[run_id] = (self._clock(), run)
            self._kept.move_to_end(run_id)
            while len(self._kept) > self._max:
                self._kept.popitem(last=False)
        else:
            self._kept.pop(run_id, None)
        return run

    def forget(self, run_id: str) -> None:
        """Read the run afresh next time: it has just changed here."""
        self._kept.pop(run_id, None)

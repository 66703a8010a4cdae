"""A run as its status shows it, with its progress kept briefly: a run's document maps every
shard (600 for a 600,000-cell run), and its progress is folded from them, so that reading
it whole made a large run's status cost many times a small one's. Within
`keep_seconds` of a whole read, a status read takes the run without its shards (its status,
times and error fresh) and the shards as last read; a change of status reads it whole again,
so an ended run never shows the progress of before its end.
"""

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Callable

from textmill_runs import Run, ShardState
from textmill_storage import RunRecords

MAX_RUNS = 10_000  # runs whose shards are kept: a few MB at most


@dataclasses.dataclass(frozen=True)
class _Kept:
    read_at: float
    status: str
    shards: dict[int, ShardState]


class RunProgressReader:
    def __init__(
        self,
        runs: RunRecords,
        *,
        keep_seconds: float,
        max_runs: int = MAX_RUNS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runs, self._keep, self._max, self._clock = runs, keep_seconds, max_runs, clock
        self._kept: OrderedDict[str, _Kept] = OrderedDict()

    async def get_own(self, tenant: str, run_id: str) -> Run | None:
        """The run if it is `tenant`'s, its progress at most `keep_seconds` old."""
        kept = self._kept.get(run_id)
        if kept is not None and self._clock() - kept.read_at < self._keep:
            head = await self._runs.get_own_head(tenant, run_id)
            if head is None or head.status == kept.status:
                return dataclasses.replace(head, shards=kept.shards) if head else None
        run = await self._runs.get_own(tenant, run_id)
        if run is not None and self._keep > 0:
            self._kept[run_id] = _Kept(self._clock(), run.status, run.shards)
            self._kept.move_to_end(run_id)
            while len(self._kept) > self._max:
                self._kept.popitem(last=False)
        return run

"""The messages the coordinator publishes about a run, built from the run as stored, and
how often progress goes out. Pure: the clock is an argument."""

from textmill_contracts.commands import ShardAssigned
from textmill_contracts.events import ColumnProgress, RunUpdated
from textmill_runs import RecentRate, Run, RunProgress, Shard

PROGRESS_SECONDS = 0.5  # the least time between two progress updates of one run


def shard_assigned(run: Run, shard: Shard, attempt: int) -> ShardAssigned:
    return ShardAssigned(
        run_id=run.id,
        shard_id=shard.id,
        n=shard.n,
        tenant=run.tenant,
        file_id=run.file_id,
        column=shard.column,
        start=shard.start,
        end=shard.end,
        chains=run.chains,
        attempt=attempt,
        siblings=run.siblings(shard.column),
    )


def run_updated(run: Run, progress: RunProgress) -> RunUpdated:
    return RunUpdated(
        run_id=run.id,
        tenant=run.tenant,
        status=run.status,
        cells_done=progress.cells_done,
        cells_total=progress.cells_total,
        columns={c: ColumnProgress(done=d, total=t) for c, (d, t) in progress.columns.items()},
        rate_cells_per_s=progress.rate_cells_per_s,
        eta_seconds=0.0 if run.ended else progress.eta_seconds,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


class RunRates:
    """The recent rate of each run this coordinator folds progress for (its progress events
    come to one consumer: they are keyed by run)."""

    def __init__(self, window: float = 5.0) -> None:
        self._window = window
        self._runs: dict[str, RecentRate] = {}

    def add(self, run_id: str, now: float, cells_done: int) -> float | None:
        return self._runs.setdefault(run_id, RecentRate(self._window)).add(now, cells_done)

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)


class UpdateThrottle:
    """At most one progress update of a run every `interval` seconds; a forced one (a status
    change) always goes out. `now`: a monotonic clock's reading."""

    def __init__(self, interval: float = PROGRESS_SECONDS) -> None:
        self._interval = interval
        self._last: dict[str, float] = {}

    def due(self, run_id: str, now: float, *, force: bool = False) -> bool:
        if not force and now - self._last.get(run_id, float("-inf")) < self._interval:
            return False
        self._last[run_id] = now
        return True

    def forget(self, run_id: str) -> None:
        self._last.pop(run_id, None)

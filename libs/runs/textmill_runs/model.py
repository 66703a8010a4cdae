"""The typed objects of a run, as the stores give them back."""

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from textmill_contracts.events import RunStatus
from textmill_runs.progress import RunProgress, blended_eta, fold_progress
from textmill_runs.status import DEFAULT_PRIORITY, Priority, is_terminal


@dataclass(frozen=True, kw_only=True)
class ShardState:
    """What a run knows of one of its shards: the column, the cells it holds, how many of
    them are stored, whether it is done."""

    column: str
    total: int
    cells: int = 0
    done: bool = False


@dataclass(frozen=True, kw_only=True)
class Run:
    id: str
    tenant: str
    file_id: str
    columns: list[str]
    chains: list[str]
    status: RunStatus
    rows: int = 0
    cells_total: int = 0
    error: str | None = None
    created_at: datetime | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    shards: dict[int, ShardState] = field(default_factory=dict)  # empty until planned
    estimate: dict | None = None  # the estimate made as it was accepted (`RunEstimate`)
    priority: Priority = DEFAULT_PRIORITY

    @property
    def ended(self) -> bool:
        return is_terminal(self.status)

    def progress(self, now: datetime, *, recent_rate: float | None = None) -> RunProgress:
        """Its progress now, or, once ended, as it was when it ended: the rate since its
        first shard began (`recent_rate`, when given, is shown while it runs), and the time
        left at that rate weighed against what its estimate says the cells left take."""
        folded = fold_progress(self.shards, self.started_at, self.finished_at or now)
        if self.ended:
            return dataclasses.replace(folded, eta_seconds=0.0)
        eta = blended_eta(folded, recent_rate=recent_rate, estimated_left=self.estimated_left())
        rate = recent_rate or folded.rate_cells_per_s
        return dataclasses.replace(folded, rate_cells_per_s=rate, eta_seconds=eta)

    def estimated_left(self) -> float | None:
        """What the run's estimate says its cells left take: its shards' time in proportion
        to the cells left (the work, not the clock: a run slower than its estimate is not
        told it is nearly done)."""
        if self.estimate is None or not self.cells_total:
            return None
        compute = self.estimate.get("assumptions", {}).get("compute_seconds")
        if compute is None:
            return None
        return compute * max(0, self.cells_total - self.cells_done) / self.cells_total

    @property
    def cells_done(self) -> int:
        return sum(min(shard.total, shard.cells) for shard in self.shards.values())

    def pending_shards(self) -> list[int]:
        """The numbers of the shards not done, in order."""
        return sorted(n for n, shard in self.shards.items() if not shard.done)

    def siblings(self, column: str) -> list[str]:
        """The run's other columns, whose shards cover the same rows as `column`'s."""
        return [other for other in self.columns if other != column]


@dataclass(frozen=True, kw_only=True)
class Shard:
    """One column × a row range [start, end) of a run, and where its analysis stands:
    rows [start, offset) are stored (the checkpoint)."""

    id: str
    run_id: str
    n: int
    column: str
    start: int
    end: int
    chains: list[str]
    offset: int
    cells: int = 0
    done: bool = False
    worker: str | None = None  # who claimed it last
    attempt: int = 1
    updated_at: datetime | None = None  # when its holder last claimed or checkpointed it
    republished_at: datetime | None = None  # when the sweep last published it again

    @property
    def size(self) -> int:
        return self.end - self.start

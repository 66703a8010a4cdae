"""The backlog ahead of a run: what of the other runs' work the workers do before this
run's last shard, given the order the coordinator releases shards in (docs/scheduling.md):
every shard of a higher priority first; within a priority, tenants in turn, and within a
tenant, its runs in turn; a lower priority waits. So another tenant's large run of the
same priority delays this one by about as much as this one's tenant gets done in the
meantime, not by all it has left."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from textmill_runs import Run
from textmill_runs.plan import CHAIN_CELLS_PER_SECOND
from textmill_runs.status import PRIORITIES, Priority


@dataclass(frozen=True)
class Backlog:
    cells: int
    seconds: float


@dataclass(frozen=True)
class RunLeft:
    """What a run under way still has to do."""

    run_id: str
    tenant: str
    priority: Priority
    cells: int
    seconds: float


def runs_left(
    runs: Iterable[Run], *, leaving_out: str | None, chain_processes: int
) -> list[RunLeft]:
    """The work left of the runs under way but `leaving_out` (the run being estimated): the
    share of each one's own estimate its cells left are, or, for a run without an estimate,
    its cells at the planner's speeds over the chain processes alive."""
    slowest = min(CHAIN_CELLS_PER_SECOND.values())
    left = []
    for run in runs:
        if run.id == leaving_out or not run.cells_total:
            continue
        cells = max(0, run.cells_total - run.cells_done)
        if run.estimate is not None:
            seconds = cells / run.cells_total * run.estimate["assumptions"]["compute_seconds"]
        else:
            per_cell = sum(1 / CHAIN_CELLS_PER_SECOND.get(c, slowest) for c in run.chains)
            seconds = cells * per_cell / max(1, chain_processes)
        left.append(RunLeft(run.id, run.tenant, run.priority, cells, seconds))
    return left


def backlog_ahead(
    others: Iterable[RunLeft], *, tenant: str, priority: Priority, own_seconds: float
) -> Backlog:
    """What of `others` is done before a run of `tenant` at `priority`, whose own shards take
    `own_seconds`, is: all of a higher priority's work; of its own tenant's runs at its
    priority, each as much as it (at most) since runs take turns; of each other tenant at
    its priority, as much as its own tenant does in that time (at most), since tenants take
    turns; nothing of a lower priority."""
    rank = PRIORITIES.index(priority)
    ahead: list[tuple[RunLeft, float]] = []  # (run, the share of its work left ahead)
    tenants: dict[str, list[RunLeft]] = defaultdict(list)
    for other in others:
        other_rank = PRIORITIES.index(other.priority)
        if other_rank < rank:
            ahead.append((other, 1.0))
        elif other_rank == rank:
            tenants[other.tenant].append(other)
    own_tenant = own_seconds
    for other in tenants.pop(tenant, []):
        share = _share(other.seconds, own_seconds)
        ahead.append((other, share))
        own_tenant += other.seconds * share
    for their_runs in tenants.values():
        total = sum(other.seconds for other in their_runs)
        share = _share(total, own_tenant)
        ahead.extend((other, share) for other in their_runs)
    cells = round(sum(other.cells * share for other, share in ahead))
    return Backlog(cells, sum(other.seconds * share for other, share in ahead))


def _share(left: float, turns: float) -> float:
    """The share of `left` seconds of work done while another `turns` seconds are done in
    turn with it."""
    return 1.0 if left <= turns else turns / left

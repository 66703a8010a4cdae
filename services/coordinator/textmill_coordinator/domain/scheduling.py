"""Which shards the workers get next. The coordinator releases shards in waves, about as
many as the workers take at once, so that a run started later queues behind a shard or
two of a large run, not behind all of them. Pure: the clock is an argument.

The order: the highest priority first; within a priority, the tenant with the fewest
shards out, then the one served longest ago (round robin); within a tenant, its runs
the same way; within a run, its shards in plan order.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from textmill_runs import PRIORITIES, Priority, Run

# A shard this far through no longer holds its slot: the next one goes out and waits
# behind it, so that the worker does not idle at the shard's end for the next message.
FREEING_AT = 0.75
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class RunQueue:
    """A run under way as the scheduler sees it."""

    run_id: str
    tenant: str
    priority: Priority
    since: datetime  # when it was queued: the older of two equal runs goes first
    waiting: tuple[int, ...]  # its shards not released yet, in plan order
    out: int  # its shards released and not done, less those nearly done (FREEING_AT)
    last_release: datetime = NEVER


def run_queue(run: Run, released: Mapping[int, datetime]) -> RunQueue:
    """`run`'s queue, given when its released shards went out (by shard number): every
    one not done, and its latest one done, if any (a run's shards go out in order)."""
    pending = run.pending_shards()
    out = sum(
        1
        for n in pending
        if n in released and run.shards[n].cells < FREEING_AT * max(1, run.shards[n].total)
    )
    return RunQueue(
        run_id=run.id,
        tenant=run.tenant,
        priority=run.priority,
        since=run.queued_at or run.created_at or NEVER,
        waiting=tuple(n for n in pending if n not in released),
        out=out,
        last_release=max(released.values(), default=NEVER),
    )


def slots_for(workers: int, per_worker: int = 1) -> int:
    """Shards out at once: one per live worker (each takes one shard at a time), and one
    while no worker has been heard from yet, so that a run never waits for a heartbeat."""
    return max(1, workers) * per_worker


def next_shards(queues: Sequence[RunQueue], slots: int, now: datetime) -> list[tuple[str, int]]:
    """The shards to release now, in order, as (run id, shard number): as many as `slots`
    leaves free, each taken by the order of this module's docstring, counting those
    taken before it."""
    out = {q.run_id: q.out for q in queues}
    last = {q.run_id: q.last_release for q in queues}
    taken = {q.run_id: 0 for q in queues}
    picks: list[tuple[str, int]] = []
    for i in range(max(0, slots - sum(out.values()))):
        ready = [q for q in queues if taken[q.run_id] < len(q.waiting)]
        if not ready:
            break
        rank = min(PRIORITIES.index(q.priority) for q in ready)
        ready = [q for q in ready if PRIORITIES.index(q.priority) == rank]
        tenant = min(
            {q.tenant for q in ready},
            key=lambda t: _turn([q for q in queues if q.tenant == t], out, last),
        )
        chosen = min((q for q in ready if q.tenant == tenant), key=lambda q: _turn([q], out, last))
        picks.append((chosen.run_id, chosen.waiting[taken[chosen.run_id]]))
        taken[chosen.run_id] += 1
        out[chosen.run_id] += 1
        last[chosen.run_id] = now + timedelta(microseconds=i)  # later picks: served later
    return picks


def _turn(
    queues: Sequence[RunQueue], out: Mapping[str, int], last: Mapping[str, datetime]
) -> tuple[int, datetime, datetime, str]:
    """Whose turn it is (a tenant's runs, or one run), least first: shards out, then the
    latest release, then the oldest run (first come, first served among the unserved)."""
    return (
        sum(out[q.run_id] for q in queues),
        max(last[q.run_id] for q in queues),
        min(q.since for q in queues),
        min(q.run_id for q in queues),
    )


def partition_for(load: dict[int, tuple[int, int]], workers: int, partitions: int) -> int:
    """The shard topic's partition for a shard going out now, and `load` counts it there.
    `load[p]`: the shards out on p that hold their slot, and all those out on p. The
    workers' consumer group deals partitions round robin (p to member p mod the members),
    so partitions 0 to workers − 1 reach every worker once: the shard goes to the one whose
    worker is freest (no shard holding a slot, then the fewest queued), where n mod the
    partitions sent a freed slot's shard to whichever worker owned n's partition, busy or not."""
    candidates = range(max(1, min(workers, partitions)))
    chosen = min(candidates, key=lambda p: (*load.get(p, (0, 0)), p))
    holding, out = load.get(chosen, (0, 0))
    load[chosen] = (holding + 1, out + 1)
    return chosen


def partition_load(
    runs: Sequence[Run],
    released: Mapping[str, Mapping[int, int | None]],
    workers: int,
    partitions: int,
) -> dict[int, tuple[int, int]]:
    """`partition_for`'s load from the shards out: `released[run id][n]`, the partition
    shard n of the run went to (None: n mod the partitions, as shards were published before
    their partitions were recorded), each counted on the candidate partition of the same
    worker (p mod the workers: a shard on partition 5 of 2 workers is worker 1's)."""
    workers = max(1, min(workers, partitions))
    load: dict[int, tuple[int, int]] = {}
    for run in runs:
        out = released.get(run.id, {})
        for n in run.pending_shards():
            if n not in out:
                continue
            p = (out[n] if out[n] is not None else n % partitions) % workers
            shard = run.shards[n]
            holds = shard.cells < FREEING_AT * max(1, shard.total)
            holding, total = load.get(p, (0, 0))
            load[p] = (holding + holds, total + 1)
    return load

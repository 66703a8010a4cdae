"""The coordinator's handlers: record heartbeats, plan a requested run, release shards to
the workers in waves (`domain.scheduling`), fold shard progress into the run, record
cancels, and re-publish the shards of workers that went silent.

Idempotency keys: heartbeats by (instance id, sequence); `AnalyzeRequested` by run id (a
replanned run has the same shards: its first stored shard fixes their size); a shard's
release by shard id (inserted once, so only one replica publishes it); `ShardProgress` by
(run, shard), its counts folded with `$max` (a shard's pace is kept as the run first hears
it is done); `RunCancelled` by run id (a status moves only forward).
"""

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta

from pymongo.errors import ConnectionFailure

from textmill_contracts.commands import AnalyzeRequested
from textmill_contracts.envelope import utc_now
from textmill_contracts.events import Heartbeat, RunCancelled, ShardProgress
from textmill_contracts.topics import TOPICS
from textmill_coordinator.adapters.column_lengths import ColumnLengths
from textmill_coordinator.adapters.liveness import LivenessTable
from textmill_coordinator.adapters.metrics import CoordinatorMetrics
from textmill_coordinator.domain.liveness import observe
from textmill_coordinator.domain.scheduling import (
    FREEING_AT,
    next_shards,
    partition_for,
    partition_load,
    run_queue,
    slots_for,
)
from textmill_coordinator.domain.updates import (
    RunRates,
    UpdateThrottle,
    run_updated,
    shard_assigned,
)
from textmill_infra.blobs import StoredFileMissing
from textmill_infra.logs import get_logger
from textmill_infra.messaging import Publisher, Unprocessable
from textmill_runs import (
    Run,
    RunProgress,
    Shard,
    plan_shards,
    release_lost,
    shard_id,
    shard_number,
    shard_rows_for,
    stalled,
)
from textmill_runs.pace import measures_pace, pace_key
from textmill_storage import (
    RowIndexes,
    RunRecords,
    RunViews,
    ShardPaces,
    ShardRecords,
    ShardReleases,
)
from textmill_tabular import RowIndex, TabularError

log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class Deps:
    publisher: Publisher
    runs: RunRecords
    shards: ShardRecords
    row_indexes: RowIndexes  # synchronous: called in a thread
    liveness: LivenessTable
    throttle: UpdateThrottle
    rates: RunRates
    shard_partitions: int
    releases: ShardReleases
    # The runs under way as the release rounds read them, kept a moment (`RunViews`).
    views: RunViews
    instance: str = "coordinator"  # who released a shard, as its release records
    metrics: CoordinatorMetrics = field(default_factory=CoordinatorMetrics)
    # Set when a slot may have come free (a shard nearly done, a run ended): the release
    # loop runs a round then rather than at its next tick.
    release_due: asyncio.Event = field(default_factory=asyncio.Event)
    release_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Shards sized from measured speed (`textmill_runs.pace`); without them, from the
    # chains' planned speed.
    paces: ShardPaces | None = None
    column_lengths: ColumnLengths | None = None  # synchronous: called in a thread


async def record_heartbeat(beat: Heartbeat, deps: Deps) -> None:
    updated = observe(await deps.liveness.get(beat.instance_id), beat, utc_now())
    if updated is not None:
        await deps.liveness.put(updated)


async def plan_run(command: AnalyzeRequested, deps: Deps) -> None:
    run = await deps.runs.get(command.run_id)
    if run is None or run.ended:
        return  # unknown (never accepted) or already over: nothing to plan
    if run.status == "accepted":
        planned = await _plan(run, command, deps)
        if planned is None:
            return
        run = planned
    deps.views.keep(run)
    await _publish_run(run, deps, force=True)
    log.info("run planned", run_id=run.id, shards=len(run.shards))
    # At once rather than at the release loop's next tick: a small run's first shard then
    # goes out within this handler when a slot is free.
    await release_shards(deps)


async def release_shards(deps: Deps) -> int:
    """Release the shards that go next (`domain.scheduling`) to the workers; returns how
    many this replica published. A shard's release is recorded before it is published, and
    only by the replica whose record is the first, which marks it published after; one whose
    publishing never happened is published again by the sweep (`release_lost`)."""
    async with deps.release_lock:  # one round at a time in this replica
        with deps.metrics.release_rounds.time():
            return await _release_round(deps)


async def _release_round(deps: Deps) -> int:
    """One round of `release_shards`: the runs under way (`RunViews`), the next shards."""
    runs = await deps.views.active()
    ids = {run.id: {n: shard_id(run.id, n) for n in _release_view(run)} for run in runs}
    releases = await deps.releases.releases([i for by_n in ids.values() for i in by_n.values()])
    released = {
        run.id: {n: releases[i] for n, i in ids[run.id].items() if i in releases} for run in runs
    }
    queues = [run_queue(run, {n: r.at for n, r in released[run.id].items()}) for run in runs]
    workers = await deps.liveness.count("worker")
    partitions = {
        run_id: {n: r.partition for n, r in out.items()} for run_id, out in released.items()
    }
    load = partition_load(runs, partitions, workers, deps.shard_partitions)
    by_id, count = {run.id: run for run in runs}, 0
    for run_id, n in next_shards(queues, slots_for(workers), utc_now()):
        shard = await deps.shards.get(ids[run_id][n])
        if shard is None:
            continue
        partition = partition_for(load, workers, deps.shard_partitions)
        if not await deps.releases.claim(shard.id, run_id, deps.instance, partition):
            continue  # released by the other replica meanwhile
        await _publish_shard(by_id[run_id], shard, attempt=1, deps=deps, partition=partition)
        await deps.releases.mark_published(shard.id)
        count += 1
    deps.metrics.released.inc(count)
    return count


def _release_view(run: Run) -> list[int]:
    """The shards whose release the scheduler reads: those not done, and the last one done,
    whose release (a run's shards go out in order) says when the run was last served."""
    done = [n for n, shard in run.shards.items() if shard.done]
    return [*run.pending_shards(), *([max(done)] if done else [])]


async def release_in_waves(deps: Deps, every: float) -> None:
    """Release shards whenever a slot may have come free (`release_due`), and every `every`
    seconds in any case (the other replica may have folded the progress that freed it). A
    round that fails is logged, and the next one tries again."""
    while True:
        try:
            await asyncio.wait_for(deps.release_due.wait(), every)
        except TimeoutError:
            pass
        deps.release_due.clear()
        try:
            await release_shards(deps)
        except Exception:
            log.exception("shard release failed; retrying next round")


async def _plan(run: Run, command: AnalyzeRequested, deps: Deps) -> Run | None:
    """Plan the run into shards and store them; the run as it is then, or None when it
    failed (a file it cannot read, columns the file lacks)."""
    try:
        index, header = await asyncio.to_thread(
            deps.row_indexes.get_or_build, command.tenant, command.file_id
        )
    except ConnectionFailure:
        raise  # the store is away: redelivery retries once it is back
    except (StoredFileMissing, TabularError, ValueError) as exc:
        await _fail(run, f"the file cannot be read: {exc}", deps)
        return None
    except Exception as exc:
        # Would fail the same way on every redelivery: fail the run, move on.
        log.exception("planning failed", run_id=run.id)
        await _fail(run, f"the run could not be planned ({type(exc).__name__})", deps)
        return None
    unknown = [c for c in command.columns if c not in header]
    if unknown:
        await _fail(run, f"no column named {', '.join(map(repr, unknown))}", deps)
        return None
    plans = plan_shards(index.rows, command.columns, await _shard_rows(command, index, deps))
    if plans:
        # The first stored shard fixes the run's shard size: paces move, and a redelivered
        # command (or another replica handed it in a rebalance) must plan the same shards.
        await deps.shards.insert_plan(run.id, plans[:1], command.chains)
        first = await deps.shards.get(shard_id(run.id, 0))
        if first is not None and first.size != plans[0].cells:
            plans = plan_shards(index.rows, command.columns, first.size)
    await deps.shards.insert_plan(run.id, plans, command.chains)
    await deps.runs.record_plan(run.id, plans)
    if not plans:  # an empty file: nothing to analyse, done at once
        if await deps.runs.move(run.id, "completed", finished_at=utc_now()):
            deps.metrics.moved(run, "completed")
    return await deps.runs.get(run.id)


async def _shard_rows(command: AnalyzeRequested, index: RowIndex, deps: Deps) -> int:
    """Rows per shard: from the pace of completed shards of these chains on texts of the
    columns' sampled length (`ShardPaces.shard_rows`), else from the chains' planned speed.
    Sizing never fails a run: a sample that cannot be read plans at the latter."""
    if deps.paces is None or deps.column_lengths is None or not index.rows:
        return shard_rows_for(command.chains)
    try:
        lengths = await asyncio.to_thread(
            deps.column_lengths.measure, command.tenant, command.file_id, index, command.columns
        )
    except ConnectionFailure:
        raise  # the store is away: redelivery plans again once it is back
    except Exception:
        log.warning("columns not sampled", run_id=command.run_id, exc_info=True)
        return shard_rows_for(command.chains)
    return await deps.paces.shard_rows(command.chains, lengths)


async def _observe_pace(run: Run, n: int, event: ShardProgress, deps: Deps) -> None:
    """Shard `n`'s cells and seconds into the pace of its kind, once, as the run first hears
    it is done, when it measures one (`measures_pace`); a pace not kept costs the next plans
    their accuracy, never this shard its progress."""
    costs = event.costs
    if deps.paces is None or costs is None or not event.done or event.failed:
        return
    if run.shards[n].done or not measures_pace(
        run.shards, n, len(run.columns), rows=costs.rows, cells=costs.cells
    ):
        return
    try:
        await deps.paces.observe(
            pace_key(run.chains, costs.chars / costs.cells), costs.cells, costs.seconds
        )
    except Exception:
        log.warning("shard pace not kept", run_id=run.id, exc_info=True)


async def fold_shard_progress(event: ShardProgress, deps: Deps) -> None:
    planned = await deps.runs.get(event.run_id)
    if planned is None:
        return  # a run that is gone (or never was): nothing to fold into
    n = event.n if event.n is not None else shard_number(event.run_id, event.shard_id)
    if n is None or n not in planned.shards or event.shard_id != shard_id(event.run_id, n):
        # Folded in, it would add a shard without a column or a size to the run, and
        # every later event of the run would fail on it: the run would never end.
        raise Unprocessable(
            f"ShardProgress: {event.shard_id[:100]!r} is no shard of run {event.run_id!r}"
        )
    await _observe_pace(planned, n, event, deps)
    run = await deps.runs.record_progress(
        event.run_id, n, event.cells, event.done, started_at=event.started_at
    )
    if run is not None:
        deps.views.keep(run)
    if event.done or event.cells >= FREEING_AT * planned.shards[n].total:
        # Its slot frees (see `domain.scheduling`): a round now, which reads the fold.
        deps.release_due.set()
    if run is None or run.ended:
        return
    if event.failed:
        await _fail(run, f"shard {event.shard_id} failed: {event.failed}", deps)
        return
    moved = False  # to running: a status change, which always goes out
    if run.status == "queued":
        # When its first shard began, as the worker says (`$min` of the shards' starts,
        # set by `record_progress`); a 1.0 event does not say: when it came.
        started = run.started_at or utc_now()
        if moved := await deps.runs.move(run.id, "running", started_at=started):
            run = dataclasses.replace(run, status="running", started_at=started)
            deps.metrics.moved(run, "running")
        else:
            run = await deps.runs.get(run.id)  # cancelled or failed meanwhile
    now = utc_now()
    recent = deps.rates.add(run.id, event.occurred_at.timestamp(), run.cells_done)
    progress = run.progress(now, recent_rate=recent)
    if progress.complete and not run.ended:
        if await deps.runs.move(run.id, "completed", finished_at=utc_now()):
            deps.metrics.moved(run, "completed")
        await _publish_run(await deps.runs.get(run.id), deps, force=True)
        log.info("run completed", run_id=run.id, cells=progress.cells_done)
    else:
        await _publish_run(run, deps, force=moved, progress=progress)


async def record_cancel(event: RunCancelled, deps: Deps) -> None:
    await deps.runs.move(event.run_id, "cancelled", finished_at=utc_now())
    deps.release_due.set()  # its shards out no longer hold slots
    run = await deps.runs.get(event.run_id)
    if run is not None:
        if run.status == "cancelled":  # by the gateway, as a rule, before this event
            deps.metrics.moved(run, "cancelled")
        await _publish_run(run, deps, force=True)


async def reassign_stalled(deps: Deps, stall: timedelta) -> int:
    """Publish again the shards not done that a worker claimed and that have not moved for
    a while (`textmill_runs.stalled`), and those released that no worker has claimed for
    long (`release_lost`); returns how many. Kafka already hands a dead consumer's
    uncommitted shards to another member; this covers the shards whose message no member
    will get again: one left to a holder that then failed or stopped, one whose worker
    hangs while its consumer stays in the group, one whose release was never published."""
    count, now = 0, utc_now()
    alive = await deps.liveness.alive()
    under_way = await deps.runs.settled(await deps.runs.active(estimates=False))
    active = [run for run in under_way if not run.ended]
    deps.metrics.active.set(len(active))
    for run in active:
        shards = await deps.shards.not_done(run)
        releases = await deps.releases.releases([shard.id for shard in shards])
        for shard in shards:
            release = releases.get(shard.id)
            at = release.at if release is not None else None
            published = release is None or release.published
            if not (
                release_lost(shard, at, published, stall, now) or stalled(shard, alive, stall, now)
            ):
                continue
            attempt = shard.attempt + 1
            # To the partition its release went to, where the release round counts it.
            partition = release.partition if release is not None else None
            await _publish_shard(run, shard, attempt=attempt, deps=deps, partition=partition)
            await deps.shards.mark_republished(shard.id, attempt)
            count += 1
    deps.metrics.stalled.inc(count)
    return count


async def sweep(deps: Deps, stall: timedelta, every: float) -> None:
    """Every `every` seconds, publish stalled shards again; on the first round, enter the
    runs under way that the sweep's registry lacks. A round that fails is logged, and the
    next one tries again."""
    registered = False
    while True:
        await asyncio.sleep(every)
        try:
            if not registered:
                if missing := await deps.runs.register_active():
                    log.info("active runs entered in the sweep's registry", runs=missing)
                registered = True
            if moved := await reassign_stalled(deps, stall):
                log.warning("stalled shards re-published", shards=moved)
        except Exception:
            log.exception("shard sweep failed; retrying next round")


async def _fail(run: Run, error: str, deps: Deps) -> None:
    if await deps.runs.move(run.id, "failed", error=error, finished_at=utc_now()):
        deps.metrics.moved(run, "failed")
    deps.release_due.set()  # its shards out no longer hold slots
    log.warning("run failed", run_id=run.id, error=error)
    await _publish_run(await deps.runs.get(run.id), deps, force=True)


async def _publish_shard(
    run: Run, shard: Shard, *, attempt: int, deps: Deps, partition: int | None = None
) -> None:
    """To `partition` (a release's, `partition_for`), or, for a shard published again,
    round robin over the partitions, not by key hash: the workers (each owning some
    partitions) then get a fair share of the shards."""
    await deps.publisher.publish(
        shard_assigned(run, shard, attempt),
        TOPICS.shards,
        key=shard.id,
        partition=partition if partition is not None else shard.n % deps.shard_partitions,
    )


async def _publish_run(
    run: Run, deps: Deps, *, force: bool, progress: RunProgress | None = None
) -> None:
    """`progress`: the run's progress when the caller has just folded it."""
    if not deps.throttle.due(run.id, asyncio.get_running_loop().time(), force=force):
        return
    progress = progress or run.progress(utc_now())
    await deps.publisher.publish(run_updated(run, progress), TOPICS.runs, key=run.id)
    if run.ended:
        deps.throttle.forget(run.id)
        deps.rates.forget(run.id)

"""The worker's handlers: analyse one shard, or a handful of texts for a quick reply.

A shard is idempotent by (run, column, record): results are stored in aligned batches
keyed by their first record, so a redelivered or reassigned shard writes only what is
missing, and it starts from the shard's checkpoint (`offset`). The checkpoint moves after
stored and published batches, at most every `CHECKPOINT_SECONDS`: a resumed shard redoes at
most that much work (its rewrites are refused as duplicates). Before each write the worker
enters the run's cancel fence; once a cancel is acknowledged nothing more is written. Rows
are read and analysed up to `compute.depth` batches ahead of the store (`ReadAhead`).
Quick analyses are idempotent by correlation id: a repeated reply is ignored by the
requester.
"""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

from pymongo.errors import ConnectionFailure

from textmill_contracts.commands import AnalyzeTexts, ShardAssigned
from textmill_contracts.envelope import utc_now
from textmill_contracts.events import (
    CellResult,
    ResultBatch,
    ShardCosts,
    ShardProgress,
    TextsAnalyzed,
)
from textmill_contracts.topics import TOPICS
from textmill_infra.logs import get_logger
from textmill_infra.messaging import Publisher, Unprocessable
from textmill_runs import RESULT_BATCH, held_elsewhere
from textmill_runs.costs import CellCosts
from textmill_storage import CancelFence, ResultBatches, ShardRecords
from textmill_tabular import TabularError
from textmill_worker.adapters.column_languages import ColumnLanguages
from textmill_worker.adapters.compute import Compute
from textmill_worker.adapters.metrics import WorkerMetrics
from textmill_worker.adapters.readahead import ReadAhead
from textmill_worker.adapters.rows import ShardRows
from textmill_worker.domain.chains import UnknownChain, get_chains
from textmill_worker.domain.throughput import Throughput

log = get_logger(__name__)
CHECKPOINT_SECONDS = 0.25
PROGRESS_SECONDS = 0.5


@dataclass(frozen=True, kw_only=True)
class Deps:
    publisher: Publisher
    shards: ShardRecords
    results: ResultBatches
    rows: ShardRows  # synchronous: called in threads
    fence: CancelFence
    compute: Compute
    worker: str  # this instance's id
    throughput: Throughput  # what its heartbeats say it analyses
    batch_rows: int = RESULT_BATCH  # shards and checkpoints fall on batch boundaries
    metrics: WorkerMetrics = field(default_factory=WorkerMetrics)
    languages: ColumnLanguages | None = None  # the columns' languages in their file's profile


@dataclass
class ShardRun:
    """One shard as this worker analyses it: when it began, and what it cost so far."""

    command: ShardAssigned
    started_at: datetime
    started: float  # the monotonic clock's reading then
    offset: int
    costs: CellCosts = field(default_factory=CellCosts)


async def analyse_shard(command: ShardAssigned, deps: Deps) -> None:
    shard = await deps.shards.get(command.shard_id)
    if shard is None:
        log.warning("shard not in the store; skipped", shard_id=command.shard_id)
        return
    offset = max(command.start, shard.offset)
    work = ShardRun(command, utc_now(), time.monotonic(), offset)
    if shard.done or offset >= command.end:
        await _progress(work, offset, deps, done=True)  # tell the coordinator again
        return
    if await deps.fence.is_cancelled(command.run_id):
        return
    if held_elsewhere(shard, deps.worker, utc_now()):
        log.info("shard held by another worker; left to it", shard_id=command.shard_id)
        return
    resumed_from = offset if offset > command.start else 0
    if resumed_from:
        log.info("resuming shard from its checkpoint", shard_id=command.shard_id, offset=offset)
    await deps.shards.claim(command.shard_id, deps.worker, command.attempt, resumed_from)
    try:
        await _analyse(work, deps)
    except asyncio.CancelledError:
        # Stopped mid-shard (a drain past its grace): the member that gets the message
        # next takes the shard at once rather than leaving it to a holder that is gone.
        try:
            await asyncio.shield(deps.shards.release(command.shard_id, deps.worker))
        except Exception:  # the store away too: the sweep still re-publishes it
            log.warning("shard not released", shard_id=command.shard_id, exc_info=True)
        raise
    except ConnectionFailure:
        raise  # the store is away: redelivery resumes from the checkpoint
    except (TabularError, LookupError, UnknownChain, ValueError) as exc:
        log.warning("shard failed", shard_id=command.shard_id, error=str(exc))
        await _progress(work, offset, deps, failed=f"{type(exc).__name__}: {exc}")


async def _analyse(work: ShardRun, deps: Deps) -> None:
    command, offset = work.command, work.offset
    get_chains(command.chains)  # an unknown chain fails the shard before any work
    position, rows = await asyncio.to_thread(
        deps.rows.open,
        command.tenant,
        command.file_id,
        command.column,
        command.start,
        command.end,
        offset=offset,
        siblings=command.siblings,
    )
    language = await _column_language(command, deps)
    reader = ReadAhead(
        rows,
        deps.batch_rows,
        deps.compute.depth,
        lambda records, texts: deps.compute.cells(
            command.chains, records, texts, column_language=language
        ),
    )
    checkpointed = progressed = time.monotonic()
    try:
        while (batch := await reader.next()) is not None:
            records, (cells, costs) = batch
            if not await deps.fence.enter(command.run_id):
                log.info("run cancelled; shard stops", shard_id=command.shard_id)
                # What was stored since the last report still counts: the cancelled
                # run's figures say how many cells it has, not how many were reported.
                await _progress(work, offset, deps)
                return
            try:
                await deps.results.write(command.run_id, command.column, position, records, cells)
            finally:
                await deps.fence.leave(command.run_id)
            offset = records[-1] + 1
            done, now = offset >= command.end, time.monotonic()
            work.costs.add(costs)
            deps.throughput.add(now, costs.cells)
            deps.metrics.batch(command.chains, len(records), costs)
            # Published before the checkpoint moves past it: a publish that fails leaves
            # the batch to the shard's redelivery, which publishes it again.
            await _publish_results(command, cells, deps)
            if done or now - checkpointed >= CHECKPOINT_SECONDS:
                await deps.shards.checkpoint(command.shard_id, offset, offset - command.start, done)
                checkpointed = now
            if done or now - progressed >= PROGRESS_SECONDS:
                await _progress(work, offset, deps, done=done)  # after the checkpoint
                progressed = now
    finally:
        await reader.close()
        await asyncio.to_thread(rows.close)
    if offset < command.end:
        await deps.shards.checkpoint(command.shard_id, command.end, offset - command.start, True)
        await _progress(work, command.end, deps, done=True)


async def _column_language(command: ShardAssigned, deps: Deps) -> str | None:
    """The prior of the language chain's short texts: the column's language in the file's
    profile, when the chain is asked for and the file was profiled."""
    if deps.languages is None or "language" not in command.chains:
        return None
    return await deps.languages.of(command.tenant, command.file_id, command.column)


async def _publish_results(command: ShardAssigned, cells: bytes, deps: Deps) -> None:
    # The cells are JSON already (as stored): published without a model per cell, in
    # pieces when they are too large for one message.
    for piece in ResultBatch.pieces(cells):
        body = ResultBatch.encode(
            piece,
            run_id=command.run_id,
            tenant=command.tenant,
            shard_id=command.shard_id,
            column=command.column,
            worker=deps.worker,
        )
        await deps.publisher.publish_json(
            body, TOPICS.results, schema_name=ResultBatch.schema_name, key=command.run_id
        )


async def _progress(
    work: ShardRun,
    offset: int,
    deps: Deps,
    *,
    done: bool = False,
    failed: str | None = None,
) -> None:
    command = work.command
    if failed or (done and work.costs.cells):  # this worker analysed it, or tried
        deps.metrics.shard_ended(time.monotonic() - work.started, "failed" if failed else "done")
    costs = None
    if done and work.costs.cells:
        costs = ShardCosts(
            seconds=round(time.monotonic() - work.started, 4),
            cells=work.costs.cells,
            rows=offset - work.offset,
            chars=work.costs.chars,
            chars_squared=work.costs.chars_squared,
            chain_seconds={c: round(s, 6) for c, s in work.costs.chain_seconds.items()},
            chain_processes=deps.compute.processes,
        )
    event = ShardProgress(
        run_id=command.run_id,
        shard_id=command.shard_id,
        n=command.n,
        column=command.column,
        worker=deps.worker,
        offset=offset,
        cells=offset - command.start,
        done=done,
        failed=failed,
        started_at=work.started_at,
        costs=costs,
    )
    await deps.publisher.publish(event, TOPICS.shard_progress, key=command.run_id)


async def analyse_texts(command: AnalyzeTexts, deps: Deps) -> None:
    """At most 100 texts, answered on the requester's reply topic."""
    started = time.perf_counter()
    try:
        get_chains(command.chains)
    except UnknownChain as exc:  # the gateway asks only for known chains
        raise Unprocessable(f"AnalyzeTexts: {exc}") from None
    results, costs = await deps.compute.analyse(command.chains, list(command.texts))
    answer = TextsAnalyzed(
        correlation_id=command.correlation_id,
        results=[CellResult(record=i, **result) for i, result in enumerate(results)],
        chain_seconds={c: round(s, 6) for c, s in costs.chain_seconds.items()},
        chain_processes=deps.compute.processes,
    )
    await deps.publisher.reply(answer, command.reply_to, correlation_id=command.correlation_id)
    log.info(
        "texts analysed",
        texts=len(command.texts),
        ms=round((time.perf_counter() - started) * 1000, 1),
    )

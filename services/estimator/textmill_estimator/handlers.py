"""The estimator's handlers: answer an estimate, estimate each accepted run (kept on the
run, to compare with what it took), fold each completed shard's costs into the cost model,
keep the workers alive in view, and learn from each completed run's actual time.

Idempotency keys: estimate requests by correlation id (the requester ignores a repeated
reply; one older than the requester waits is dropped); accepted runs by run id (a run's
estimate is written once); shard costs by shard id (`shard_costs`); outcomes by run id
(`Outcomes.runs`); heartbeats by (instance, sequence).
"""

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from textmill_contracts.commands import AnalyzeRequested, EstimateRequested
from textmill_contracts.envelope import utc_now
from textmill_contracts.events import (
    EstimateCompleted,
    EstimateFailed,
    Heartbeat,
    RunEstimate,
    RunUpdated,
    ShardProgress,
)
from textmill_estimator.adapters.calibration import Calibrator
from textmill_estimator.adapters.metrics import EstimatorMetrics
from textmill_estimator.adapters.models import CostModels
from textmill_estimator.adapters.samples import FileSamples
from textmill_estimator.domain.backlog import runs_left
from textmill_estimator.domain.capacity import Workers
from textmill_estimator.domain.costs import ChainModel, calibration_bias, shard_load
from textmill_estimator.domain.estimate import Pricing, estimate_run, source_of
from textmill_estimator.domain.layouts import LayoutPace
from textmill_estimator.domain.sample import ColumnSample
from textmill_infra.blobs import StoredFileMissing
from textmill_infra.logs import get_logger
from textmill_infra.messaging import Publisher
from textmill_infra.replies import ReplyTimeout
from textmill_runs import shard_rows_for
from textmill_runs.status import Priority
from textmill_storage import RunRecords, RunViews, ShardPaces
from textmill_tabular import TabularError

log = get_logger(__name__)
DEFAULT_CHAIN_PROCESSES = 1  # when no worker is alive to say


@dataclass(frozen=True, kw_only=True)
class Deps:
    publisher: Publisher
    models: CostModels
    samples: FileSamples  # synchronous: read in a thread
    calibrator: Calibrator
    runs: RunRecords
    workers: Workers
    pricing: Pricing
    metrics: EstimatorMetrics
    partitions: int  # of the shards topic
    answer_within: timedelta  # how long a requester waits for its answer
    # The paces the coordinator sizes shards from, to plan them as it will; None: the
    # chains' planned speed.
    paces: ShardPaces | None = None
    # The runs under way, their documents read again once a second old (`RunViews`);
    # None: `runs.active()`, every run read for every estimate.
    under_way: RunViews | None = None


async def answer_estimate(command: EstimateRequested, deps: Deps) -> None:
    if utc_now() - command.occurred_at > deps.answer_within:
        log.info("estimate request dropped: its requester has stopped waiting")
        return
    ids = {"correlation_id": command.correlation_id}
    try:
        made = await estimate(
            command.tenant,
            command.file_id,
            command.columns,
            command.chains,
            deps,
            priority=command.priority,
        )
        answer: EstimateCompleted | EstimateFailed = EstimateCompleted(**ids, estimate=made)
    except StoredFileMissing:
        detail = f"no file with id {command.file_id!r}"
        answer = EstimateFailed(**ids, code="file_not_found", detail=detail)
    except TabularError as exc:
        answer = EstimateFailed(**ids, code=exc.code, detail=exc.detail)
    except ConnectionFailure:
        raise  # the store is away: redelivery retries once it is back
    except Exception as exc:
        log.exception("estimate failed", file_id=command.file_id)
        detail = f"the run could not be estimated ({type(exc).__name__})"
        answer = EstimateFailed(**ids, code="estimate_failed", detail=detail)
    await deps.publisher.reply(answer, command.reply_to, correlation_id=command.correlation_id)


async def estimate_accepted_run(command: AnalyzeRequested, deps: Deps) -> None:
    """Keep on the run the estimate made as it was accepted (once). A run that cannot be
    estimated goes without: it fails when it is planned, or runs without one."""
    run = await deps.runs.get(command.run_id)
    if run is None or run.estimate is not None or run.ended:
        return
    try:
        made = await estimate(
            run.tenant,
            run.file_id,
            run.columns,
            run.chains,
            deps,
            priority=run.priority,
            leaving_out=run.id,
            shard_rows=run.shards[0].total if 0 in run.shards else None,
        )
    except ConnectionFailure:
        raise  # the store is away: redelivery retries once it is back
    except (StoredFileMissing, TabularError) as exc:
        log.info("run not estimated", run_id=run.id, error=str(exc))
        return
    except Exception:
        log.exception("run not estimated", run_id=run.id)  # would fail on every redelivery
        return
    await deps.runs.record_estimate(run.id, made.model_dump(mode="json"))


async def estimate(
    tenant: str,
    file_id: str,
    columns: list[str],
    chains: list[str],
    deps: Deps,
    *,
    priority: Priority,
    leaving_out: str | None = None,
    shard_rows: int | None = None,
) -> RunEstimate:
    """The estimate of a run of `chains` over `columns` of the file, of `tenant` at
    `priority`, as things stand (the backlog leaves out `leaving_out`, the run estimated;
    `shard_rows`: the run's, when the coordinator has planned it already)."""
    started = time.perf_counter()
    rows, samples = await asyncio.to_thread(deps.samples.sample, tenant, file_id, columns)
    alive = deps.workers.alive(utc_now())
    every = await deps.models.chains(chains)
    models = {chain: every[chain] for chain in chains}
    if alive and await _calibrate(models, samples, deps):
        every = await deps.models.chains(chains)  # as calibrated
        models = {chain: every[chain] for chain in chains}
        calibrated = True
    else:
        calibrated = False
    source = source_of(models.values(), calibrated=calibrated)
    bias = calibration_bias(every.values())
    processes = [worker.chain_processes for worker in alive] or [DEFAULT_CHAIN_PROCESSES]
    chain_processes = sum(max(1, p) for p in processes)
    by_processes = {p: (await deps.models.layout(p)).cost(chains) for p in set(processes)}
    layouts = [by_processes[p] for p in processes]
    outcomes = await deps.models.outcomes()
    runs = await (deps.under_way or deps.runs).active()
    shard_rows = shard_rows or await _shard_rows(chains, samples, deps)
    made, _ = estimate_run(
        rows=rows,
        columns=columns,
        chains=chains,
        samples=samples,
        costs={chain: model.cost(bias) for chain, model in models.items()},
        layouts=layouts,
        partitions=deps.partitions,
        workers_alive=len(alive),
        chain_processes=chain_processes if alive else 0,
        others=runs_left(runs, leaving_out=leaving_out, chain_processes=chain_processes),
        outcomes=outcomes,
        pricing=deps.pricing,
        source=source,
        history_shards=min(model.shards for model in models.values()),
        tenant=tenant,
        priority=priority,
        shard_rows=shard_rows,
    )
    deps.metrics.estimates.labels(source).inc()
    deps.metrics.latency.observe(time.perf_counter() - started)
    return made


async def _shard_rows(chains: list[str], samples: dict[str, ColumnSample], deps: Deps) -> int:
    """Rows per shard as the coordinator will size them, from the same paces and the same
    windows of rows (`ShardPaces.shard_rows`)."""
    if deps.paces is None:
        return shard_rows_for(chains)
    return await deps.paces.shard_rows(chains, {c: s.length for c, s in samples.items()})


async def _calibrate(
    models: dict[str, ChainModel], samples: dict[str, ColumnSample], deps: Deps
) -> bool:
    """Run the chains a column's cells are too long or too short for their history to say
    (the fit extrapolates poorly to lengths it has not seen) over that column's sampled
    cells, on a worker, every column at once; fold what they cost in. True when any ran."""
    asks = []
    for sample in samples.values():
        cells = sample.calibration_load()
        unseen = [chain for chain, model in models.items() if not model.covers(cells)]
        if unseen and sample.texts:
            asks.append(deps.calibrator.run(unseen, sample.calibration_texts()))
    measured_runs = await asyncio.gather(*asks, return_exceptions=True)
    calibrated = False
    for measured in measured_runs:
        if isinstance(measured, ReplyTimeout):
            log.warning("no worker answered a calibration; the model is used as it is")
            continue
        if isinstance(measured, BaseException):
            raise measured
        costs, processes = measured
        load = shard_load(costs)
        # Measured at the pace of the answering worker's layout (unknown from an older build).
        pace = LayoutPace() if processes is None else (await deps.models.layout(processes)).pace
        # A chain the reply does not name (a worker of an older build) was not measured.
        for chain, seconds in costs.chain_seconds.items():
            shared = pace.shared_seconds(chain, seconds)
            await deps.models.change_chain(
                chain, lambda model, s=shared, at=load: model.observe(at, s, shard=False)
            )
            calibrated = True
    return calibrated


async def record_shard_costs(event: ShardProgress, deps: Deps) -> None:
    costs = event.costs
    if not event.done or costs is None or not costs.cells:
        return
    if not await deps.models.record_shard(event.shard_id, event.run_id, costs):
        return  # folded in already
    load = shard_load(costs)
    # The layout's pace first, against the chains' models before this shard is in them; the
    # shard is then folded into them in their terms.
    models = await deps.models.chains(costs.chain_seconds)
    layout = await deps.models.change_layout(
        costs.chain_processes, lambda layout: layout.observe(costs, models)
    )
    for chain, seconds in costs.chain_seconds.items():
        shared = layout.pace.shared_seconds(chain, seconds)
        await deps.models.change_chain(
            chain, lambda model, s=shared: model.observe(load, s, shard=True)
        )


async def record_worker(beat: Heartbeat, deps: Deps) -> None:
    deps.workers.see(beat, utc_now())


async def record_outcome(update: RunUpdated, deps: Deps) -> None:
    """A completed run's actual time against its estimate: the error is exported, and it
    and the run's fixed costs go into the next estimates."""
    if update.status != "completed":
        return
    run = await deps.runs.get(update.run_id)
    if run is None or run.estimate is None or run.created_at is None or run.finished_at is None:
        return
    try:
        made = RunEstimate.model_validate(run.estimate)
    except ValidationError:
        log.warning("a run's estimate no longer reads", run_id=run.id)
        return
    actual = (run.finished_at - run.created_at).total_seconds()
    # A run's fixed costs: from its acceptance to its first shard's start, less the backlog
    # it waited behind, as estimated.
    start = (run.started_at or run.finished_at) - run.created_at
    fixed = start.total_seconds() - made.assumptions.backlog_seconds
    assumptions = made.assumptions
    error = await deps.models.change_outcomes(
        lambda outcomes: outcomes.record(
            run.id,
            made.estimated_seconds,
            actual,
            fixed,
            compute_seconds=assumptions.compute_seconds,
            backlog_seconds=assumptions.backlog_seconds,
        )
    )
    if error is None:
        return
    held = made.confidence_lower <= actual <= made.confidence_upper
    deps.metrics.outcome(error, held)
    log.info(
        "estimate compared",
        run_id=run.id,
        estimated=made.estimated_seconds,
        actual=round(actual, 3),
        error=round(error, 4),
        held=held,
    )

"""The estimator's handlers: answer an estimate, estimate each accepted run (kept on the
run, to compare with what it took), fold each completed shard's costs into the cost model,
keep the workers alive in view, and learn from each completed run's actual time.

Idempotency keys: estimate requests by correlation id (the requester ignores a repeated
reply); accepted runs by run id (a run's estimate is written once); shard costs by shard id
(`shard_costs`); outcomes by run id (`Outcomes.runs`); heartbeats by (instance, sequence).
"""

import asyncio
import time
from dataclasses import dataclass

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
from textmill_estimator.domain.capacity import Workers
from textmill_estimator.domain.costs import (
    ChainCost,
    LayoutCost,
    observe_layout,
    shard_load,
)
from textmill_estimator.domain.estimate import Backlog, Pricing, estimate_run
from textmill_estimator.domain.sample import ColumnSample
from textmill_infra.blobs import StoredFileMissing
from textmill_infra.logs import get_logger
from textmill_infra.messaging import Publisher
from textmill_infra.replies import ReplyTimeout
from textmill_runs.plan import CHAIN_CELLS_PER_SECOND
from textmill_storage import RunRecords
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


async def answer_estimate(command: EstimateRequested, deps: Deps) -> None:
    ids = {"correlation_id": command.correlation_id}
    try:
        made = await estimate(
            command.tenant, command.file_id, command.columns, command.chains, deps
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
    """Keep on the run the estimate made as it was accepted (once)."""
    run = await deps.runs.get(command.run_id)
    if run is None or run.estimate is not None or run.ended:
        return
    try:
        made = await estimate(
            run.tenant, run.file_id, run.columns, run.chains, deps, leaving_out=run.id
        )
    except (StoredFileMissing, TabularError) as exc:
        log.info("run not estimated", run_id=run.id, error=str(exc))  # it fails when planned
        return
    await deps.runs.record_estimate(run.id, made.model_dump(mode="json"))


async def estimate(
    tenant: str,
    file_id: str,
    columns: list[str],
    chains: list[str],
    deps: Deps,
    *,
    leaving_out: str | None = None,
) -> RunEstimate:
    """The estimate of a run of `chains` over `columns` of the file, as things stand (the
    backlog leaves out the run `leaving_out`, the one being estimated)."""
    started = time.perf_counter()
    rows, samples = await asyncio.to_thread(deps.samples.sample, tenant, file_id, columns)
    alive = deps.workers.alive(utc_now())
    costs, source, history = await _chain_costs(chains, samples, deps, workers_alive=len(alive))
    processes = [worker.chain_processes for worker in alive] or [DEFAULT_CHAIN_PROCESSES]
    layouts = [LayoutCost.of(await deps.models.layout(p)) for p in processes]
    outcomes = await deps.models.outcomes()
    made, _ = estimate_run(
        rows=rows,
        columns=columns,
        chains=chains,
        samples=samples,
        costs=costs,
        layouts=layouts,
        workers_alive=len(alive),
        chain_processes=sum(max(1, p) for p in processes) if alive else 0,
        backlog=await _backlog(deps, leaving_out),
        overhead=outcomes.overhead,
        errors=outcomes.errors,
        pricing=deps.pricing,
        source=source,
        history_shards=history,
    )
    deps.metrics.estimates.labels(source).inc()
    deps.metrics.latency.observe(time.perf_counter() - started)
    return made


async def _chain_costs(
    chains: list[str], samples: dict[str, ColumnSample], deps: Deps, *, workers_alive: int
) -> tuple[dict[str, ChainCost], str, int]:
    """Each chain's cost model; where it comes from; the fewest completed shards any of the
    chains is fitted on. A chain whose history has not seen cells as long as a column's is
    calibrated now on that column's sampled cells, by a worker (when one is alive): the
    fit extrapolates poorly to lengths it has not seen."""
    models = {chain: await deps.models.chain(chain) for chain in chains}
    calibrated = False
    for sample in samples.values():
        unseen = [c for c, model in models.items() if not model.covers(sample.own_load())]
        if not unseen or not sample.texts or not workers_alive:
            continue
        try:
            measured = await deps.calibrator.run(unseen, sample.texts)
        except ReplyTimeout:
            log.warning("no worker answered the calibration; the model is used as it is")
            continue
        calibrated = True
        for chain in unseen:
            seconds = measured.chain_seconds.get(chain, 0.0)
            models[chain].observe(shard_load(measured), seconds, shard=False)
            await deps.models.save_chain(chain, models[chain])
    history = min(model.shards for model in models.values())
    if any(not model.fit.observations for model in models.values()):
        source = "defaults"
    elif calibrated or not history:
        source = "calibration"
    else:
        source = "history"
    return {chain: ChainCost.of(model.fit) for chain, model in models.items()}, source, history


async def _backlog(deps: Deps, leaving_out: str | None) -> Backlog:
    """What the runs under way still have to do, by their own estimates."""
    cells, seconds = 0, 0.0
    now = utc_now()
    for run in await deps.runs.active():
        if run.id == leaving_out:
            continue
        progress = run.progress(now)
        left = max(0, progress.cells_total - progress.cells_done)
        cells += left
        share = left / progress.cells_total if progress.cells_total else 0.0
        if run.estimate is not None:
            seconds += share * run.estimate["assumptions"]["compute_seconds"]
        else:
            slowest = min(CHAIN_CELLS_PER_SECOND.values())
            seconds += left * sum(1 / CHAIN_CELLS_PER_SECOND.get(c, slowest) for c in run.chains)
    return Backlog(cells, seconds)


async def record_shard_costs(event: ShardProgress, deps: Deps) -> None:
    costs = event.costs
    if not event.done or costs is None or not costs.cells:
        return
    if not await deps.models.record_shard(event.shard_id, event.run_id, costs):
        return  # folded in already
    load = shard_load(costs)
    for chain, seconds in costs.chain_seconds.items():
        model = await deps.models.chain(chain)
        model.observe(load, seconds, shard=True)
        await deps.models.save_chain(chain, model)
    layout = await deps.models.layout(costs.chain_processes)
    observe_layout(layout, costs)
    await deps.models.save_layout(costs.chain_processes, layout)


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
    made = RunEstimate.model_validate(run.estimate)
    actual = (run.finished_at - run.created_at).total_seconds()
    # A run's fixed costs: from its acceptance to its first shard's start, less the backlog
    # it waited behind, as estimated.
    start = (run.started_at or run.finished_at) - run.created_at
    fixed = start.total_seconds() - made.assumptions.backlog_seconds
    outcomes = await deps.models.outcomes()
    error = outcomes.record(run.id, made.estimated_seconds, actual, fixed)
    if error is None:
        return
    await deps.models.save_outcomes(outcomes)
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

"""A run's estimate: the time from its acceptance to its end, with an interval, and its
cells, tokens and cost.

Time = the fixed costs of a run (planning, the first shard's start, the end; fitted on the
runs that completed) + the backlog of other runs' shards ahead of it (`backlog.py`) + the
makespan of its own shards, planned as the coordinator will plan them, each going to the
worker alive that is free first, each shard's wall time given by the cost model over the
cells the sample says it holds.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from textmill_contracts.events import EstimateAssumptions, RunEstimate
from textmill_estimator.domain.backlog import RunLeft, backlog_ahead
from textmill_estimator.domain.costs import NO_CELLS, CellLoad, ChainCost, ChainModel
from textmill_estimator.domain.layouts import LayoutCost
from textmill_estimator.domain.outcomes import Outcomes
from textmill_estimator.domain.sample import ColumnSample
from textmill_runs import plan_shards, shard_rows_for
from textmill_runs.status import DEFAULT_PRIORITY, Priority

CONFIDENCE = 0.90
# The interval until enough runs have ended to measure it (relative to the estimate).
DEFAULT_ERRORS = (-0.25, 0.30)
MIN_ERRORS = 10  # outcomes needed to use their quantiles
MIN_MARGIN = 0.05  # the interval is never narrower than ±5 %
CHARS_PER_TOKEN = 4
TOKEN_RULE = "⌈characters ÷ 4⌉ tokens per analysed cell; each chain charges them at its price"


def source_of(models: Iterable[ChainModel], *, calibrated: bool) -> str:
    """Where the chains' costs come from: `defaults` while any chain has no observation,
    `calibration` when one was run now or a chain has no completed shard, else `history`."""
    models = list(models)
    if any(not model.fit.observations for model in models):
        return "defaults"
    if calibrated or any(not model.shards for model in models):
        return "calibration"
    return "history"


@dataclass(frozen=True)
class Pricing:
    default: float  # dollars per 1,000 tokens of a chain
    per_chain: dict[str, float]

    def of(self, chain: str) -> float:
        return self.per_chain.get(chain, self.default)


@dataclass(frozen=True)
class Makespan:
    seconds: float  # until the last worker is done with the run's shards
    cpu: dict[str, float]  # each chain's seconds, at the pace of the layouts it runs on
    shards: int


def makespan(
    rows: int,
    columns: list[str],
    chains: list[str],
    samples: dict[str, ColumnSample],
    costs: dict[str, ChainCost],
    layouts: list[LayoutCost],
    partitions: int,
    shard_rows: int | None = None,
) -> Makespan:
    """The run's shards (as `plan_shards` makes them, at `shard_rows` a shard as the
    coordinator will size them from measured paces, `textmill_runs.pace`; None: at the
    chains' planned speed), each one's wall time on the worker it goes to (its chains'
    seconds at that worker's layout's pace), and the longest total. The coordinator
    releases a shard as a worker frees a slot, to the partition of the freest worker
    (docs/scheduling.md): each shard, in plan order, goes to the worker done first.
    Workers beyond the partitions get none."""
    plans = plan_shards(rows, columns, shard_rows or shard_rows_for(chains))
    serving = max(1, min(len(layouts), partitions))
    busy = [0.0] * serving
    cpu = dict.fromkeys(chains, 0.0)
    for plan in plans:
        load = samples[plan.column].load(plan.cells)
        worker = min(range(serving), key=busy.__getitem__)
        layout = layouts[worker]
        shard_cpu = 0.0
        for chain in chains:
            seconds = layout.chain_seconds(chain, costs[chain].seconds(load))
            cpu[chain] += seconds
            shard_cpu += seconds
        busy[worker] += layout.seconds(shard_cpu, plan.cells)
    return Makespan(max(busy) if plans else 0.0, cpu, len(plans))


def interval(estimated: float, errors: list[float]) -> tuple[float, float]:
    """The `CONFIDENCE` interval around `estimated`, from the relative errors
    (actual ÷ estimated − 1) of the runs that ended, or a default while they are few."""
    if len(errors) >= MIN_ERRORS:
        tail = (1 - CONFIDENCE) / 2
        low, high = _quantile(errors, tail), _quantile(errors, 1 - tail)
    else:
        low, high = DEFAULT_ERRORS
    low, high = min(low, -MIN_MARGIN), max(high, MIN_MARGIN)
    return max(0.0, estimated * (1 + low)), estimated * (1 + high)


def tokens(load: CellLoad) -> int:
    """Per `TOKEN_RULE`, over the run's cells (⌈n ÷ 4⌉ averages n ÷ 4 + 3/8 over lengths)."""
    return math.ceil(load.chars / CHARS_PER_TOKEN + 0.375 * load.cells)


def estimate_run(
    *,
    rows: int,
    columns: list[str],
    chains: list[str],
    samples: dict[str, ColumnSample],
    costs: dict[str, ChainCost],
    layouts: list[LayoutCost],
    partitions: int,
    workers_alive: int,
    chain_processes: int,
    others: list[RunLeft],
    outcomes: Outcomes,
    pricing: Pricing,
    source: str,
    history_shards: int,
    tenant: str,
    priority: Priority = DEFAULT_PRIORITY,
    shard_rows: int | None = None,
) -> tuple[RunEstimate, Makespan]:
    """`others`: the work the runs under way have left, of which the backlog is what is done
    before this run of `tenant` at `priority` ends; `shard_rows`: `makespan`'s."""
    span = makespan(rows, columns, chains, samples, costs, layouts, partitions, shard_rows)
    backlog = backlog_ahead(others, tenant=tenant, priority=priority, own_seconds=span.seconds)
    overhead = outcomes.overhead
    seconds = max(0.01, overhead + backlog.seconds + span.seconds)
    lower, upper = interval(seconds, outcomes.errors_near(seconds, at_least=MIN_ERRORS))
    load = NO_CELLS
    for column in columns:
        load = load.plus(samples[column].load(rows))
    run_tokens = tokens(load)
    cost = sum(run_tokens / 1_000 * pricing.of(chain) for chain in chains)
    speeds = {
        chain: round(load.cells / cpu, 1) if cpu > 0 else 0.0 for chain, cpu in span.cpu.items()
    }
    sample_rows = max((sample.rows for sample in samples.values()), default=0)
    estimate = RunEstimate(
        estimated_seconds=round(seconds, 3),
        confidence_lower=round(lower, 3),
        confidence_upper=round(upper, 3),
        cells=round(load.cells),
        tokens=run_tokens,
        estimated_cost=round(cost, 6),
        assumptions=EstimateAssumptions(
            workers_alive=workers_alive,
            chain_processes=chain_processes,
            cells_per_second=speeds,
            backlog_cells=backlog.cells,
            backlog_seconds=round(backlog.seconds, 3),
            shards=span.shards,
            sample_rows=sample_rows,
            source=source,
            history_shards=history_shards,
            token_rule=TOKEN_RULE,
            price_per_1k_tokens={chain: pricing.of(chain) for chain in chains},
            confidence_level=CONFIDENCE,
            compute_seconds=round(span.seconds, 3),
            overhead_seconds=round(overhead, 3),
        ),
    )
    return estimate, span


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

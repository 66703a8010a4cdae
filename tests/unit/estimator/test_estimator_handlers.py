"""The estimator's handlers with in-memory stores: an estimate answered on the reply topic,
calibration runs only for lengths a chain's history has not seen (and only with a worker
alive to run them), a shard's costs folded in once, a run's estimate kept once and compared
with what the run took."""

import dataclasses
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from tests.unit.fakes import FakeCostModels, FakePublisher, FakeRunRecords, FakeShardPaces
from textmill_contracts.commands import AnalyzeRequested, EstimateRequested
from textmill_contracts.envelope import utc_now
from textmill_contracts.events import Heartbeat, RunUpdated, ShardCosts, ShardProgress
from textmill_estimator import handlers
from textmill_estimator.adapters.metrics import EstimatorMetrics
from textmill_estimator.domain.capacity import Workers
from textmill_estimator.domain.estimate import Pricing
from textmill_estimator.domain.sample import ColumnSample
from textmill_infra.blobs import StoredFileMissing
from textmill_infra.replies import ReplyTimeout
from textmill_runs import Run, ShardState
from textmill_runs.costs import CellCosts
from textmill_runs.pace import ShardPace, pace_key

REPLIES = "textmill.replies.v1"
US_PER_CHAR = 1.0  # what the fake worker's chains cost: 1 µs a character


class FakeSamples:
    """A file of `rows` rows whose column `text` holds `texts` over and over."""

    def __init__(self, texts: list[str], rows: int) -> None:
        self.texts, self.rows = texts, rows

    def sample(self, tenant: str, file_id: str, columns: list[str]):
        if file_id == "missing":
            raise StoredFileMissing(file_id)
        sample = ColumnSample()
        sample.add(self.texts)
        return self.rows, {column: sample for column in columns}


class FakeCalibrator:
    """A worker that answers calibration runs, its chains costing `US_PER_CHAR` (an older
    build's says nothing of them, `measures=False`); or none."""

    def __init__(self, *, answers: bool = True, measures: bool = True) -> None:
        self.answers, self.measures, self.runs = answers, measures, []
        self.chain_processes, self.pace = 1, 1.0  # its layout, and how slow it runs there

    async def run(self, chains: list[str], texts: list[str]) -> tuple[CellCosts, int | None]:
        if not self.answers:
            raise ReplyTimeout("the worker (calibration) did not answer within 5s")
        self.runs.append(chains)
        costs = CellCosts()
        costs.count(texts)
        for chain in chains if self.measures else []:
            costs.charge(chain, costs.chars * US_PER_CHAR * self.pace / 1e6)
        return costs, self.chain_processes if self.measures else None


def deps_for(
    texts: list[str], *, rows: int = 10_000, worker: bool = True, answers=True, measures=True
):
    workers = Workers(timedelta(seconds=6))
    if worker:
        beat = Heartbeat(
            service="worker",
            instance_id="w1",
            started_at=utc_now(),
            sequence=1,
            chain_processes=1,
        )
        workers.see(beat, utc_now())
    return handlers.Deps(
        publisher=FakePublisher(),
        models=FakeCostModels(),
        samples=FakeSamples(texts, rows),
        calibrator=FakeCalibrator(answers=answers, measures=measures),
        runs=FakeRunRecords(),
        workers=workers,
        pricing=Pricing(0.10, {}),
        metrics=EstimatorMetrics(CollectorRegistry()),
        partitions=6,
        answer_within=timedelta(seconds=30),
    )


def asked(
    file_id: str = "f1", chains: tuple[str, ...] = ("sentiment",), **fields
) -> EstimateRequested:
    return EstimateRequested(
        **{"correlation_id": "c1", **fields},
        reply_to=REPLIES,
        tenant="t",
        file_id=file_id,
        columns=["text"],
        chains=list(chains),
    )


def shard_done(
    shard: str, cells: int, chars_each: int, seconds: float, *, chain_processes: int = 1
) -> ShardProgress:
    return ShardProgress(
        run_id="r1",
        shard_id=shard,
        n=0,
        column="text",
        worker="w1",
        offset=cells,
        cells=cells,
        done=True,
        costs=ShardCosts(
            seconds=seconds * 1.2,
            cells=cells,
            rows=cells,
            chars=cells * chars_each,
            chars_squared=cells * chars_each**2,
            chain_seconds={"sentiment": seconds},
            chain_processes=chain_processes,
        ),
    )


def with_worker(deps: handlers.Deps, chain_processes: int) -> handlers.Deps:
    """`deps` (the same models) with one worker alive, of `chain_processes`."""
    workers = Workers(timedelta(seconds=6))
    beat = Heartbeat(
        service="worker",
        instance_id=f"w{chain_processes}",
        started_at=utc_now(),
        sequence=1,
        chain_processes=chain_processes,
    )
    workers.see(beat, utc_now())
    return dataclasses.replace(deps, workers=workers)


def a_run(status: str, **fields) -> Run:
    return Run(
        id="r1",
        tenant="t",
        file_id="f1",
        columns=["text"],
        chains=["sentiment"],
        status=status,
        **fields,
    )


async def test_an_estimate_is_answered_on_the_reply_topic_with_its_correlation_id():
    deps = deps_for(["a short review of a kettle"] * 50)
    await handlers.answer_estimate(asked(), deps)
    [reply] = deps.publisher.on(REPLIES)
    assert reply.method == "reply" and reply.correlation_id == "c1"
    assert reply.message.schema_name == "estimate.completed"
    assert reply.message.estimate.cells == 10_000


async def test_a_chain_without_history_is_calibrated_once_on_the_files_own_cells():
    # Given a chain the estimator knows nothing of
    deps = deps_for(["a short review of a kettle"] * 50)
    # When a run of it is estimated twice
    await handlers.answer_estimate(asked(), deps)
    await handlers.answer_estimate(asked(), deps)
    # Then a worker ran it over the sampled cells once, and both estimates say so
    assert deps.calibrator.runs == [["sentiment"]]
    first, second = (sent.message.estimate for sent in deps.publisher.on(REPLIES))
    assert first.assumptions.source == second.assumptions.source == "calibration"
    # And the chain's speed is the one measured: 26 characters at 1 µs each
    assert first.assumptions.cells_per_second["sentiment"] == pytest.approx(1e6 / 26, rel=0.05)


async def test_a_column_with_a_heavy_tail_of_long_cells_is_calibrated_once():
    # Given 507 cells of 100 characters and 5 of 20,000 that the calibration's cells (every
    # fifth or so) leave out: the sample's mean is 294 characters, the calibration's 100
    texts = ["x" * 100] * 512
    for i in (1, 2, 3, 4, 6):
        texts[i] = "y" * 20_000
    deps = deps_for(texts)
    # When a run of it is estimated twice
    await handlers.answer_estimate(asked(), deps)
    await handlers.answer_estimate(asked(), deps)
    # Then the chain was calibrated once: the second finds the cells it measured covered
    assert deps.calibrator.runs == [["sentiment"]]


async def test_a_calibration_counts_for_what_calibrations_then_proved_in_shards():
    # Given sentiment calibrated on 26-character cells at 26 µs a cell, whose shards of
    # such cells then took half that
    deps = deps_for(["a short review of a kettle"] * 50)
    await handlers.answer_estimate(asked(), deps)
    await handlers.record_shard_costs(shard_done("r1:0", 5_000, 26, 5_000 * 13e-6), deps)
    # When another chain is calibrated on the same cells (26 µs a cell measured)
    await handlers.answer_estimate(asked(chains=("stats",)), deps)
    # Then it is taken to cost half what its calibration measured
    estimate = deps.publisher.messages(REPLIES)[-1].estimate
    assert estimate.assumptions.cells_per_second["stats"] == pytest.approx(2e6 / 26, rel=0.05)


async def test_a_chain_seen_only_on_long_texts_is_calibrated_again_on_short_ones():
    # Given a chain whose history holds shards of 2,000-character cells only
    deps = deps_for(["tiny"] * 50)
    await handlers.record_shard_costs(shard_done("r1:0", 5_000, 2_000, 10.0), deps)
    # When a column of 4-character cells is estimated
    await handlers.answer_estimate(asked(), deps)
    # Then the chain is calibrated on them, rather than its long cells' cost extrapolated
    assert deps.calibrator.runs == [["sentiment"]]


async def test_a_chain_whose_history_has_seen_such_cells_is_not_calibrated():
    deps = deps_for(["x" * 30] * 50)
    await handlers.record_shard_costs(shard_done("r1:0", 5_000, 32, 0.2), deps)
    await handlers.answer_estimate(asked(), deps)
    assert deps.calibrator.runs == []
    assert deps.publisher.messages(REPLIES)[0].estimate.assumptions.source == "history"


async def test_with_no_worker_alive_nothing_is_calibrated_and_the_defaults_are_said():
    deps = deps_for(["a short review"] * 50, worker=False)
    await handlers.answer_estimate(asked(), deps)
    assert deps.calibrator.runs == []
    estimate = deps.publisher.messages(REPLIES)[0].estimate
    assert estimate.assumptions.source == "defaults" and estimate.assumptions.workers_alive == 0


async def test_a_calibration_no_worker_answers_leaves_the_defaults():
    deps = deps_for(["a short review"] * 50, answers=False)
    await handlers.answer_estimate(asked(), deps)
    assert deps.publisher.messages(REPLIES)[0].estimate.assumptions.source == "defaults"


async def test_a_calibration_that_says_nothing_of_a_chain_teaches_the_model_nothing():
    # Given a worker of an older build, whose replies carry no chain seconds
    deps = deps_for(["a short review"] * 50, measures=False)
    await handlers.answer_estimate(asked(), deps)
    # Then the chain is not taken to cost nothing
    model = await deps.models.chain("sentiment")
    assert model.fit.observations == 0 and model.buckets == {}


async def test_a_request_older_than_its_requester_waits_is_dropped():
    deps = deps_for(["a short review"] * 50)
    old = asked().model_copy(update={"occurred_at": utc_now() - timedelta(minutes=5)})
    await handlers.answer_estimate(old, deps)
    assert deps.publisher.sent == [] and deps.calibrator.runs == []


async def test_a_missing_file_is_answered_file_not_found():
    deps = deps_for(["a review"])
    await handlers.answer_estimate(asked(file_id="missing"), deps)
    [failed] = deps.publisher.messages(REPLIES)
    assert failed.schema_name == "estimate.failed" and failed.code == "file_not_found"


async def test_a_shards_costs_are_folded_in_once():
    deps = deps_for(["x" * 30])
    done = shard_done("r1:0", 5_000, 32, 0.2)
    await handlers.record_shard_costs(done, deps)
    await handlers.record_shard_costs(done, deps)  # redelivered
    model = await deps.models.chain("sentiment")
    assert model.shards == 1 and model.fit.observations == 1


async def test_an_accepted_run_keeps_its_estimate_once():
    # Given a run accepted, and estimated as it was
    deps = deps_for(["a short review of a kettle"] * 50, rows=1_000)
    await deps.runs.create(a_run("accepted", cells_total=1_000, created_at=utc_now()))
    command = AnalyzeRequested(
        run_id="r1", tenant="t", file_id="f1", columns=["text"], chains=["sentiment"]
    )
    await handlers.estimate_accepted_run(command, deps)
    kept = (await deps.runs.get("r1")).estimate
    assert kept["cells"] == 1_000
    # When the command comes again, once the model has changed
    await handlers.record_shard_costs(shard_done("r0:0", 5_000, 26, 5.0), deps)
    await handlers.estimate_accepted_run(command, deps)
    # Then the estimate kept is the first
    assert (await deps.runs.get("r1")).estimate == kept


async def test_a_completed_run_is_compared_with_its_estimate_once():
    # Given a run estimated at 2 s that completed 3 s after it was accepted
    deps = deps_for(["a review"] * 50)
    now = utc_now()
    run = a_run(
        "completed",
        cells_total=10,
        created_at=now - timedelta(seconds=3),
        started_at=now - timedelta(seconds=2.5),
        finished_at=now,
    )
    await deps.runs.create(run)
    await handlers.answer_estimate(asked(), deps)
    made = deps.publisher.messages(REPLIES)[0].estimate.model_dump(mode="json")
    await deps.runs.record_estimate("r1", {**made, "estimated_seconds": 2.0})
    update = RunUpdated(
        run_id="r1", tenant="t", status="completed", cells_done=10, cells_total=10, columns={}
    )
    # When its completion is seen twice
    await handlers.record_outcome(update, deps)
    await handlers.record_outcome(update, deps)
    # Then its error (3 ÷ 2 − 1) is counted once, and so is its wait to start
    outcomes = await deps.models.outcomes()
    assert outcomes.errors == [0.5] and outcomes.fixed == [pytest.approx(0.5, abs=0.01)]
    # And, a short run, what it took beyond its estimated shards and backlog
    beyond = 3.0 - made["assumptions"]["compute_seconds"] - made["assumptions"]["backlog_seconds"]
    assert outcomes.short == [pytest.approx(beyond, abs=0.01)]


async def test_an_estimate_counts_another_tenant_s_run_as_its_priority_says():
    # Given another tenant's run of 100,000 cells under way, at the normal priority
    deps = deps_for(["a short review of a kettle"] * 50, rows=1_000)
    big = a_run("running", cells_total=100_000, created_at=utc_now())
    await deps.runs.create(dataclasses.replace(big, tenant="other"))
    await deps.runs.register_active()
    # When a run of 1,000 rows is estimated at the same priority and at a lower one
    for n, priority in enumerate(("normal", "low")):
        await handlers.answer_estimate(asked(priority=priority, correlation_id=f"c{n}"), deps)
    normal, low = (m.estimate.assumptions for m in deps.publisher.messages(REPLIES))
    # Then at the same one it waits for a share of the other run, at the lower one for all
    assert 0 < normal.backlog_seconds < low.backlog_seconds
    assert low.backlog_cells == 100_000


async def a_thread_after_a_pool() -> tuple[handlers.Deps, handlers.Deps]:
    """Sentiment's history from a pool of one (26-character cells at 13 µs a cell), then a
    shard of such cells from a worker running its chains in its thread, at 26 µs: the same
    models, seen with the pool's worker alive and with the thread's."""
    pool = deps_for(["a short review of a kettle"] * 50)
    for n in range(3):
        await handlers.record_shard_costs(shard_done(f"r1:{n}", 5_000, 26, 5_000 * 13e-6), pool)
    thread = with_worker(pool, 0)
    slow = shard_done("r2:0", 5_000, 26, 5_000 * 26e-6, chain_processes=0)
    await handlers.record_shard_costs(slow, thread)
    return pool, thread


async def test_a_layout_the_history_has_not_seen_is_estimated_at_its_pace_from_its_first_shard():
    # Given a pool's history, and the first shard of a layout twice as slow
    pool, thread = await a_thread_after_a_pool()
    # When a run is estimated on each layout
    await handlers.answer_estimate(asked(correlation_id="c-thread"), thread)
    await handlers.answer_estimate(asked(correlation_id="c-pool"), pool)
    # Then each is estimated at its own pace: the thread's shard left the pool's as it was
    on_thread, on_pool = (m.estimate.assumptions for m in pool.publisher.messages(REPLIES))
    assert on_thread.cells_per_second["sentiment"] == pytest.approx(1e6 / 26, rel=0.02)
    assert on_pool.cells_per_second["sentiment"] == pytest.approx(1e6 / 13, rel=0.02)


async def test_a_calibration_is_folded_in_at_the_pace_of_the_layout_that_measured_it():
    # Given a thread's layout known to run at twice the pool's pace
    pool, thread = await a_thread_after_a_pool()
    # When stats, never run, is calibrated by that thread's worker at 26 µs a cell
    pool.calibrator.chain_processes = 0
    await handlers.answer_estimate(asked(chains=("stats",), correlation_id="c-thread"), thread)
    # Then the model keeps it at the pool's pace: a pool's run of it is estimated at 13 µs
    await handlers.answer_estimate(asked(chains=("stats",), correlation_id="c-pool"), pool)
    assert pool.calibrator.runs == [["stats"]]
    on_thread, on_pool = (m.estimate.assumptions for m in pool.publisher.messages(REPLIES))
    assert on_thread.cells_per_second["stats"] == pytest.approx(1e6 / 26, rel=0.02)
    assert on_pool.cells_per_second["stats"] == pytest.approx(1e6 / 13, rel=0.02)


async def test_an_estimate_plans_the_shards_the_coordinator_will_from_the_same_paces():
    # Given a file of 300,000 rows of 26-character reviews, sentiment planned at 60,000 rows
    texts = ["a short review of a kettle"] * 50
    planned = deps_for(texts, rows=300_000)
    await handlers.answer_estimate(asked(), planned)
    assert planned.publisher.on(REPLIES)[0].message.estimate.assumptions.shards == 5

    # When the shards of sentiment on such texts were measured at 10,000 cells/s
    paced = dataclasses.replace(deps_for(texts, rows=300_000), paces=FakeShardPaces())
    paced.paces.paces[pace_key(["sentiment"], 26)] = ShardPace(1 / 10_000)
    await handlers.answer_estimate(asked(), paced)

    # Then the run is estimated in the coordinator's 15,000-row shards
    assert paced.publisher.on(REPLIES)[0].message.estimate.assumptions.shards == 20


async def test_a_run_the_coordinator_planned_already_is_estimated_in_its_planned_shards():
    # Given a run of 300,000 rows the coordinator planned in shards of 20,000 rows before
    # the estimator came to it (the paces have moved since: none is known here)
    deps = deps_for(["a short review of a kettle"] * 50, rows=300_000)
    shards = {n: ShardState(column="text", total=20_000) for n in range(15)}
    await deps.runs.create(a_run("queued", shards=shards, created_at=utc_now()))
    command = AnalyzeRequested(
        run_id="r1", tenant="t", file_id="f1", columns=["text"], chains=["sentiment"]
    )

    # When it is estimated, Then in those 15 shards, not the 5 its chains' speed would make
    await handlers.estimate_accepted_run(command, deps)
    assert (await deps.runs.get("r1")).estimate["assumptions"]["shards"] == 15

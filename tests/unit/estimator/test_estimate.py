"""An estimate from the sample, the cost model and the workers alive: its time, interval,
cells, tokens and cost."""

import pytest

from textmill_contracts.events import ShardCosts
from textmill_estimator.domain.backlog import RunLeft
from textmill_estimator.domain.costs import (
    CellLoad,
    ChainCost,
    ChainModel,
    calibration_bias,
    chain_prior,
    observe_chain,
)
from textmill_estimator.domain.estimate import (
    MIN_ERRORS,
    Pricing,
    estimate_run,
    interval,
    makespan,
    tokens,
)
from textmill_estimator.domain.layouts import LayoutCost, layout_prior, observe_layout
from textmill_estimator.domain.outcomes import Outcomes
from textmill_estimator.domain.sample import ColumnSample
from textmill_runs.plan import MAX_SHARD_ROWS
from textmill_tabular import sample_windows

PER_CELL = ChainCost(a=100.0, b=0.0, q=0.0)  # 100 µs a cell whatever its length
BY_LENGTH = ChainCost(a=0.0, b=1_000.0, q=0.0)  # 1 ms a cell per thousand characters
SERIAL = LayoutCost(alpha=1.0, beta=0.0, gamma=0.0)
PARTITIONS = 6


def a_sample(texts: list[str | None]) -> ColumnSample:
    sample = ColumnSample()
    sample.add(texts)
    return sample


def test_a_small_file_is_sampled_whole_and_a_large_one_in_windows_spread_over_it():
    assert sample_windows(300) == [(0, 300)]
    assert sample_windows(0) == []
    windows = sample_windows(100_000, windows=8, window_rows=64)
    assert len(windows) == 8 and windows[0] == (0, 64) and windows[-1] == (99_936, 100_000)
    assert all(end - start == 64 for start, end in windows)


def test_a_sample_counts_the_cells_a_run_would_analyse_and_their_length():
    # Given 4 rows: two texts, an empty cell and a null-like one
    sample = a_sample(["abcd", "ab", "  ", "n/a"])
    # Then 2 of 4 rows are cells, 6 characters, and 1,000 rows would hold 500 such cells
    assert (sample.rows, sample.cells, sample.chars, sample.chars_squared) == (4, 2, 6, 20)
    assert sample.load(1_000) == CellLoad(500.0, 1_500.0, 5_000.0)
    assert sample.texts == ["abcd", "ab"]


def test_a_chains_cost_grows_with_the_cells_and_their_length():
    load = CellLoad(cells=1_000, chars=500_000, chars_squared=0)
    assert PER_CELL.seconds(load) == pytest.approx(0.1)
    assert BY_LENGTH.seconds(load) == pytest.approx(0.5)


def test_a_chains_cost_learnt_from_observations_predicts_them():
    # Given a chain that took 2 s over 10,000 cells of 100 characters, then 4 s over 10,000
    # of 300 characters
    fit = chain_prior("keywords")
    for _ in range(5):
        observe_chain(fit, CellLoad(10_000, 1_000_000, 10_000 * 100**2), 2.0)
        observe_chain(fit, CellLoad(10_000, 3_000_000, 10_000 * 300**2), 4.0)
    cost = ChainCost.of(fit)
    # Then it predicts both, and cells of 200 characters in between
    assert cost.seconds(CellLoad(10_000, 1_000_000, 10_000 * 100**2)) == pytest.approx(2.0, 0.05)
    assert cost.seconds(CellLoad(10_000, 3_000_000, 10_000 * 300**2)) == pytest.approx(4.0, 0.05)
    assert 2.0 < cost.seconds(CellLoad(10_000, 2_000_000, 10_000 * 200**2)) < 4.0


def cells_of(length: int, cells: int = 10_000) -> CellLoad:
    return CellLoad(cells, cells * length, cells * length**2)


def test_a_calibration_at_a_new_length_is_believed_there_whatever_the_curve_says():
    # Given a chain seen on many shards of 400-character cells at 80 µs a cell
    model = ChainModel(chain_prior("stats"))
    for _ in range(6):
        model.observe(cells_of(400), 10_000 * 80e-6, shard=True)
    # When a calibration on 100 titles of 30 characters measures 17 µs a cell
    model.observe(cells_of(30, cells=100), 100 * 17e-6, shard=False)
    # Then titles cost 17 µs a cell and reviews still 80, though no curve a + b·L + q·L²
    # the prior holds passes through both
    cost = model.cost()
    assert ChainCost.of(model.fit).seconds(cells_of(30)) > 1.5 * 10_000 * 17e-6
    assert cost.seconds(cells_of(30)) == pytest.approx(10_000 * 17e-6, rel=0.01)
    assert cost.seconds(cells_of(400)) == pytest.approx(10_000 * 80e-6, rel=0.01)
    # and a length in between costs in between, beyond the ends as the nearest one is off
    assert 10_000 * 17e-6 < cost.seconds(cells_of(120)) < 10_000 * 80e-6
    assert cost.seconds(cells_of(2_000)) > cost.seconds(cells_of(400))


def test_calibrations_that_read_over_what_shards_then_took_are_discounted_elsewhere():
    # Given a chain calibrated on titles at 40 µs a cell, whose shards of titles then took 20
    titles = ChainModel(chain_prior("stats"))
    titles.observe(cells_of(30, cells=100), 100 * 40e-6, shard=False)
    titles.observe(cells_of(30), 10_000 * 20e-6, shard=True)
    # and another chain calibrated on reviews only, at 300 µs a cell
    reviews = ChainModel(chain_prior("keywords"))
    reviews.observe(cells_of(400, cells=100), 100 * 300e-6, shard=False)
    # Then calibrations read twice what shards take, and the reviews' cost is halved
    bias = calibration_bias([titles, reviews])
    assert bias == pytest.approx(2.0, rel=0.01)
    assert reviews.cost(bias).seconds(cells_of(400)) == pytest.approx(10_000 * 150e-6, rel=0.01)
    # while titles cost what their shards took, not their calibration
    assert titles.cost(bias).seconds(cells_of(30)) == pytest.approx(10_000 * 20e-6, rel=0.01)


def test_a_calibration_is_compared_with_shards_of_the_length_beside_its_own():
    # Given a file whose sample's cells average 260 characters (bucket 8) and its shards'
    # 250 (bucket 7): calibrated at 6 ms a cell, the shards took 3 ms
    model = ChainModel(chain_prior("keywords"))
    model.observe(cells_of(260, cells=100), 100 * 6e-3, shard=False)
    model.observe(cells_of(250), 10_000 * 3e-3, shard=True)
    # Then the calibration read about twice over
    assert calibration_bias([model]) == pytest.approx(2.0, rel=0.05)


def test_without_a_calibration_compared_with_shards_calibrations_are_taken_as_measured():
    model = ChainModel(chain_prior("pii"))
    model.observe(cells_of(100, cells=100), 100 * 50e-6, shard=False)
    model.observe(cells_of(2_000), 10_000 * 900e-6, shard=True)  # another length
    assert calibration_bias([model, ChainModel(chain_prior("stats"))]) == 1.0
    assert model.cost().seconds(cells_of(100)) == pytest.approx(10_000 * 50e-6, rel=0.01)
    assert model.covers(cells_of(100)) and model.covers(cells_of(2_000))


def test_a_chain_model_reads_back_as_stored_and_as_stored_before_calibrations_were_apart():
    model = ChainModel(chain_prior("stats"))
    model.observe(cells_of(30, cells=100), 100 * 40e-6, shard=False)
    model.observe(cells_of(400), 10_000 * 80e-6, shard=True)
    again = ChainModel.from_fields(model.as_fields())
    assert again.cost().seconds(cells_of(30)) == pytest.approx(model.cost().seconds(cells_of(30)))
    assert (again.shards, set(again.buckets), set(again.calibrated)) == (1, {8}, {4})
    older = {key: value for key, value in model.as_fields().items() if key != "calibrated"}
    assert ChainModel.from_fields(older).calibrated == {}


def test_the_latest_observations_of_a_length_count_most():
    # Given cells of 100 characters seen at 50 µs, then the machine got twice as fast
    model = ChainModel(chain_prior("sentiment"))
    for _ in range(5):
        model.observe(cells_of(100), 10_000 * 50e-6, shard=True)
    for _ in range(20):
        model.observe(cells_of(100), 10_000 * 25e-6, shard=True)
    # Then the estimate is near the new speed, not the mean of both
    assert model.cost().seconds(cells_of(100)) == pytest.approx(10_000 * 25e-6, rel=0.1)
    assert model.covers(cells_of(100)) and not model.covers(cells_of(3_000))


def test_a_length_is_covered_by_cells_of_about_its_length_not_by_twice_or_half_of_it():
    # Given a chain seen on 250-character reviews (within the bucket of 128-255 characters)
    model = ChainModel(chain_prior("keywords"))
    model.observe(cells_of(250, cells=3_000), 3_000 * 4e-3, shard=True)
    # Then a sample of 260 characters, across the bucket's edge, is covered
    assert model.covers(cells_of(260))
    # and 80-character tweets, in the bucket beside it, are not: they are calibrated
    assert not model.covers(cells_of(80)) and not model.covers(cells_of(520))


def test_an_unknown_chain_and_a_layout_start_from_their_defaults():
    assert ChainCost.of(chain_prior("sentiment")).a == pytest.approx(25.0)  # 40,000 cells/s
    assert ChainCost.of(chain_prior("mystery")).a == pytest.approx(1e6 / 1_200)  # the slowest
    assert LayoutCost.of(layout_prior(2)).alpha == pytest.approx(0.5)
    assert LayoutCost.of(layout_prior(0)).alpha == pytest.approx(1.0)


def test_the_shards_are_dealt_round_robin_and_the_longest_worker_ends_the_run():
    # Given two shards' rows of one column with sentiment (100 µs cells)
    sample = a_sample(["x" * 100] * 10)
    samples = {"review": sample}
    costs = {"sentiment": PER_CELL}
    rows, shard = 2 * MAX_SHARD_ROWS, MAX_SHARD_ROWS * 100e-6
    one = makespan(rows, ["review"], ["sentiment"], samples, costs, [SERIAL], PARTITIONS)
    two = makespan(rows, ["review"], ["sentiment"], samples, costs, [SERIAL, SERIAL], PARTITIONS)
    # Then one worker does both, two workers one each
    assert one.shards == two.shards == 2
    assert one.seconds == pytest.approx(2 * shard)
    assert two.seconds == pytest.approx(shard)
    assert one.cpu == {"sentiment": pytest.approx(2 * shard)}


def test_each_shard_goes_to_the_worker_that_is_free_first_as_waves_release_them():
    # Given 12 shards over 6 partitions and 4 workers
    samples = {"review": a_sample(["x" * 100] * 10)}
    costs = {"sentiment": PER_CELL}
    rows, shard = 12 * MAX_SHARD_ROWS, MAX_SHARD_ROWS * 100e-6
    span = makespan(rows, ["review"], ["sentiment"], samples, costs, [SERIAL] * 4, 6)
    # Then each worker gets 3 (the coordinator releases a shard to the freest worker)
    assert span.shards == 12 and span.seconds == pytest.approx(3 * shard)
    # And workers beyond the partitions get none: 8 workers are 6
    many = makespan(rows, ["review"], ["sentiment"], samples, costs, [SERIAL] * 8, 6)
    assert many.seconds == pytest.approx(2 * shard)


def test_a_slower_worker_gets_fewer_shards():
    # Given 12 shards, a serial worker and one twice as fast
    samples = {"review": a_sample(["x" * 100] * 10)}
    costs = {"sentiment": PER_CELL}
    fast = LayoutCost(alpha=0.5, beta=0.0, gamma=0.0)
    rows, shard = 12 * MAX_SHARD_ROWS, MAX_SHARD_ROWS * 100e-6
    span = makespan(rows, ["review"], ["sentiment"], samples, costs, [SERIAL, fast], 6)
    # Then the fast one does 8 in the time the slow one does 4
    assert span.seconds == pytest.approx(4 * shard)


def test_a_layout_fitted_on_long_noisy_shards_still_times_a_short_shard():
    # Given shards of 5 to 20 s whose wall time wanders ±30 % around 1.2 times their
    # chains' seconds (a busy machine), and short shards: 0.05 s of chains, 0.1 s in all
    fit = layout_prior(1)
    wander = [1.3, 0.7, 1.3, 1.3, 0.7, 1.3]
    for n, cpu in enumerate([5.0, 10.0, 20.0, 5.0, 10.0, 20.0]):
        observe_layout(fit, a_shard(cpu=cpu, seconds=1.2 * cpu * wander[n], rows=1_000))
        observe_layout(fit, a_shard(cpu=0.05, seconds=0.1, rows=1_000))
    layout = LayoutCost.of(fit)
    # Then a short shard is timed within a fifth of its time, and a long one within a third
    assert layout.seconds(0.05, 1_000) == pytest.approx(0.1, rel=0.2)
    assert layout.seconds(10.0, 1_000) == pytest.approx(12.0, rel=0.34)


def a_shard(*, cpu: float, seconds: float, rows: int) -> ShardCosts:
    return ShardCosts(
        seconds=seconds,
        cells=rows,
        rows=rows,
        chars=rows * 100,
        chars_squared=rows * 10_000,
        chain_seconds={"sentiment": cpu},
        chain_processes=1,
    )


def test_calibration_texts_are_spread_over_the_whole_sample():
    sample = a_sample([f"title {i}" for i in range(50)] + ["r" * 2_000] * 450)
    picked = sample.calibration_texts(100)
    assert len(picked) == 100
    # Titles are a tenth of the sample, and of the texts picked
    assert sum(text.startswith("title") for text in picked) == 10


def test_empty_cells_cost_their_chain_nothing():
    samples = {"review": a_sample([None, "", "x" * 100, "-"])}
    costs = {"sentiment": PER_CELL}
    span = makespan(4_000, ["review"], ["sentiment"], samples, costs, [SERIAL], PARTITIONS)
    assert span.cpu["sentiment"] == pytest.approx(1_000 * 100e-6)


def test_the_interval_holds_the_estimate_and_follows_the_errors_of_ended_runs():
    # While few runs have ended: the default margins
    low, high = interval(10.0, [0.01] * (MIN_ERRORS - 1))
    assert low < 10.0 < high and (low, high) == pytest.approx((7.5, 13.0))
    # Once enough have: their quantiles, never narrower than ±5 %
    errors = [e / 100 for e in range(-10, 11)] * 2
    low, high = interval(10.0, errors)
    assert low == pytest.approx(9.1) and high == pytest.approx(10.9)  # errors' 5th, 95th %
    low, high = interval(10.0, [0.0] * 20)
    assert (low, high) == pytest.approx((9.5, 10.5))


def test_tokens_follow_the_documented_rule():
    # ⌈n ÷ 4⌉ a cell, which over cells of any length averages n ÷ 4 + 3/8
    assert tokens(CellLoad(1_000, 10_000, 0)) == 2_875
    assert tokens(CellLoad(0, 0, 0)) == 0


def test_an_estimate_adds_the_fixed_costs_and_the_backlog_and_prices_each_chain():
    samples = {"review": a_sample(["x" * 400] * 8 + [None] * 2)}
    made, span = estimate_run(
        rows=10_000,
        columns=["review"],
        chains=["sentiment", "pii"],
        samples=samples,
        costs={"sentiment": PER_CELL, "pii": PER_CELL},
        layouts=[SERIAL],
        partitions=PARTITIONS,
        workers_alive=1,
        chain_processes=1,
        others=[RunLeft("big", "t", "high", cells=5_000, seconds=2.0)],
        outcomes=Outcomes(fixed=[0.5]),
        pricing=Pricing(0.10, {"pii": 0.20}),
        source="history",
        history_shards=12,
        tenant="t",
    )
    # 8,000 cells analysed, two chains of 100 µs each: 1.6 s, after 2 s of backlog and 0.5 s
    assert made.cells == 8_000
    assert made.estimated_seconds == pytest.approx(0.5 + 2.0 + 1.6)
    assert made.confidence_lower < made.estimated_seconds < made.confidence_upper
    assert made.tokens == tokens(CellLoad(8_000, 8_000 * 400, 0)) == 803_000
    assert made.estimated_cost == pytest.approx(803 * (0.10 + 0.20))
    assert made.assumptions.backlog_seconds == 2.0
    assert made.assumptions.compute_seconds == pytest.approx(span.seconds)
    assert made.assumptions.price_per_1k_tokens == {"sentiment": 0.10, "pii": 0.20}

"""A worker layout's pace against the shared chain model: learnt from the layout's own
shards where the model's shards have seen the cells' length, applied to the chains a worker
of that layout runs, 1 while unknown."""

import pytest

from textmill_contracts.events import ShardCosts
from textmill_estimator.domain.costs import CellLoad, ChainCost, ChainModel, chain_prior
from textmill_estimator.domain.estimate import makespan
from textmill_estimator.domain.layouts import LayoutCost, LayoutModel, layout_prior
from textmill_estimator.domain.sample import ColumnSample
from textmill_runs.plan import MAX_SHARD_ROWS

THREAD, POOL = 0, 1  # chain processes: the chains in the worker's thread, a pool of one


def cells_of(length: int, cells: int = 5_000) -> CellLoad:
    return CellLoad(cells, cells * length, cells * length**2)


def sentiment_seen_in_a_pool(us_a_cell: float = 50.0, length: int = 100) -> ChainModel:
    """Sentiment's model after five pool shards of `length`-character cells."""
    model = ChainModel(chain_prior("sentiment"))
    for _ in range(5):
        model.observe(cells_of(length), 5_000 * us_a_cell / 1e6, shard=True)
    return model


def a_shard(us_a_cell: float, *, length: int = 100, chain_processes: int = THREAD) -> ShardCosts:
    cells = 5_000
    return ShardCosts(
        seconds=cells * us_a_cell / 1e6 * 1.1,
        cells=cells,
        rows=cells,
        chars=cells * length,
        chars_squared=cells * length**2,
        chain_seconds={"sentiment": cells * us_a_cell / 1e6},
        chain_processes=chain_processes,
    )


def test_a_layout_runs_at_the_pace_its_first_shard_took_against_the_shared_model():
    # Given sentiment learnt from a pool's shards at 50 µs a cell
    models = {"sentiment": sentiment_seen_in_a_pool(50.0)}
    # When a worker running its chains in its thread takes 90 µs a cell on such cells
    layout = LayoutModel.prior(THREAD)
    layout.observe(a_shard(90.0), models)
    # Then that layout runs sentiment at 1.8 times the model, and a chain it has not run yet
    # at its pace over the chains it has
    cost = layout.cost(["sentiment", "pii"])
    assert cost.pace == {"sentiment": pytest.approx(1.8), "pii": pytest.approx(1.8)}
    # And a shard of it, in the model's terms, is what the pool's took
    assert layout.pace.shared_seconds("sentiment", 5_000 * 90e-6) == pytest.approx(5_000 * 50e-6)


def test_a_layout_without_shards_runs_at_the_models_pace():
    assert LayoutModel.prior(THREAD).cost(["sentiment"]).pace == {"sentiment": 1.0}


def test_no_pace_is_learnt_at_a_length_the_models_shards_have_not_seen():
    # Given sentiment seen in shards of 2,000-character cells, and calibrated on 100-character
    # ones (a calibration is not what shards take)
    model = sentiment_seen_in_a_pool(50.0, length=2_000)
    model.observe(cells_of(100, cells=100), 100 * 30e-6, shard=False)
    # When a thread's shard of 100-character cells comes
    layout = LayoutModel.prior(THREAD)
    layout.observe(a_shard(90.0, length=100), {"sentiment": model})
    # Then the layout's pace is still unknown
    assert layout.cost(["sentiment"]).pace == {"sentiment": 1.0}


def test_a_pace_follows_the_layouts_latest_shards_within_bounds():
    models = {"sentiment": sentiment_seen_in_a_pool(50.0)}
    layout = LayoutModel.prior(THREAD)
    for _ in range(30):
        layout.observe(a_shard(75.0), models)
    assert layout.pace.of("sentiment") == pytest.approx(1.5)
    # A shard 100 times slower than the model (a stalled machine) is held at 4 times
    absurd = LayoutModel.prior(THREAD)
    absurd.observe(a_shard(5_000.0), models)
    assert absurd.pace.of("sentiment") == 4.0


def test_a_layout_is_stored_with_its_pace_and_one_stored_before_it_reads_at_1():
    layout = LayoutModel.prior(THREAD)
    layout.observe(a_shard(90.0), {"sentiment": sentiment_seen_in_a_pool(50.0)})
    again = LayoutModel.from_fields(layout.as_fields())
    assert again.pace.of("sentiment") == pytest.approx(1.8)
    assert again.fit.coefficients() == pytest.approx(layout.fit.coefficients())
    before = LayoutModel.from_fields({"fit": layout_prior(POOL).as_dict()})
    assert before.cost(["sentiment"]).pace == {"sentiment": 1.0}


def test_each_worker_runs_the_chains_at_its_layouts_pace():
    # Given 2 shards of 100 µs cells, a worker at the model's pace and one at twice it
    sample = ColumnSample()
    sample.add(["x" * 100] * 10)
    costs = {"sentiment": ChainCost(a=100.0, b=0.0, q=0.0)}
    rows, shard = 2 * MAX_SHARD_ROWS, MAX_SHARD_ROWS * 100e-6
    serial = LayoutCost(1.0, 0.0, 0.0)
    slow = LayoutCost(1.0, 0.0, 0.0, pace={"sentiment": 2.0})
    both = makespan(rows, ["text"], ["sentiment"], {"text": sample}, costs, [serial, slow], 6)
    alone = makespan(rows, ["text"], ["sentiment"], {"text": sample}, costs, [slow], 6)
    # Then the slow worker's shard ends the run, and its chains' seconds count at its pace
    assert both.seconds == pytest.approx(2 * shard)
    assert both.cpu == {"sentiment": pytest.approx(3 * shard)}
    assert alone.seconds == pytest.approx(4 * shard)

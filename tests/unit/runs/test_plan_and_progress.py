"""Planning a run into shards and folding shard progress into run progress: pure
functions of `textmill_runs`, the clock given as an argument."""

from datetime import UTC, datetime, timedelta

import pytest

from textmill_runs import RESULT_BATCH, ShardState, fold_progress
from textmill_runs.plan import (
    CHAIN_CELLS_PER_SECOND,
    MAX_SHARD_ROWS,
    MIN_SHARD_ROWS,
    ShardPlan,
    plan_shards,
    shard_rows_for,
)

# Chains from the fastest to the slowest.
BY_SPEED = sorted(CHAIN_CELLS_PER_SECOND, key=CHAIN_CELLS_PER_SECOND.get, reverse=True)
SLOWEST = BY_SPEED[-1]
T0 = datetime(2024, 5, 6, 12, 0, 0, tzinfo=UTC)

# ---- shard size ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chains",
    [[name] for name in BY_SPEED]
    + [list(CHAIN_CELLS_PER_SECOND), ["keywords", "language"], ["mystery", "other", "third"]],
)
@pytest.mark.parametrize("target_seconds", [0.0001, 0.2, 0.5, 1.0, 3.0, 7.7, 1_000.0])
def test_shard_rows_are_a_multiple_of_the_result_batch_within_bounds(
    chains: list[str], target_seconds: float
) -> None:
    rows = shard_rows_for(chains, target_seconds)
    assert rows % RESULT_BATCH == 0
    assert MIN_SHARD_ROWS <= rows <= MAX_SHARD_ROWS


def test_shard_rows_follow_the_target_duration_between_the_bounds() -> None:
    """Given keywords at 1,200 cells/s, then three seconds is 3,600 cells, rounded down to
    the batch; a tiny target gives the minimum and a huge one the maximum."""
    assert CHAIN_CELLS_PER_SECOND["keywords"] == 1_200.0
    assert shard_rows_for(["keywords"], 3.0) == 3_000
    assert shard_rows_for(["keywords"], 0.001) == MIN_SHARD_ROWS
    assert shard_rows_for(["keywords"], 10_000.0) == MAX_SHARD_ROWS


@pytest.mark.parametrize("target_seconds", [0.3, 0.5, 1.0, 3.0])
def test_slower_chains_give_no_larger_shards(target_seconds: float) -> None:
    """Given chains from fastest to slowest, then shard rows never grow along the way, and
    asking for one more chain never makes a shard larger."""
    rows = [shard_rows_for([name], target_seconds) for name in BY_SPEED]
    assert rows == sorted(rows, reverse=True)
    assert rows[0] > rows[-1]  # the targets are chosen so that speed shows
    for i in range(1, len(BY_SPEED)):
        assert shard_rows_for(BY_SPEED[: i + 1], target_seconds) <= shard_rows_for(
            BY_SPEED[:i], target_seconds
        )


@pytest.mark.parametrize("target_seconds", [0.5, 3.0, 5.0])
def test_an_unknown_chain_counts_as_the_slowest(target_seconds: float) -> None:
    assert shard_rows_for(["not-a-chain"], target_seconds) == shard_rows_for(
        [SLOWEST], target_seconds
    )
    assert shard_rows_for(["sentiment", "not-a-chain"], target_seconds) == shard_rows_for(
        ["sentiment", SLOWEST], target_seconds
    )


# ---- shard plans ---------------------------------------------------------------------------

COLUMNS = ["title", "review", "notes"]
SHARD_ROWS = 2 * RESULT_BATCH


@pytest.mark.parametrize(
    "rows",
    [0, 1, RESULT_BATCH - 1, SHARD_ROWS, 3 * SHARD_ROWS, 3 * SHARD_ROWS + 1, 3 * SHARD_ROWS - 1],
)
def test_every_cell_of_the_selection_is_in_exactly_one_shard(rows: int) -> None:
    """Given a row count, when planned over three columns, then each (column, row) falls in
    exactly one shard and no shard covers anything else."""
    plans = plan_shards(rows, COLUMNS, SHARD_ROWS)
    covered = [(p.column, r) for p in plans for r in range(p.start, p.end)]
    assert len(covered) == len(set(covered))
    assert set(covered) == {(c, r) for c in COLUMNS for r in range(rows)}
    assert all(0 < p.cells <= SHARD_ROWS and p.cells == p.end - p.start for p in plans)


@pytest.mark.parametrize(
    ("rows", "shards_per_column"),
    [(0, 0), (1, 1), (SHARD_ROWS, 1), (3 * SHARD_ROWS, 3), (3 * SHARD_ROWS + 1, 4)],
)
def test_shard_counts_per_column(rows: int, shards_per_column: int) -> None:
    plans = plan_shards(rows, COLUMNS, SHARD_ROWS)
    assert len(plans) == shards_per_column * len(COLUMNS)


@pytest.mark.parametrize("rows", [1, SHARD_ROWS, 3 * SHARD_ROWS + 1, 25_001])
def test_shards_are_numbered_from_zero_and_start_on_a_batch_boundary(rows: int) -> None:
    plans = plan_shards(rows, COLUMNS, shard_rows_for(["keywords"]))
    assert [p.n for p in plans] == list(range(len(plans)))
    assert all(p.start % RESULT_BATCH == 0 for p in plans)


def test_shards_go_row_range_by_row_range_with_each_ranges_columns_together() -> None:
    """Given 2,500 rows and two columns, then both columns of a row range come before the
    next range (so the range's part of the file is read while it is cached)."""
    assert plan_shards(2_500, ["a", "b"], 1_000) == [
        ShardPlan(0, "a", 0, 1_000),
        ShardPlan(1, "b", 0, 1_000),
        ShardPlan(2, "a", 1_000, 2_000),
        ShardPlan(3, "b", 1_000, 2_000),
        ShardPlan(4, "a", 2_000, 2_500),
        ShardPlan(5, "b", 2_000, 2_500),
    ]


@pytest.mark.parametrize("shard_rows", [0, -1, -1_000])
def test_a_shard_size_below_one_row_is_refused(shard_rows: int) -> None:
    with pytest.raises(ValueError, match=str(shard_rows)):
        plan_shards(10, ["a"], shard_rows)


# ---- progress ------------------------------------------------------------------------------


def _shard(column: str, total: int, cells: int, done: bool = False) -> ShardState:
    return ShardState(column=column, total=total, cells=cells, done=done)


SHARDS = {
    0: _shard("title", 1_000, 1_000, done=True),
    1: _shard("title", 500, 250),
    2: _shard("review", 1_000, 0),
}


def test_progress_is_summed_per_column_and_overall() -> None:
    progress = fold_progress(SHARDS, T0, T0 + timedelta(seconds=10))
    assert progress.columns == {"title": (1_250, 1_500), "review": (0, 1_000)}
    assert (progress.cells_done, progress.cells_total) == (1_250, 2_500)
    assert (progress.shards_done, progress.shards_total) == (1, 3)
    assert not progress.complete


def test_rate_and_eta_come_from_the_clock_given() -> None:
    """Given 1,250 of 2,500 cells done 10 s after the start, then the rate is 125 cells/s
    and the remaining 1,250 cells take another 10 s; twice the time halves the rate."""
    progress = fold_progress(SHARDS, T0, T0 + timedelta(seconds=10))
    assert (progress.rate_cells_per_s, progress.eta_seconds) == (125.0, 10.0)
    later = fold_progress(SHARDS, T0, T0 + timedelta(seconds=20))
    assert (later.rate_cells_per_s, later.eta_seconds) == (62.5, 20.0)


def test_rate_and_eta_are_rounded_to_a_tenth() -> None:
    progress = fold_progress({0: _shard("a", 1_000, 100)}, T0, T0 + timedelta(seconds=3))
    assert (progress.rate_cells_per_s, progress.eta_seconds) == (33.3, 27.0)


def test_a_run_not_started_or_with_nothing_done_or_no_time_elapsed_has_no_rate() -> None:
    for started_at, shards, now in [
        (None, SHARDS, T0 + timedelta(seconds=10)),
        (T0, {0: _shard("a", 1_000, 0)}, T0 + timedelta(seconds=10)),
        (T0, SHARDS, T0),
    ]:
        progress = fold_progress(shards, started_at, now)
        assert (progress.rate_cells_per_s, progress.eta_seconds) == (None, None)


def test_a_rate_too_slow_to_show_gives_no_eta_rather_than_dividing_by_zero() -> None:
    progress = fold_progress({0: _shard("a", 1_000, 1)}, T0, T0 + timedelta(seconds=100))
    assert progress.rate_cells_per_s == 0.0
    assert progress.eta_seconds is None


def test_cells_beyond_a_shards_total_and_missing_cells_do_not_count() -> None:
    """Given a shard reporting more cells than it has and one with no cells yet, then done
    is capped at the total and the missing count is zero."""
    shards = {0: _shard("a", 1_000, 1_700), 1: ShardState(column="a", total=400)}
    progress = fold_progress(shards, None, T0)
    assert progress.columns == {"a": (1_000, 1_400)}
    assert progress.shards_done == 0


def test_a_run_is_complete_when_every_shard_is_done() -> None:
    shards = {0: _shard("a", 1_000, 1_000, True), "1": _shard("b", 10, 10, True)}
    progress = fold_progress(shards, T0, T0 + timedelta(seconds=4))
    assert progress.complete
    assert (progress.cells_done, progress.cells_total) == (1_010, 1_010)
    assert progress.eta_seconds == 0.0


def test_a_run_is_not_complete_while_one_shard_is_not_done_even_with_all_its_cells() -> None:
    shards = {0: _shard("a", 1_000, 1_000, True), "1": _shard("a", 10, 10, False)}
    assert not fold_progress(shards, T0, T0 + timedelta(seconds=4)).complete


def test_a_run_without_shards_is_complete_with_nothing_to_do() -> None:
    progress = fold_progress({}, T0, T0 + timedelta(seconds=1))
    assert progress.complete
    assert (progress.cells_done, progress.cells_total, progress.columns) == (0, 0, {})


def test_progress_folds_a_fresh_plan_to_zero_done() -> None:
    """Given the run document's view of a fresh plan (as the coordinator saves it), then
    nothing is done and the totals are the plan's cells per column."""
    plans = plan_shards(2_500, ["a", "b"], 1_000)
    shards = {p.n: _shard(p.column, p.cells, 0) for p in plans}
    progress = fold_progress(shards, None, T0)
    assert progress.columns == {"a": (0, 2_500), "b": (0, 2_500)}
    assert (progress.shards_done, progress.shards_total) == (0, 6)

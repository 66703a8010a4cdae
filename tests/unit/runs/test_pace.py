"""Shards sized from measured speed: the pure parts of `textmill_runs.pace` and how
`shard_rows_for` uses a measured pace."""

import pytest

from textmill_runs import RESULT_BATCH, ShardState
from textmill_runs.pace import (
    MIN_OBSERVED_SECONDS,
    ColumnLength,
    ShardPace,
    length_bucket,
    measures_pace,
    observe,
    pace_key,
    pace_keys,
    paced_shard_rows,
)
from textmill_runs.plan import MAX_SHARD_ROWS, MIN_SHARD_ROWS, shard_rows_for


def test_lengths_fall_in_buckets_by_powers_of_two():
    assert [length_bucket(n) for n in (0, 1, 40, 63.9, 64, 250, 2_000)] == [0, 0, 5, 5, 6, 7, 10]


def test_a_pace_key_names_the_chains_in_any_order_and_the_lengths_bucket():
    assert pace_key(["stats", "sentiment"], 80) == pace_key(["sentiment", "stats"], 100)
    assert pace_key(["sentiment"], 80) == "sentiment@6"
    assert pace_key(["sentiment"], 80) != pace_key(["sentiment"], 300)
    assert pace_key(["sentiment"], 80) != pace_key(["sentiment", "pii"], 80)


def test_a_column_length_counts_the_cells_a_worker_analyses_and_their_characters():
    # Given sampled values, blank and null-like among them
    length = ColumnLength.of(["good kettle", "", "  ", "n/a", None, "ok", "NULL"])

    # Then only the analysable ones count, and the share is of all rows
    assert (length.rows, length.cells, length.chars) == (7, 2, 13)
    assert length.chars_per_cell == 6.5
    assert length.cell_share == pytest.approx(2 / 7)
    assert ColumnLength.of([]).cell_share == 1.0 and ColumnLength.of([]).chars_per_cell == 0


def test_the_first_shard_sets_the_pace_and_a_short_or_empty_one_changes_nothing():
    first = observe(None, 20_000, 2.0)
    assert first == ShardPace(1e-4, 1)
    assert first.cells_per_second == pytest.approx(10_000)
    assert observe(first, 500, MIN_OBSERVED_SECONDS / 2) is first  # mostly fixed costs
    assert observe(first, 0, 3.0) is first
    assert observe(None, 100, 0.1) is None


def test_newer_shards_weigh_more_and_a_target_long_one_the_most():
    # Given a pace of 10,000 cells/s, then shards running twice as slow
    pace = ShardPace(1e-4, 1)
    full = observe(pace, 10_000, 2.0)  # a shard of the target's 1.5 s or more: a half
    short = observe(pace, 2_500, 0.5)  # a 0.5-s one at the same speed: a third of that
    assert full.seconds_per_cell == pytest.approx(1.5e-4)
    assert short.seconds_per_cell == pytest.approx(1e-4 * 5 / 6 + 2e-4 / 6)
    assert full.shards == short.shards == 2

    # When the machine stays that slow, the pace follows it
    for _ in range(8):
        pace = observe(pace, 10_000, 2.0)
    assert pace.cells_per_second == pytest.approx(5_000, rel=0.01)


def test_a_pace_survives_its_stored_form():
    pace = ShardPace(3.2e-5, 7)
    assert ShardPace.from_dict(pace.as_dict()) == pace


def test_shards_follow_the_measured_speed_rather_than_the_chains_planned_one():
    # Given sentiment measured at 23,000 cells/s where it is planned at 40,000
    planned = shard_rows_for(["sentiment"])
    measured = shard_rows_for(["sentiment"], cells_per_second=23_000)

    # Then a 1.5-s shard holds 34,000 rows, not 60,000
    assert (planned, measured) == (60_000, 34_000)
    assert measured % RESULT_BATCH == 0


def test_a_sparse_column_gets_more_rows_for_the_same_cells_within_the_bounds():
    assert shard_rows_for(["keywords"], cells_per_second=2_000, cell_share=0.5) == 6_000
    assert shard_rows_for(["keywords"], cells_per_second=2_000) == 3_000
    # a nearly empty column counts as a tenth full: its rows still cost a read
    assert shard_rows_for(["keywords"], cells_per_second=2_000, cell_share=0.001) == 30_000
    assert shard_rows_for(["keywords"], cells_per_second=1) == MIN_SHARD_ROWS
    assert shard_rows_for(["sentiment"], cells_per_second=10**9) == MAX_SHARD_ROWS


def test_only_a_full_range_analysed_whole_of_a_run_of_several_measures_the_pace():
    # Given a run of two columns in ranges of 1,000 rows, its last range cut to 300
    shards = {
        0: ShardState(column="title", total=1_000),
        1: ShardState(column="body", total=1_000),
        2: ShardState(column="title", total=300),
        3: ShardState(column="body", total=300),
    }
    full = [measures_pace(shards, n, 2, rows=s.total, cells=s.total) for n, s in shards.items()]
    assert full == [True, True, False, False]
    # a range resumed from a checkpoint (its tail only) or of a column under half full: no
    assert not measures_pace(shards, 0, 2, rows=400, cells=400)
    assert not measures_pace(shards, 0, 2, rows=1_000, cells=499)
    assert measures_pace(shards, 0, 2, rows=1_000, cells=500)
    # a run of one range (a file smaller than one shard) measures nothing
    one = {0: ShardState(column="title", total=300)}
    assert not measures_pace(one, 0, 1, rows=300, cells=300)


def test_a_runs_shard_rows_follow_its_slowest_columns_pace():
    # Given titles measured at 30,000 cells/s and bodies (longer) at 10,000, half full
    lengths = {
        "title": ColumnLength(rows=512, cells=512, chars=512 * 20),
        "body": ColumnLength(rows=512, cells=256, chars=256 * 300),
    }
    keys = {column: first for column, (first, _) in pace_keys(["sentiment"], lengths).items()}
    assert keys == {"title": "sentiment@4", "body": "sentiment@8"}
    paces = {keys["title"]: ShardPace(1 / 30_000), keys["body"]: ShardPace(1 / 10_000)}

    # Then a range is what bodies get through in 1.5 s: 15,000 cells, in 30,000 rows
    assert paced_shard_rows(["sentiment"], lengths, paces) == 30_000
    # and without the bodies' pace, the titles' 45,000 rows against the planned 60,000 of a
    # half-full column (capped)
    assert paced_shard_rows(["sentiment"], lengths, {keys["title"]: paces[keys["title"]]}) == 45_000
    assert paced_shard_rows(["sentiment"], lengths, {}) == shard_rows_for(["sentiment"])


def test_a_length_by_a_buckets_edge_takes_the_pace_beside_it_while_its_own_is_unknown():
    # Given texts of 31 characters (bucket 4, 16-31), whose shards' means were 32 (bucket 5)
    near_edge = {"note": ColumnLength(rows=10, cells=10, chars=310)}
    assert pace_keys(["pii"], near_edge) == {"note": ["pii@4", "pii@5"]}
    # (a length in a bucket's lower half looks below it)
    assert pace_keys(["pii"], {"n": ColumnLength(rows=1, cells=1, chars=17)}) == {
        "n": ["pii@4", "pii@3"]
    }
    assert pace_keys(["pii"], {"n": ColumnLength(rows=1, cells=1, chars=1)})["n"] == ["pii@0"]

    # Then the neighbour's pace is used while its own is unknown, its own once known
    neighbour = {"pii@5": ShardPace(1 / 2_000)}
    assert paced_shard_rows(["pii"], near_edge, neighbour) == 3_000
    own = neighbour | {"pii@4": ShardPace(1 / 4_000)}
    assert paced_shard_rows(["pii"], near_edge, own) == 6_000

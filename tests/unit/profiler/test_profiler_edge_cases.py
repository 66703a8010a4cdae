"""Edge cases: empty tables, empty columns, text impostors, ragged rows, huge streams."""

import base64
import random
from collections.abc import Iterator

import pytest

from textmill_profiler.domain import RaggedRowError, TableProfiler, profile_table

REVIEW = "The blender is loud but it crushes ice in seconds, and cleaning it takes a minute."


def test_a_header_without_rows_profiles_every_column_as_empty() -> None:
    """Given a header and no rows, then each column is empty, has 0 rows and scores 0."""
    result = profile_table(["id", "comment"], iter([]))
    assert result.rows == 0
    assert [c.inferred_type for c in result.columns] == ["empty", "empty"]
    assert [c.rows for c in result.columns] == [0, 0]
    assert [c.final_score for c in result.candidates] == [0.0, 0.0]


def test_a_table_without_columns_profiles_to_nothing() -> None:
    """Given no header and empty rows, then rows are counted and nothing is ranked."""
    result = profile_table([], iter([[], [], []]))
    assert result.rows == 3
    assert result.columns == []
    assert result.candidates == []


def test_an_all_null_column_is_empty_and_scores_zero() -> None:
    """Given a column whose cells are all null spellings, then it is empty and scores 0,
    with a reason that says so."""
    rows = [[REVIEW, random.Random(n).choice(["", "NULL", "n/a", " "])] for n in range(50)]
    result = profile_table(["review", "notes"], iter(rows))
    notes = next(c for c in result.candidates if c.column == "notes")
    assert result.columns[1].inferred_type == "empty"
    assert result.columns[1].null_ratio == 1.0
    assert notes.final_score == 0.0
    assert notes.reasons == ["every cell is empty"]


def test_long_single_token_blobs_do_not_score_as_free_text() -> None:
    """Given base64 blobs of hundreds of characters next to real reviews, then the blobs
    score below 0.35 and far below the reviews."""
    rng = random.Random(9)
    rows = [
        [base64.b64encode(rng.randbytes(300)).decode(), f"{REVIEW} Order {n} was fine."]
        for n in range(200)
    ]
    scores = {
        c.column: c.final_score for c in profile_table(["payload", "review"], iter(rows)).candidates
    }
    assert scores["payload"] < 0.35
    assert scores["review"] - scores["payload"] > 0.4


def test_a_text_sounding_header_over_numbers_does_not_rank_as_text() -> None:
    """Given a "comments" column holding only numbers beside a short text column, then
    it is typed integer, scores at most 0.15 and ranks below the text."""
    rng = random.Random(4)
    rows = [[str(rng.randint(0, 5000)), f"Delivered to gate {n} on time"] for n in range(200)]
    result = profile_table(["comments", "delivery_note"], iter(rows))
    comments = next(c for c in result.candidates if c.column == "comments")
    assert comments.inferred_type == "integer"
    assert comments.final_score <= 0.15
    assert result.candidates[0].column == "delivery_note"


def test_a_header_hint_never_outweighs_the_content() -> None:
    """Given the same prose under a penalised and a neutral header, then the scores
    differ by at most 0.1."""
    rows = [[f"{REVIEW} Ticket {n}.", f"{REVIEW} Ticket {n}."] for n in range(100)]
    scores = {
        c.column: c.final_score
        for c in profile_table(["product_name", "column_b"], iter(rows)).candidates
    }
    assert abs(scores["product_name"] - scores["column_b"]) <= 0.1


def test_equal_scores_keep_the_column_order() -> None:
    """Given identical columns, then the ranking follows their positions."""
    rows = [[str(n), str(n), str(n)] for n in range(30)]
    result = profile_table(["c", "a", "b"], iter(rows))
    assert [c.column for c in result.candidates] == ["c", "a", "b"]


def test_a_row_with_the_wrong_number_of_cells_is_refused() -> None:
    """Given a row shorter than the header, then a malformed_file error names its row."""
    with pytest.raises(RaggedRowError) as raised:
        profile_table(["a", "b"], iter([["1", "2"], ["3"]]))
    assert raised.value.code == "malformed_file"
    assert raised.value.row_number == 3


def rows_of_orders(count: int) -> Iterator[list[str]]:
    for n in range(count):
        yield [f"ORD-{n:07d}", f"Customer {n % 911} asked about parcel {n}.", str(n % 13)]


def test_profiling_300k_streamed_rows_stays_within_memory_caps() -> None:
    """Given a generator of 300,000 rows, when profiled, then every column's reservoir
    and distinct tracker stay within their caps and the counts cover every row."""
    profiler = TableProfiler(["order_id", "note", "bucket"])
    profiler.add_rows(rows_of_orders(300_000))
    for accumulator in profiler.accumulators:
        assert len(accumulator.reservoir.items) <= 2_000
        assert accumulator.distinct.tracked <= 10_000
    result = profiler.finish()
    assert result.rows == 300_000
    assert [c.rows for c in result.columns] == [300_000] * 3
    assert result.columns[0].distinct_ratio >= 0.95

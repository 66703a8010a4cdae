"""Structure across cells: templated and structured strings (postal addresses, serialized
tag lists, codes with words, names) stay below 0.5, while reviews, comments and
descriptions stay on top. The tables are generated in structured_tables.py."""

import random

import pytest

from tests.unit.profiler.structured_tables import (
    address,
    code_with_words,
    name,
    review,
    structured_table,
    tag_list,
)
from textmill_profiler.domain import profile_table
from textmill_profiler.domain.structure import structure_signals

STRUCTURED = ["shipping_address", "tags", "item", "customer"]
FREE_TEXT = ["review", "comment", "description"]


@pytest.fixture(scope="module")
def scores() -> dict[str, float]:
    header, rows = structured_table()
    return {c.column: c.final_score for c in profile_table(header, iter(rows)).candidates}


@pytest.mark.parametrize("column", STRUCTURED)
def test_templated_and_structured_columns_score_below_one_half(scores, column) -> None:
    assert scores[column] < 0.5


def test_reviews_comments_and_descriptions_rank_above_every_structured_column(scores) -> None:
    assert min(scores[c] for c in FREE_TEXT) > max(scores[c] for c in STRUCTURED)
    assert scores["review"] >= 0.9


@pytest.mark.parametrize(
    ("make", "signal"),
    [(address, "template"), (tag_list, "serialized"), (code_with_words, "codes"), (name, "names")],
)
def test_each_kind_of_structure_raises_its_own_signal(make, signal) -> None:
    rng = random.Random(3)
    signals = structure_signals([make(rng) for _ in range(300)])
    assert signals[signal] >= 0.8
    assert signals["structure"] == max(
        signals[s] for s in ("template", "serialized", "codes", "names")
    )


def test_reviews_raise_no_structure_signal() -> None:
    rng = random.Random(3)
    assert structure_signals([review(rng) for _ in range(300)])["structure"] < 0.1


def test_short_reviews_sharing_a_shape_are_not_a_template() -> None:
    # "Love it." and "Runs small." have one shape, but a prose one
    titles = ["Love it.", "Runs small.", "Great buy!", "Too big.", "Nice colour.", "So soft!"]
    assert structure_signals(titles)["template"] == 0.0


def test_a_long_text_with_a_number_in_the_same_place_is_prose_not_a_template() -> None:
    body = "The kettle boils fast and the handle stays cool, and it looks lovely on the counter"
    values = [f"{body}, order {n} arrived on time." for n in range(50)]
    assert structure_signals(values)["structure"] == 0.0


def test_the_reasons_name_the_structure_found() -> None:
    header, rows = structured_table(rows=200)
    candidates = {c.column: c for c in profile_table(header, iter(rows)).candidates}
    assert any(r.startswith("structured values") for r in candidates["shipping_address"].reasons)
    assert not any(r.startswith("structured values") for r in candidates["review"].reasons)


def test_too_few_values_say_nothing() -> None:
    assert structure_signals(["1 Main St", "2 Main St"])["structure"] == 0.0

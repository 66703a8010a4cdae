"""Per-cell measures: nulls, letters and how much a value reads like prose."""

import pytest

from textmill_profiler.domain.cells import clean_cell, count_letters, sentence_likeness

NULL_SPELLINGS = ["", "   ", "\t\n", "null", "NULL", "None", "NaN", "n/a", "N/A", "na", "-", " - "]


@pytest.mark.parametrize("cell", NULL_SPELLINGS)
def test_null_spellings_are_null_cells(cell: str) -> None:
    """Given a blank or a conventional null spelling, when cleaned, then it is None."""
    assert clean_cell(cell) is None


@pytest.mark.parametrize("cell", ["0", "nope", "none of them", "--", "Nana"])
def test_values_resembling_nulls_are_kept(cell: str) -> None:
    """Given a real value that merely looks like a null, when cleaned, then it is kept."""
    assert clean_cell(cell) == cell


def test_surrounding_whitespace_is_dropped_from_a_value() -> None:
    """Given a padded value, when cleaned, then only the inner text remains."""
    assert clean_cell("  great product \n") == "great product"


def test_letters_are_counted_in_any_script() -> None:
    """Given ASCII and non-ASCII text, when letters are counted, then digits, spaces and
    punctuation are not letters and accented or CJK letters are."""
    assert count_letters("Abc 123!") == 3
    assert count_letters("Crème brûlée, 2 €") == 11
    assert count_letters("東京 2024") == 2


def test_a_long_sentence_is_prose() -> None:
    """Given eight words or more, then the value is fully sentence-like."""
    assert sentence_likeness("the colour faded after the very first wash") == 1.0


def test_a_short_punctuated_sentence_is_prose() -> None:
    """Given four words ending with a full stop, then the value is fully sentence-like."""
    assert sentence_likeness("It broke very quickly.") == 1.0


def test_a_short_phrase_is_half_prose() -> None:
    """Given four to seven words without punctuation, then it counts half."""
    assert sentence_likeness("great value for money") == 0.5


def test_labels_and_number_lists_are_not_prose() -> None:
    """Given fewer than four words, or mostly letter-free tokens, then it is not prose."""
    assert sentence_likeness("Home & Kitchen") == 0.0
    assert sentence_likeness("12 40 7 19 33 8 2 5 1") == 0.0

"""The stats chain: counts, ratios, sentences and readability of a text."""

import pytest

from textmill_worker.domain.chains.sentences import split_sentences
from textmill_worker.domain.chains.stats import describe


def test_a_review_is_counted() -> None:
    # Given a two-sentence review with a URL and a shouted word
    text = "I don't like it. See www.example.com NOW"
    # When it is described
    stats = describe(text)
    # Then words, sentences and the URL are found
    assert stats["chars"] == len(text)
    assert stats["words"] == 9  # "don't" is one word; the URL is three
    assert stats["sentences"] == 2
    assert stats["has_url"] is True


def test_ratios_are_over_letters_and_characters() -> None:
    stats = describe("ABcd 1234")
    assert stats["uppercase_ratio"] == 0.5
    assert stats["digit_ratio"] == round(4 / 9, 4)
    assert stats["avg_word_length"] == 4.0


def test_a_decimal_does_not_end_a_sentence() -> None:
    assert describe("It is 3.5 stars at most")["sentences"] == 1


def test_punctuation_only_has_no_words_and_zero_ratios() -> None:
    stats = describe("?!... --")
    assert stats["words"] == 0
    assert stats["sentences"] == 0
    assert stats["avg_word_length"] == 0.0
    assert stats["uppercase_ratio"] == 0.0
    assert stats["has_url"] is False


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    text = "Great fit. Runs small, e.g. order a size up. Dr. Smith agreed!"
    assert describe(text)["sentences"] == 3


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Nice stitching on the seam.Great buy", ["Nice stitching on the seam.", "Great buy"]),
        ("Made in the U.S.A. and it shows", ["Made in the U.S.A. and it shows"]),
        ("J. R. R. Tolkien wrote it. Great", ["J. R. R. Tolkien wrote it.", "Great"]),
        ("Price is approx. 5 dollars. Fine.", ["Price is approx. 5 dollars.", "Fine."]),
        ("Visit example.com now. Or not", ["Visit example.com now.", "Or not"]),
        ("Wow!!! Love it...", ["Wow!!!", "Love it..."]),
        ("line one\nline two", ["line one", "line two"]),
    ],
)
def test_sentences_end_where_a_reader_would_end_them(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_readability_is_flesch_reading_ease_and_kincaid_grade() -> None:
    # Given a sentence of six one-syllable words (the textbook example)
    stats = describe("The cat sat on the mat.")
    # Then the formulas give their published values
    assert stats["flesch_reading_ease"] == 116.15
    assert stats["flesch_kincaid_grade"] == -1.45


def test_long_words_in_long_sentences_read_harder() -> None:
    easy = describe("I like it. It is good. We use it a lot.")
    hard = describe(
        "The manufacturer's documentation insufficiently characterises the "
        "electromechanical specifications, necessitating considerable investigation."
    )
    assert hard["flesch_reading_ease"] < easy["flesch_reading_ease"]
    assert hard["flesch_kincaid_grade"] > easy["flesch_kincaid_grade"]


def test_a_text_without_words_has_no_readability() -> None:
    stats = describe("12 34 !!!")
    assert (stats["flesch_reading_ease"], stats["flesch_kincaid_grade"]) == (None, None)

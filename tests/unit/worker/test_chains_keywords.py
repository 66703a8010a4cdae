"""The keywords chain: YAKE's top phrases, as plain data, without punctuation."""

import pytest

from textmill_worker.domain.chains.keywords import KeywordsChain

CHAIN = KeywordsChain()
REVIEW = (
    "The espresso machine heats up quickly and the milk frother makes great foam, "
    "but the water tank is small and the espresso machine is loud."
)


def test_a_review_yields_ranked_key_phrases() -> None:
    # When keywords are extracted from a review
    [result] = CHAIN.analyse([REVIEW])
    keywords = result["keywords"]
    # Then there are up to five, best (lowest score) first, as plain str and float
    assert 0 < len(keywords) <= 5
    assert "espresso machine" in [k["text"] for k in keywords]
    scores = [k["score"] for k in keywords]
    assert scores == sorted(scores)
    assert all(type(k["text"]) is str and type(k["score"]) is float for k in keywords)


def test_phrases_are_at_most_two_words() -> None:
    [result] = CHAIN.analyse([REVIEW])
    assert all(len(k["text"].split()) <= 2 for k in result["keywords"])


def test_texts_without_words_have_no_keywords() -> None:
    assert CHAIN.analyse(["!!! ???", "12345 678", "😀😀"]) == [{"keywords": []}] * 3


def test_a_very_long_text_is_read_only_in_part() -> None:
    [result] = CHAIN.analyse([REVIEW * 2_000])
    assert result["keywords"]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Soft fabric, good quality. has nice weight and the colour is lovely", "good quality"),
        ("Stitching came loose at the seam.Great buy otherwise, would order again", "Great buy"),
    ],
)
def test_phrases_carry_no_sentence_punctuation(text: str, phrase: str) -> None:
    # When keywords come from a text whose sentences end untidily
    [result] = CHAIN.analyse([text])
    texts = [k["text"] for k in result["keywords"]]
    # Then the phrase is there, clean, and no phrase starts, ends or breaks at punctuation
    assert phrase in texts
    for text in texts:
        assert text == text.strip(".,;:!?\"'()-")
        assert not any(mark in text for mark in (". ", "! ", "? ", ".G"))


def test_a_missing_space_after_a_full_stop_splits_phrases() -> None:
    [result] = CHAIN.analyse(["Stitching came loose at the seam.Great buy otherwise"])
    assert not any("seam" in k["text"] and "Great" in k["text"] for k in result["keywords"])


def test_phrases_that_only_differ_in_punctuation_are_kept_once() -> None:
    [result] = CHAIN.analyse(["Quality. Great quality! quality, quality."])
    lowered = [k["text"].lower() for k in result["keywords"]]
    assert len(lowered) == len(set(lowered))

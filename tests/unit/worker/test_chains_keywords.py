"""The keywords chain: YAKE's top phrases, as plain data."""

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

"""The sentiment chain: VADER labels, confidence, and long texts."""

import pytest

from textmill_worker.domain.chains.sentiment import SentimentChain, confidence, split_into_pieces

CHAIN = SentimentChain()


def sentiment(text: str) -> dict:
    return CHAIN.analyse([text])[0]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this kettle, it is absolutely wonderful!", "positive"),
        ("Terrible product. It broke after a day and support was useless.", "negative"),
        ("The kettle is white and holds 1.7 litres.", "neutral"),
    ],
)
def test_clear_sentences_get_the_obvious_label(text: str, label: str) -> None:
    result = sentiment(text)
    assert result["label"] == label
    assert 0 <= result["confidence"] <= 1
    assert set(result["scores"]) == {"pos", "neu", "neg"}


def test_a_strong_opinion_is_labelled_with_high_confidence() -> None:
    assert sentiment("Absolutely fantastic, I love it, best purchase ever!")["confidence"] > 0.8


def test_confidence_is_highest_at_the_extremes_and_the_dead_centre() -> None:
    assert confidence(0.0) == 1.0
    assert confidence(0.04) == pytest.approx(0.2)
    assert confidence(0.05) == pytest.approx(0.05)
    assert confidence(-0.9) == pytest.approx(0.9)


def test_a_short_text_is_not_truncated() -> None:
    assert sentiment("Great.")["truncated"] is False


def test_a_50_kb_text_is_analysed_in_pieces_and_flagged_truncated() -> None:
    # Given a 50 KB review of happy sentences
    text = "I love this kettle, it is wonderful. " * 1_400
    # When its sentiment is computed
    result = sentiment(text)
    # Then it is positive, and says only part of it was read
    assert len(text) > 50_000
    assert result["label"] == "positive"
    assert result["truncated"] is True


def test_long_text_without_punctuation_is_cut_into_bounded_pieces() -> None:
    pieces = split_into_pieces("word " * 2_000 + "x" * 1_000)
    assert all(0 < len(piece) <= 300 for piece in pieces)


def test_pieces_merge_short_sentences() -> None:
    pieces = split_into_pieces("Good. " * 300)
    assert len(pieces) < 10

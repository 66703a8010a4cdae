"""The stats chain: counts and ratios describing a text."""

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

"""The language chain: ISO codes and confidence, and nothing for too few letters."""

import pytest

from textmill_worker.domain.chains.language import LanguageChain

CHAIN = LanguageChain()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The kettle boils fast and looks lovely in the kitchen.", "en"),
        ("La bouilloire est rapide, silencieuse et très jolie dans la cuisine.", "fr"),
        ("Der Wasserkocher ist schnell, aber leider sehr laut.", "de"),
    ],
)
def test_sentences_are_recognised_with_a_confident_code(text: str, code: str) -> None:
    [result] = CHAIN.analyse([text])
    assert result["language"] == code
    assert 0.5 < result["confidence"] <= 1


@pytest.mark.parametrize("text", ["ok", "12 34 !", "😀😀😀", "a1"])
def test_texts_with_fewer_than_three_letters_have_no_language(text: str) -> None:
    assert CHAIN.analyse([text]) == [{"language": None, "confidence": 0.0}]


def test_a_mixed_batch_keeps_its_order() -> None:
    # Given a batch mixing a French text, a text without letters and an English one
    texts = ["Le service était excellent et rapide.", "42", "Support never answered."]
    # Then the answers line up with the texts
    codes = [result["language"] for result in CHAIN.analyse(texts)]
    assert codes == ["fr", None, "en"]


def test_an_empty_batch_has_no_results() -> None:
    assert CHAIN.analyse([]) == []

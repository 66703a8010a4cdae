"""The language chain: ISO codes and confidence, null when unsure, and the column's language
as the prior of short texts."""

import pytest

from textmill_worker.domain.chains import get_chains
from textmill_worker.domain.chains.language import LanguageChain, column_language, judge, predict

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
    assert CHAIN.analyse([text]) == [{"language": None, "confidence": 0.0, "prior": None}]


def test_a_mixed_batch_keeps_its_order() -> None:
    # Given a batch mixing a French text, a text without letters and an English one
    texts = ["Le service était excellent et rapide.", "42", "Support never answered."]
    # Then the answers line up with the texts
    codes = [result["language"] for result in CHAIN.analyse(texts)]
    assert codes == ["fr", None, "en"]


def test_an_empty_batch_has_no_results() -> None:
    assert CHAIN.analyse([]) == []


ENGLISH_TITLES = [
    "Fell apart after one wash",
    "Gorgeous colour, so soft!",
    "Summer favourite",
    "Runs small",
    "Cute but thin",
    "Great buy",
    "Perfect fit and very comfortable",
    "Not worth the money",
]


@pytest.mark.parametrize("title", ENGLISH_TITLES)
def test_a_short_english_title_alone_is_english_or_unsure_never_another_language(title):
    # Given one short title with nothing around it (a quick analysis of one text)
    [result] = CHAIN.analyse([title])
    # Then it is English or null: the guesses that were wrong ("Runs small" as German 0.71)
    # fall below the threshold
    assert result["language"] in {"en", None}
    assert result["prior"] is None


def test_short_titles_in_an_english_column_are_judged_english_with_the_columns_prior():
    # Given a batch of short English titles (one column's cells)
    results = CHAIN.analyse(ENGLISH_TITLES)
    # Then the batch's language is their prior and each of them comes out English
    assert [r["prior"] for r in results] == ["en"] * len(ENGLISH_TITLES)
    assert [r["language"] for r in results] == ["en"] * len(ENGLISH_TITLES)


def test_a_clearly_german_title_in_an_english_column_stays_german():
    # Given an English column with one German title of the same length
    texts = [*ENGLISH_TITLES, "Sehr gute Qualität, schnelle Lieferung"]
    # Then the prior does not outweigh strong evidence
    assert CHAIN.analyse(texts)[-1]["language"] == "de"


def test_a_long_text_is_judged_alone_whatever_the_column():
    # Given a French sentence in an English column
    french = "La bouilloire est rapide, silencieuse et très jolie dans la cuisine le matin."
    [*_, result] = CHAIN.analyse([*ENGLISH_TITLES, french])
    # Then it keeps its own language and records no prior
    assert (result["language"], result["prior"]) == ("fr", None)


def test_a_batch_of_a_few_words_sets_no_prior():
    assert column_language(["Runs small", "Great buy"]) is None


def test_regional_varieties_are_folded_into_their_language():
    # Given a text fastText may call Bavarian or Alemannic
    probabilities = predict("Des is a richtig guada Kaffee, der schmeckt ma", 10)
    # Then only the ISO 639-1 code appears
    assert "bar" not in probabilities and "als" not in probabilities


def test_capitals_do_not_make_a_title_german():
    # As written, fastText reads "Runs small" as 95 % German; lowercased it does not
    assert judge("Runs small")["language"] != "de"


def test_the_profiles_language_is_the_prior_of_a_batch_too_short_for_its_own():
    # Given two short titles, too few words to tell a column's language from
    titles = ["Runs small", "Summer favourite"]
    # Then alone they have no prior, and with the profile's English they are English
    assert [r["prior"] for r in CHAIN.analyse(titles)] == [None, None]
    profiled = LanguageChain(prior="en").analyse(titles)
    assert [(r["language"], r["prior"]) for r in profiled] == [("en", "en"), ("en", "en")]


def test_a_profiles_bokmal_is_fasttexts_norwegian():
    assert LanguageChain(prior="nb").prior == "no"


def test_the_registry_builds_the_language_chain_with_the_columns_language():
    [chain] = get_chains(["language"], column_language="fr")
    assert chain.prior == "fr"
    [plain] = get_chains(["language"])
    assert plain.prior is None

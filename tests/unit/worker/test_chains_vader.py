"""The faster VADER gives VADER's own scores, float for float.

The texts are built from the words VADER's rules look at (negations, boosters, idioms,
"but", "least", "no", "kind of", "never so", "without doubt"), lexicon words in every
casing, emoticons, emojis and punctuation, so that each overridden rule is exercised many
times over."""

import random

import pytest
from vaderSentiment import vaderSentiment as vader

from textmill_worker.domain.chains.vader import Analyzer

RULE_PHRASES = [
    *"but no least at very never so this without doubt or nor kind of not".split(),
    "no good or bad",
    "no nice nor",
    "very least",
    "at least",
    "the least",
    "never so",
    "never this",
    "without doubt",
    "without a doubt",
    "kind of",
    "sort of",
    "just enough",
    "shouldn't've",  # "n't" in a word that is not one of VADER's negations
    "couldn't've",
    *vader.SPECIAL_CASES,
    *vader.BOOSTER_DICT,
    *vader.SENTIMENT_LADEN_IDIOMS,
    *vader.NEGATE,
]
COMMON = "good bad love hate great terrible bomb shit die death heart nice fine ok".split()
SYMBOLS = [":)", ":-(", "<3", "😀", "💔", "!", "?", "!!!", "??", "...", "the", "a", "it", "was"]


def cased(rng: random.Random, phrase: str) -> str:
    return rng.choice([phrase, phrase, phrase.upper(), phrase.capitalize()])


def texts(count: int, seed: int) -> list[str]:
    """Texts of 1 to 16 pieces: rule phrases, common and random lexicon words, symbols. Few
    distinct pieces, so that each rule's word patterns come up again and again."""
    rng = random.Random(seed)
    lexicon = sorted(vader.SentimentIntensityAnalyzer().lexicon)
    pieces = [*RULE_PHRASES, *RULE_PHRASES, *COMMON, *COMMON, *rng.sample(lexicon, 60), *SYMBOLS]
    built = []
    for _ in range(count):
        chosen = [cased(rng, rng.choice(pieces)) for _ in range(rng.randint(1, 16))]
        built.append(" ".join(chosen) + rng.choice(["", ".", "!", "?", "!!", "???", " :)"]))
    return built


REFERENCE = vader.SentimentIntensityAnalyzer()
FAST = Analyzer()


def test_scores_equal_vaders_on_many_rule_heavy_texts() -> None:
    # Given 20,000 texts dense in the words VADER's rules look at
    corpus = texts(20_000, seed=7)
    # When both analysers score them
    differing = [t for t in corpus if FAST.polarity_scores(t) != REFERENCE.polarity_scores(t)]
    # Then every score is the same float
    assert differing == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "I do not love this",
        "It isn't bad at all, but the support was never so good",
        "At least it works; the least helpful manual ever",
        "no no no GOOD",
        "Kind of great, sort of terrible",
        "Without a doubt the bomb",
        "THIS IS GREAT but it is NOT good",
        "great 😀 kettle 💔",
        "tab\tseparated\nlines\r\nof text",
        "ΣΟΦΊΑ İstanbul straße",
        "a " * 500,
    ],
)
def test_scores_equal_vaders_on_edge_cases(text: str) -> None:
    # Given an edge case, when both analysers score it, then the scores are the same
    assert FAST.polarity_scores(text) == REFERENCE.polarity_scores(text)


def test_a_text_without_emojis_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("VADER's own per-word rules were used")

    # Given VADER's own per-word rules made to fail
    monkeypatch.setattr(vader.SentimentIntensityAnalyzer, "sentiment_valence", refuse)
    monkeypatch.setattr(vader.SentimentIntensityAnalyzer, "_negation_check", refuse)
    # When a text without emojis is scored, then the overrides score it (and negate it)
    assert FAST.polarity_scores("I do not love this kettle")["compound"] < 0


def test_a_text_with_an_emoji_is_scored_by_vader_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = vader.SentimentIntensityAnalyzer.sentiment_valence

    def counted(self, *args):
        calls.append(args)
        return original(self, *args)

    # Given VADER's own score of a text with an emoji, and its per-word rule counted
    expected = REFERENCE.polarity_scores("lovely 😀")
    monkeypatch.setattr(vader.SentimentIntensityAnalyzer, "sentiment_valence", counted)
    # When the faster analyser scores it
    scores = FAST.polarity_scores("lovely 😀")
    # Then VADER's own code scored it, to the same result
    assert calls
    assert scores == expected

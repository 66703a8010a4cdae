"""VADER's polarity scores, computed faster and identically.

vaderSentiment 3.3.2 spends about half its time redoing work. For each lexicon word it
lowercases the whole text's word list up to four times (`_negation_check`,
`_special_idioms_check`), and it checks a one-word list against its 60 negations one by one
(`negated`). It also rebuilds the text one character at a time to replace emojis, even when
the text has none. Without that work it is 2.06× as fast on the bench's review texts.

`Analyzer` overrides only those steps:
- the words are lowercased once per text;
- the negations are a set;
- a text without emoji characters skips the rebuild.

Every other step is VADER's own code, called in VADER's order with the same arithmetic, so
the scores are the same floats. `tests/unit/worker/test_chains_vader.py` compares the two
analysers on texts built from VADER's own negations, boosters, idioms and lexicon.
"""

from vaderSentiment import vaderSentiment as vader

NEGATIONS = frozenset(vader.NEGATE)


class Analyzer(vader.SentimentIntensityAnalyzer):
    def __init__(self) -> None:
        super().__init__()
        # VADER replaces a text's characters one at a time, so only one-character emoji
        # entries can ever match.
        self._emoji_chars = frozenset(emoji for emoji in self.emojis if len(emoji) == 1)

    def polarity_scores(self, text):
        if not isinstance(text, str) or not self._emoji_chars.isdisjoint(text):
            return super().polarity_scores(text)
        text = text.strip()  # VADER's emoji pass leaves a text without emojis as it was
        sentitext = vader.SentiText(text)
        words = sentitext.words_and_emoticons
        lower = [word.lower() for word in words]
        sentiments: list[float] = []
        for i in range(len(words)):
            valence = 0
            if lower[i] in vader.BOOSTER_DICT:
                sentiments.append(valence)
                continue
            if i < len(words) - 1 and lower[i] == "kind" and lower[i + 1] == "of":
                sentiments.append(valence)
                continue
            sentiments.append(self._valence(sentitext.is_cap_diff, words, lower, i))
        sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, text)

    def _valence(self, is_cap_diff: bool, words: list[str], lower: list[str], i: int) -> float:
        """`SentimentIntensityAnalyzer.sentiment_valence`, reading the lowercased words."""
        valence = 0
        lexicon = self.lexicon
        item_lowercase = lower[i]
        if item_lowercase not in lexicon:
            return valence
        valence = lexicon[item_lowercase]
        if item_lowercase == "no" and i != len(words) - 1 and lower[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lower[i - 1] == "no")
            or (i > 1 and lower[i - 2] == "no")
            or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ["or", "nor"])
        ):
            valence = lexicon[item_lowercase] * vader.N_SCALAR
        if words[i].isupper() and is_cap_diff:
            if valence > 0:
                valence += vader.C_INCR
            else:
                valence -= vader.C_INCR
        for start_i in range(0, 3):
            if i > start_i and lower[i - (start_i + 1)] not in lexicon:
                s = vader.scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lower, start_i, i)
                if start_i == 2:
                    valence = _special_idioms_check(valence, lower, i)
        return _least_check(valence, lower, i, lexicon)


def _negated(word: str) -> bool:
    """`vaderSentiment.negated([word])` for one lowercased word."""
    return word in NEGATIONS or "n't" in word


def _negation_check(valence: float, lower: list[str], start_i: int, i: int) -> float:
    """`SentimentIntensityAnalyzer._negation_check` on the lowercased words."""
    if start_i == 0:
        if _negated(lower[i - 1]):
            valence = valence * vader.N_SCALAR
    if start_i == 1:
        if lower[i - 2] == "never" and (lower[i - 1] == "so" or lower[i - 1] == "this"):
            valence = valence * 1.25
        elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
            pass
        elif _negated(lower[i - 2]):
            valence = valence * vader.N_SCALAR
    if start_i == 2:
        # VADER's precedence, kept: "so" or "this" just before the word is enough alone.
        if (lower[i - 3] == "never" and (lower[i - 2] == "so" or lower[i - 2] == "this")) or (
            lower[i - 1] == "so" or lower[i - 1] == "this"
        ):
            valence = valence * 1.25
        elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
            pass
        elif _negated(lower[i - 3]):
            valence = valence * vader.N_SCALAR
    return valence


def _special_idioms_check(valence: float, lower: list[str], i: int) -> float:
    """`SentimentIntensityAnalyzer._special_idioms_check` on the lowercased words (only
    called with i >= 3)."""
    onezero = f"{lower[i - 1]} {lower[i]}"
    twoonezero = f"{lower[i - 2]} {lower[i - 1]} {lower[i]}"
    twoone = f"{lower[i - 2]} {lower[i - 1]}"
    threetwoone = f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}"
    threetwo = f"{lower[i - 3]} {lower[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in vader.SPECIAL_CASES:
            valence = vader.SPECIAL_CASES[seq]
            break
    if len(lower) - 1 > i:
        zeroone = f"{lower[i]} {lower[i + 1]}"
        if zeroone in vader.SPECIAL_CASES:
            valence = vader.SPECIAL_CASES[zeroone]
    if len(lower) - 1 > i + 1:
        zeroonetwo = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
        if zeroonetwo in vader.SPECIAL_CASES:
            valence = vader.SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in vader.BOOSTER_DICT:
            valence = valence + vader.BOOSTER_DICT[n_gram]
    return valence


def _least_check(valence: float, lower: list[str], i: int, lexicon: dict[str, float]) -> float:
    """`SentimentIntensityAnalyzer._least_check` on the lowercased words."""
    if i > 1 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        if lower[i - 2] != "at" and lower[i - 2] != "very":
            valence = valence * vader.N_SCALAR
    elif i > 0 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        valence = valence * vader.N_SCALAR
    return valence

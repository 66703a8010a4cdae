"""The `stats` chain: plain counts that describe a text's shape, and how hard it is to read.

Choices:
- `chars` counts code points; `words` counts runs of letters or digits, joined by inner
  apostrophes and hyphens ("don't", "e-mail" are one word each), so emoji and
  punctuation are not words.
- `sentences` comes from `sentences.count_sentences`: abbreviations ("e.g.", "Dr.") and
  initials do not end a sentence, a full stop glued to the next sentence ("seam.Great")
  does.
- `flesch_reading_ease` and `flesch_kincaid_grade` are the standard English formulas over
  words that are not plain numbers, with syllables counted by pyphen's English hyphenation
  dictionary (textstat's own fallback; textstat itself fetches a dictionary from the
  network at run time). None when the text has no such word. Other languages get the
  English formula: comparable within a column, not across languages.
- `avg_word_length` is in characters; `uppercase_ratio` is over letters (shouting), and
  `digit_ratio` over all characters (numbers-heavy cells). Both are 0.0 when the
  denominator is zero; ratios are rounded to 4 places, readability to 2.
- `has_url` uses the same URL pattern as the `pii` chain.
"""

import re
from functools import cache, lru_cache

import pyphen

from textmill_worker.domain.chains.pii import URL
from textmill_worker.domain.chains.sentences import count_sentences

NAME = "stats"
VERSION = "1.1.0"  # 1.1: readability; abbreviations and glued full stops in sentences
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@cache
def hyphenator() -> pyphen.Pyphen:
    """Built once per process: it reads the dictionary from the package."""
    return pyphen.Pyphen(lang="en_US")


class StatsChain:
    name = NAME
    version = VERSION

    def analyse(self, texts: list[str]) -> list[dict]:
        return [describe(text) for text in texts]


def describe(text: str) -> dict:
    words = WORD.findall(text)
    letters = sum(map(str.isalpha, text))
    sentences = count_sentences(text)
    ease, grade = readability([w for w in words if not w.isdigit()], sentences)
    return {
        "chars": len(text),
        "words": len(words),
        "sentences": sentences,
        "avg_word_length": _ratio(sum(map(len, words)), len(words)),
        # an uppercase character is a letter: no need to test isalpha first
        "uppercase_ratio": _ratio(sum(map(str.isupper, text)), letters),
        "digit_ratio": _ratio(sum(map(str.isdigit, text)), len(text)),
        "has_url": URL.search(text) is not None,
        "flesch_reading_ease": ease,
        "flesch_kincaid_grade": grade,
    }


def readability(words: list[str], sentences: int) -> tuple[float | None, float | None]:
    """(Flesch reading ease, Flesch-Kincaid grade) of the words over the sentences."""
    if not words:
        return None, None
    words_per_sentence = len(words) / max(1, sentences)
    syllables_per_word = sum(map(syllables, map(str.lower, words))) / len(words)
    ease = 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word
    grade = 0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59
    return round(ease, 2), round(grade, 2)


@lru_cache(maxsize=65_536)
def syllables(word: str) -> int:
    """A word's syllables: its hyphenation points plus one (pyphen)."""
    return len(hyphenator().positions(word)) + 1


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0

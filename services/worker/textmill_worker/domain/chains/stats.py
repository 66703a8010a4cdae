"""The `stats` chain: plain counts that describe a text's shape, with no model at all.

Choices:
- `chars` counts code points; `words` counts runs of letters or digits, joined by inner
  apostrophes and hyphens ("don't", "e-mail" are one word each), so emoji and
  punctuation are not words.
- `sentences` counts pieces with at least one word between sentence ends (. ! ? followed
  by a space or the end, so "3.5" does not end one) and line breaks.
- `avg_word_length` is in characters; `uppercase_ratio` is over letters (shouting), and
  `digit_ratio` over all characters (numbers-heavy cells). Both are 0.0 when the
  denominator is zero; all three are rounded to 4 places.
- `has_url` uses the same URL pattern as the `pii` chain.
"""

import re

from textmill_worker.domain.chains.pii import URL

NAME = "stats"
VERSION = "1.0.0"
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
SENTENCE_BREAK = re.compile(r"[.!?]+(?=\s|$)|\n+")
HAS_WORD = re.compile(r"[^\W_]")


class StatsChain:
    name = NAME
    version = VERSION

    def analyse(self, texts: list[str]) -> list[dict]:
        return [describe(text) for text in texts]


def describe(text: str) -> dict:
    words = WORD.findall(text)
    letters = sum(map(str.isalpha, text))
    return {
        "chars": len(text),
        "words": len(words),
        "sentences": sum(1 for piece in SENTENCE_BREAK.split(text) if HAS_WORD.search(piece)),
        "avg_word_length": _ratio(sum(map(len, words)), len(words)),
        "uppercase_ratio": _ratio(sum(c.isupper() for c in text if c.isalpha()), letters),
        "digit_ratio": _ratio(sum(map(str.isdigit, text)), len(text)),
        "has_url": URL.search(text) is not None,
    }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0

"""The `keywords` chain: a text's key phrases (YAKE, unsupervised, no model to download).

Choices:
- English stop words (`lan="en"`), phrases of one or two words, the top 5, with YAKE's
  own near-duplicate removal (seqm similarity above 0.9).
- `score` is YAKE's: lower means more relevant, and the list keeps YAKE's order (best
  first). Scores are plain floats, unrounded: on long texts they get very small and
  rounding would tie them.
- Texts without a letter get an empty list without calling YAKE.
- Only the first 5,000 characters are read: that bounds YAKE's time per cell (it compares
  candidate phrases with one another), and the opening of a text carries its topic.
"""

from functools import cache

import yake

NAME = "keywords"
VERSION = "1.0.0"
MAX_CHARS = 5_000
TOP = 5


@cache
def extractor() -> yake.KeywordExtractor:
    """Built once per process: it loads the stop-word list."""
    return yake.KeywordExtractor(lan="en", n=2, top=TOP, dedup_lim=0.9, dedup_func="seqm")


class KeywordsChain:
    name = NAME
    version = VERSION

    def analyse(self, texts: list[str]) -> list[dict]:
        return [{"keywords": key_phrases(text)} for text in texts]


def key_phrases(text: str) -> list[dict]:
    text = text[:MAX_CHARS]
    if not any(char.isalpha() for char in text):
        return []
    return [
        {"text": str(phrase), "score": float(score)}
        for phrase, score in extractor().extract_keywords(text)
    ]

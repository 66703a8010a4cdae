"""The `keywords` chain: a text's key phrases (YAKE, unsupervised, no model to download).

Choices:
- English stop words (`lan="en"`), phrases of one or two words, the top 5, with YAKE's
  own near-duplicate removal (seqm similarity above 0.9).
- Sentences are found first (`sentences.split_sentences`) and handed to YAKE one a line,
  each ending in a full stop: YAKE's own splitter misses "quality. has" and "seam.Great",
  and its phrases then straddle two sentences.
- A phrase never starts or ends with punctuation ("good quality." is "good quality"), nor
  holds a sentence end inside; phrases equal once cleaned are kept once, the best first.
- `score` is YAKE's: lower means more relevant, and the list keeps YAKE's order (best
  first). Scores are plain floats, unrounded: on long texts they get very small and
  rounding would tie them.
- Texts without a letter get an empty list without calling YAKE.
- Only the first 5,000 characters are read: that bounds YAKE's time per cell (it compares
  candidate phrases with one another), and the opening of a text carries its topic.
"""

import re
from functools import cache

import yake

from textmill_worker.domain.chains.sentences import split_sentences

NAME = "keywords"
VERSION = "1.1.0"  # 1.1: sentences split first; no punctuation at a phrase's ends
MAX_CHARS = 5_000
TOP = 5
# Asked of YAKE beyond TOP, so that phrases dropped or merged when cleaned are replaced.
SPARE = 3
_EDGE_PUNCTUATION = "\"'“”‘’«»()[]{}<>.,;:!?…-–—*_/\\|#~"
_SENTENCE_END = re.compile(r"[.!?…;:]+(?:\s|$)|[^\W\d_]{2}[.!?][A-Z]")
_SENTENCE_FINAL = re.compile(r"[.!?…]+$")


@cache
def extractor() -> yake.KeywordExtractor:
    """Built once per process: it loads the stop-word list."""
    return yake.KeywordExtractor(lan="en", n=2, top=TOP + SPARE, dedup_lim=0.9, dedup_func="seqm")


class KeywordsChain:
    name = NAME
    version = VERSION

    def analyse(self, texts: list[str]) -> list[dict]:
        return [{"keywords": key_phrases(text)} for text in texts]


def key_phrases(text: str) -> list[dict]:
    text = text[:MAX_CHARS]
    if not any(char.isalpha() for char in text):
        return []
    lines = ".\n".join(_SENTENCE_FINAL.sub("", s) for s in split_sentences(text))
    phrases: dict[str, dict] = {}
    for phrase, score in extractor().extract_keywords(lines + "."):
        cleaned = clean_phrase(str(phrase))
        if cleaned and cleaned.lower() not in phrases and len(phrases) < TOP:
            phrases[cleaned.lower()] = {"text": cleaned, "score": float(score)}
    return list(phrases.values())


def clean_phrase(phrase: str) -> str | None:
    """The phrase without punctuation at its ends; None when nothing is left or a sentence
    ends inside it."""
    cleaned = phrase.strip().strip(_EDGE_PUNCTUATION).strip()
    if not any(char.isalnum() for char in cleaned) or _SENTENCE_END.search(cleaned):
        return None
    return cleaned

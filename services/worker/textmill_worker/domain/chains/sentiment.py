"""The `sentiment` chain: VADER's polarity of a text, with a label and a confidence.

Choices:
- Labels use VADER's standard thresholds: compound >= 0.05 positive, <= -0.05 negative,
  neutral in between.
- `confidence` in [0, 1]: |compound| for positive and negative (how far VADER leans), and
  1 - |compound| / 0.05 for neutral (how close to dead centre), so a text that only just
  crossed a threshold is never confidently labelled either way.
- VADER is made for sentences: a text over 1,000 characters is split into sentence-ish
  pieces (on . ! ? and newlines, merged up to ~300 characters; a piece with no break is
  cut at spaces near 300), and pieces are combined by a length-weighted mean of compound
  and of the pos/neu/neg scores.
- Only the first 20,000 characters are analysed; `truncated` says whether that cap was hit
  (always present, so every result has the same keys).
- Numbers are rounded to 4 places: more is noise, and results are stored per cell.
- VADER's scores come from `vader.Analyzer`: the same floats as vaderSentiment's own
  analyser, in about half the time.
"""

import re
from functools import cache

from textmill_worker.domain.chains.vader import Analyzer

NAME = "sentiment"
VERSION = "1.0.0"
THRESHOLD = 0.05
LONG_TEXT = 1_000
PIECE = 300
MAX_CHARS = 20_000
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@cache
def analyzer() -> Analyzer:
    """Built once per process: it reads VADER's lexicon from disk."""
    return Analyzer()


class SentimentChain:
    name = NAME
    version = VERSION

    def analyse(self, texts: list[str]) -> list[dict]:
        return [score(text) for text in texts]


def score(text: str) -> dict:
    truncated = len(text) > MAX_CHARS
    text = text[:MAX_CHARS]
    pieces = split_into_pieces(text) if len(text) > LONG_TEXT else [text]
    compound, pos, neu, neg = _weighted(pieces)
    named = label(compound)
    return {
        "label": named,
        "compound": round(compound, 4),
        "confidence": round(_confidence(named, compound), 4),
        "scores": {"pos": round(pos, 4), "neu": round(neu, 4), "neg": round(neg, 4)},
        "truncated": truncated,
    }


def _weighted(pieces: list[str]) -> tuple[float, float, float, float]:
    """compound, pos, neu and neg over the pieces, each piece weighted by its length."""
    compound = pos = neu = neg = 0.0
    total = sum(len(piece) for piece in pieces) or 1
    for piece in pieces:
        polarity, length = analyzer().polarity_scores(piece), len(piece)
        compound += polarity["compound"] * length / total
        pos += polarity["pos"] * length / total
        neu += polarity["neu"] * length / total
        neg += polarity["neg"] * length / total
    return compound, pos, neu, neg


def label(compound: float) -> str:
    if compound >= THRESHOLD:
        return "positive"
    if compound <= -THRESHOLD:
        return "negative"
    return "neutral"


def confidence(compound: float) -> float:
    return _confidence(label(compound), compound)


def _confidence(named: str, compound: float) -> float:
    if named == "neutral":
        return max(0.0, 1 - abs(compound) / THRESHOLD)
    return min(1.0, abs(compound))


def split_into_pieces(text: str) -> list[str]:
    """Sentence-ish pieces of up to about PIECE characters, none of them blank."""
    pieces: list[str] = []
    current = ""
    for sentence in SENTENCE_END.split(text):
        for part in _cut(sentence.strip()):
            if current and len(current) + len(part) + 1 > PIECE:
                pieces.append(current)
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _cut(sentence: str) -> list[str]:
    """A sentence longer than PIECE cut at the last space before each limit (or at the
    limit itself when there is none)."""
    parts = []
    while len(sentence) > PIECE:
        cut = sentence.rfind(" ", PIECE // 2, PIECE)
        cut = cut if cut > 0 else PIECE
        parts.append(sentence[:cut])
        sentence = sentence[cut:].lstrip()
    if sentence:
        parts.append(sentence)
    return parts

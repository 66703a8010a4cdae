"""Ranking of text-column candidates: how worth analysing each column's free text is.

    final_score   = min(type_gate, clamp01(content * quality * free + header_adjust))
    content       = 0.50 * length + 0.35 * sentence + 0.15 * diversity
    quality       = alpha * (0.5 + 0.5 * completeness)
    free          = 1 - STRUCTURE_WEIGHT * structure
    header_adjust = 0.1 * (header - 0.5)          (so never more than +/-0.05)

Every signal is in [0, 1] and reported with the score:
- length = min(1, avg_words / 18): saturates at 18 words per cell.
- sentence = mean over the sampled cells of 1 (>= 8 words, or >= 4 with . ! ?),
  0.5 (4 to 7 words) or 0 (fewer, or mostly letter-free tokens).
- diversity = min(1, distinct_ratio / 0.5): repeated boilerplate is worth less.
- alpha = min(1, alpha_ratio / 0.6): prose is ~0.8 letters per character, so
  numbers, codes and symbols drag the whole score down.
- completeness = 1 - null_ratio: blanks make a column cheaper, not less textual,
  so they cost at most half the score.
- header = 1 for names like review/comment/description, 0 for id/code/date/name...,
  0.5 otherwise: a hint, never a verdict over the content.
- structure = the largest of the structure signals across cells (`structure.py`: shapes
  repeated, serialized lists, numbers beside capitalised words, names), so addresses, tag
  lists, codes with words and names stay below 0.5 however long they are.
- type_gate = the cap of the inferred type: 1 for text, 0.3 for categorical, 0 for
  empty and 0.15 for the rest (integer, float, bool, datetime, id, url, email).
"""

import re

from textmill_contracts.events import CandidateScore, ColumnType
from textmill_profiler.domain.stats import ColumnSummary

LENGTH_SATURATION_WORDS = 18.0
DIVERSITY_SATURATION = 0.5
ALPHA_SATURATION = 0.6
HEADER_WEIGHT = 0.1
STRUCTURE_WEIGHT = 0.6
TYPE_GATES: dict[ColumnType, float] = {
    "text": 1.0,
    "categorical": 0.3,
    "integer": 0.15,
    "float": 0.15,
    "bool": 0.15,
    "datetime": 0.15,
    "id": 0.15,
    "url": 0.15,
    "email": 0.15,
    "empty": 0.0,
}
TEXT_HINTS = frozenset(
    "review comment feedback description desc note text body message complaint "
    "answer summary remark opinion content detail reason explanation".split()
)
NON_TEXT_HINTS = frozenset(
    "id uuid guid code sku date time timestamp url link email mail price amount cost "
    "name phone zip number".split()
)
_HEADER_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def score_column(summary: ColumnSummary) -> CandidateScore:
    stats = summary.stats
    signals = {
        "length": min(1.0, stats.avg_words / LENGTH_SATURATION_WORDS),
        "sentence": summary.sentence_share,
        "diversity": min(1.0, stats.distinct_ratio / DIVERSITY_SATURATION),
        "alpha": min(1.0, stats.alpha_ratio / ALPHA_SATURATION),
        "completeness": 1.0 - stats.null_ratio,
        "header": header_hint(stats.name),
        "type_gate": TYPE_GATES[stats.inferred_type],
        **summary.structure,
    }
    content = 0.50 * signals["length"] + 0.35 * signals["sentence"] + 0.15 * signals["diversity"]
    quality = signals["alpha"] * (0.5 + 0.5 * signals["completeness"])
    free = 1.0 - STRUCTURE_WEIGHT * signals.get("structure", 0.0)
    header_adjust = HEADER_WEIGHT * (signals["header"] - 0.5)
    score = min(signals["type_gate"], max(0.0, min(1.0, content * quality * free + header_adjust)))
    return CandidateScore(
        column=stats.name,
        final_score=round(score, 4),
        inferred_type=stats.inferred_type,
        signals={name: round(value, 4) for name, value in signals.items()},
        reasons=_reasons(summary, signals),
        samples=stats.samples,
    )


def rank_candidates(summaries: list[ColumnSummary]) -> list[CandidateScore]:
    """One score per column, best first; equal scores keep the columns' order."""
    scored = [(score_column(summary), summary.stats.position) for summary in summaries]
    scored.sort(key=lambda pair: (-pair[0].final_score, pair[1]))
    return [candidate for candidate, _ in scored]


def header_hint(name: str) -> float:
    """1 when the header names free text, 0 when it names a non-text field, else 0.5.

    A non-text word wins over a text word: "review_id" and "comment_date" are not text.
    """
    tokens = {token.lower().removesuffix("s") for token in _HEADER_TOKEN.findall(name)}
    if tokens & NON_TEXT_HINTS:
        return 0.0
    if tokens & TEXT_HINTS:
        return 1.0
    return 0.5


def _reasons(summary: ColumnSummary, signals: dict[str, float]) -> list[str]:
    stats = summary.stats
    kind = stats.inferred_type
    if kind == "empty":
        return ["every cell is empty"]
    if kind == "categorical":
        reasons = [f"categorical: {summary.distinct_values} distinct values"]
    elif kind != "text":
        reasons = [f"{_TYPE_LABELS[kind]}: not free text"]
    elif stats.avg_words >= LENGTH_SATURATION_WORDS * 0.8:
        reasons = [f"long free text (avg {stats.avg_words:.0f} words)"]
    elif signals["sentence"] >= 0.3:
        reasons = [f"short free text (avg {stats.avg_words:.0f} words)"]
    else:
        reasons = [f"short labels or names (avg {stats.avg_words:.0f} words)"]
    if kind == "text" and signals.get("structure", 0.0) >= 0.5:
        strongest = max(("template", "serialized", "codes", "names"), key=signals.__getitem__)
        reasons.append(f"structured values ({_STRUCTURE_LABELS[strongest]})")
    if kind == "text" and signals["alpha"] < 0.75:
        reasons.append(f"few letters ({stats.alpha_ratio:.0%} of characters)")
    if kind == "text" and signals["diversity"] < 0.5:
        reasons.append(f"values repeat ({stats.distinct_ratio:.0%} distinct)")
    if stats.null_ratio >= 0.1:
        reasons.append(f"{stats.null_ratio:.0%} of cells are empty")
    if signals["header"] == 1.0:
        reasons.append(f'header "{stats.name}" suggests free text')
    elif signals["header"] == 0.0:
        reasons.append(f'header "{stats.name}" suggests a non-text field')
    return reasons


_STRUCTURE_LABELS = {
    "template": "one template filled in",
    "serialized": "serialized lists",
    "codes": "numbers beside capitalised words",
    "names": "names",
}
_TYPE_LABELS: dict[ColumnType, str] = {
    "integer": "integer numbers",
    "float": "decimal numbers",
    "bool": "yes/no values",
    "datetime": "dates and times",
    "id": "identifiers",
    "url": "URLs",
    "email": "e-mail addresses",
}

"""Streaming statistics of one column, in memory bounded whatever the number of rows.

Counts, sums of characters, words and letters, and the null count are exact over every
row. The distinct count is exact up to 10,000 distinct values and a KMV estimate beyond
(see `DistinctCounter`). Percentiles (p95 chars and words), type inference, the share of
prose-like cells and the sample values come from a uniform reservoir sample of 2,000
non-null values per column, drawn with a seed so that a file always profiles the same.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from textmill_contracts.events import ColumnStats
from textmill_profiler.domain.cells import (
    clean_cell,
    count_letters,
    sentence_likeness,
)
from textmill_profiler.domain.language import guess_language
from textmill_profiler.domain.sketches import (
    DISTINCT_EXACT_LIMIT,
    RESERVOIR_CAPACITY,
    DistinctCounter,
    Reservoir,
)
from textmill_profiler.domain.structure import structure_signals
from textmill_profiler.domain.types import infer_type

SAMPLE_MAX_CHARS = 200
# A reservoir keeps a prefix of each value: enough to infer a type and judge prose,
# while one enormous cell cannot blow the memory bound.
_RESERVOIR_MAX_CHARS = 2_000


# (at most _RESERVOIR_MAX_CHARS of the cleaned value, its full chars, its full words):
# a plain tuple, because one is built for every cell and a NamedTuple costs twice as much.
SampledValue = tuple[str, int, int]


@dataclass(frozen=True)
class ColumnSummary:
    """A column's published statistics plus what scoring needs beyond them."""

    stats: ColumnStats
    distinct_values: int
    sentence_share: float  # mean `sentence_likeness` over the reservoir
    structure: dict[str, float]  # `structure_signals` of the reservoir


class ColumnAccumulator:
    """Consumes one column's cells one at a time; `summarise` gives its statistics."""

    def __init__(
        self,
        *,
        seed: int | str = 0,
        reservoir_capacity: int = RESERVOIR_CAPACITY,
        distinct_limit: int = DISTINCT_EXACT_LIMIT,
    ) -> None:
        self.rows = 0
        self.non_null = 0
        self.total_chars = 0
        self.total_words = 0
        self.total_letters = 0
        self.reservoir: Reservoir[SampledValue] = Reservoir(reservoir_capacity, seed=seed)
        self.distinct = DistinctCounter(distinct_limit)

    def add(self, cell: str) -> None:
        self.add_many((cell,))

    def add_many(self, cells: Iterable[str]) -> None:
        """Consume a batch of this column's cells: one call per column and batch, not per
        cell, with the per-cell work in a loop over locals (the profiler's hot path)."""
        distinct_add, offer = self.distinct.add, self.reservoir.offer
        rows = non_null = total_chars = total_words = total_letters = 0
        for cell in cells:
            rows += 1
            value = clean_cell(cell)
            if value is None:
                continue
            chars = len(value)
            words = len(value.split())
            non_null += 1
            total_chars += chars
            total_words += words
            total_letters += count_letters(value)
            distinct_add(value)
            offer((value[:_RESERVOIR_MAX_CHARS], chars, words))
        self.rows += rows
        self.non_null += non_null
        self.total_chars += total_chars
        self.total_words += total_words
        self.total_letters += total_letters

    def summarise(self, name: str, position: int, *, samples: int = 5) -> ColumnSummary:
        sampled = self.reservoir.items
        texts = [text for text, _, _ in sampled]
        distinct_values = self.distinct.count()
        non_null = self.non_null
        inferred_type = infer_type(texts, distinct_values=distinct_values, non_null=non_null)
        # Only free text has a language worth naming; labels and codes mislead detectors.
        language, confidence = guess_language(texts) if inferred_type == "text" else (None, None)
        stats = ColumnStats(
            name=name,
            position=position,
            inferred_type=inferred_type,
            rows=self.rows,
            null_ratio=_ratio(self.rows - non_null, self.rows),
            distinct_ratio=_ratio(distinct_values, non_null),
            avg_chars=round(self.total_chars / non_null, 2) if non_null else 0.0,
            p95_chars=_p95([chars for _, chars, _ in sampled]),
            avg_words=round(self.total_words / non_null, 2) if non_null else 0.0,
            p95_words=_p95([words for _, _, words in sampled]),
            alpha_ratio=_ratio(self.total_letters, self.total_chars),
            samples=_distinct_samples(texts, samples),
            language=language,
            language_confidence=confidence,
        )
        sentence_share = sum(map(sentence_likeness, texts)) / len(texts) if texts else 0.0
        structure = structure_signals(texts) if inferred_type == "text" else {}
        return ColumnSummary(stats, distinct_values, round(sentence_share, 4), structure)


def _ratio(part: int, whole: int) -> float:
    # The distinct estimate may overshoot the non-null count by its error margin.
    return round(min(1.0, part / whole), 4) if whole else 0.0


def _p95(values: list[int]) -> float:
    """Nearest-rank 95th percentile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[math.ceil(0.95 * len(ordered)) - 1])


def _distinct_samples(texts: list[str], limit: int) -> list[str]:
    chosen: dict[str, None] = {}
    for text in texts:
        if len(chosen) >= limit:
            break
        chosen.setdefault(text[:SAMPLE_MAX_CHARS])
    return list(chosen)

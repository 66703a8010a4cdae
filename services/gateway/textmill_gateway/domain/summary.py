"""Fold a run's result documents into per-column figures: status counts, the sentiment mix,
languages, top keywords, PII, text size, and each `model:<name>` chain's label mix.

One pass, one document at a time, in bounded memory, so a run of millions of cells can be
summarised while its results stream out of the store. Chain entries that carry an `error`
(the chain failed on that cell) and values of the wrong type count in no chain's figures;
documents for columns the run did not ask for are ignored.

Approximation: keyword counts are kept for at most `KEYWORD_CAPACITY` distinct keywords per
column (see `BoundedCounter`). Up to that many, every figure is exact. Beyond it, the rarest
keywords are pruned, so a surviving keyword's count is a lower bound (it may have been pruned
while rare and re-admitted), and a keyword that is rare early on yet common later may rank
lower than it should. Languages and PII types use the same counter with far more room than
their real vocabularies need, so for them it is only a guard against hostile input.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable

from textmill_contracts.chains import model_of

TOP = 10
KEYWORD_CAPACITY = 10_000
LANGUAGE_CAPACITY = 1_000
PII_TYPE_CAPACITY = 200
MODEL_LABEL_CAPACITY = 200
# A keyword longer than this is counted by its prefix: memory is bounded per key too.
KEYWORD_CHARS = 100
STATUSES = ("ok", "skipped", "failed")
LABELS = ("positive", "negative", "neutral")


class BoundedCounter:
    """Counts keys, keeping at most `capacity` of them.

    When a new key would exceed the capacity, the counter keeps the `capacity // 2` most
    common keys and forgets the rest. Among equal counts the more recently admitted keys
    survive: the older ones had longer to recur and did not. Pruning to half the capacity
    makes it rare, so counting stays amortised O(log capacity) per new key.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 2:
            raise ValueError("a bounded counter needs room for at least two keys")
        self.capacity = capacity
        self._counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def add(self, key: str, n: int = 1) -> None:
        self._counts[key] = self._counts.get(key, 0) + n
        if len(self._counts) > self.capacity:
            self._prune()

    def top(self, k: int) -> list[tuple[str, int]]:
        """The `k` most common keys, most common first, ties by key."""
        return heapq.nsmallest(k, self._counts.items(), key=lambda item: (-item[1], item[0]))

    def _prune(self) -> None:
        ranked = heapq.nsmallest(
            self.capacity // 2,
            enumerate(self._counts.items()),
            key=lambda entry: (-entry[1][1], -entry[0]),
        )
        ranked.sort()  # back to admission order, so "more recent" keeps its meaning
        self._counts = dict(item for _, item in ranked)


class Mean:
    """A running mean of finite numbers; anything else (None, text, NaN, bools) is skipped."""

    __slots__ = ("n", "total")

    def __init__(self) -> None:
        self.n, self.total = 0, 0.0

    def add(self, value: object) -> None:
        number = _finite(value)
        if number is not None:
            self.n += 1
            self.total += number

    def value(self) -> float | None:
        return round(self.total / self.n, 4) if self.n else None


class ColumnTally:
    """Every figure of one column, folded one result document at a time."""

    def __init__(self, chains: Iterable[str]) -> None:
        self.chains = [chain for chain in dict.fromkeys(chains) if chain in _FOLDS]
        self.cells = 0
        self.status = dict.fromkeys(STATUSES, 0)
        self.labels = dict.fromkeys(LABELS, 0)
        self.compound, self.confidence = Mean(), Mean()
        self.languages = BoundedCounter(LANGUAGE_CAPACITY)
        self.keywords = BoundedCounter(KEYWORD_CAPACITY)
        self.cells_with_pii = 0
        self.pii_types = BoundedCounter(PII_TYPE_CAPACITY)
        self.chars, self.words = Mean(), Mean()
        # model:<name> → (its labels counted, the mean of its confidence)
        self.models = {
            chain: (BoundedCounter(MODEL_LABEL_CAPACITY), Mean())
            for chain in dict.fromkeys(chains)
            if model_of(chain)
        }

    def add(self, doc: dict) -> None:
        self.cells += 1
        if doc.get("status") in self.status:
            self.status[doc["status"]] += 1
        entries = doc.get("chains") or {}
        for chain in self.chains:
            entry = entries.get(chain)
            if isinstance(entry, dict) and "error" not in entry:
                _FOLDS[chain](self, entry)
        for chain, (labels, confidence) in self.models.items():
            entry = entries.get(chain)
            if isinstance(entry, dict) and "error" not in entry:
                if isinstance(entry.get("label"), str):
                    labels.add(entry["label"])
                confidence.add(entry.get("confidence"))

    def as_dict(self) -> dict:
        figures: dict = {"cells": self.cells, "status": dict(self.status)}
        for chain in self.chains:
            figures.update(_FIGURES[chain](self))
        if self.models:
            figures["models"] = {
                chain: {
                    "labels": dict(labels.top(MODEL_LABEL_CAPACITY)),
                    "mean_confidence": confidence.value(),
                }
                for chain, (labels, confidence) in self.models.items()
            }
        return figures

    def _fold_sentiment(self, entry: dict) -> None:
        if entry.get("label") in self.labels:
            self.labels[entry["label"]] += 1
        self.compound.add(entry.get("compound"))
        self.confidence.add(entry.get("confidence"))

    def _fold_language(self, entry: dict) -> None:
        # An undetermined language (None) is no language: it is not counted.
        if isinstance(entry.get("language"), str) and entry["language"]:
            self.languages.add(entry["language"])

    def _fold_keywords(self, entry: dict) -> None:
        # Counted once per cell that mentions it, whatever the case or spacing.
        mentioned = {_keyword_key(keyword) for keyword in entry.get("keywords") or ()}
        for key in mentioned - {""}:
            self.keywords.add(key)

    def _fold_pii(self, entry: dict) -> None:
        entities = [e for e in entry.get("entities") or () if isinstance(e, dict)]
        count = _finite(entry.get("count"))
        if (len(entities) if count is None else count) > 0:
            self.cells_with_pii += 1
        for entity in entities:  # by_type counts entities found, not cells
            if isinstance(entity.get("type"), str):
                self.pii_types.add(entity["type"])

    def _fold_stats(self, entry: dict) -> None:
        self.chars.add(entry.get("chars"))
        self.words.add(entry.get("words"))


_FOLDS: dict[str, Callable[[ColumnTally, dict], None]] = {
    "sentiment": ColumnTally._fold_sentiment,
    "language": ColumnTally._fold_language,
    "keywords": ColumnTally._fold_keywords,
    "pii": ColumnTally._fold_pii,
    "stats": ColumnTally._fold_stats,
}

_FIGURES: dict[str, Callable[[ColumnTally], dict]] = {
    "sentiment": lambda t: {
        "sentiment": {
            "labels": dict(t.labels),
            "mean_compound": t.compound.value(),
            "mean_confidence": t.confidence.value(),
        }
    },
    "language": lambda t: {"languages": dict(t.languages.top(TOP))},
    "keywords": lambda t: {
        "keywords": [{"text": text, "count": n} for text, n in t.keywords.top(TOP)]
    },
    "pii": lambda t: {
        "pii": {
            "cells_with_pii": t.cells_with_pii,
            "by_type": dict(t.pii_types.top(PII_TYPE_CAPACITY)),
        }
    },
    "stats": lambda t: {"stats": {"mean_chars": t.chars.value(), "mean_words": t.words.value()}},
}


class RunSummary:
    """A run's summary, folded incrementally: memory depends on the number of columns and
    the counters' capacities, never on the number of documents."""

    def __init__(self, columns: list[str], chains: list[str]) -> None:
        self._columns = {column: ColumnTally(chains) for column in columns}

    def add(self, doc: dict) -> None:
        tally = self._columns.get(doc.get("column"))  # type: ignore[arg-type]
        if tally is not None:
            tally.add(doc)

    def as_dict(self) -> dict:
        return {"columns": {column: tally.as_dict() for column, tally in self._columns.items()}}


def summarise(docs: Iterable[dict], columns: list[str], chains: list[str]) -> dict:
    """Summarise a whole stream of result documents at once."""
    summary = RunSummary(columns, chains)
    for doc in docs:
        summary.add(doc)
    return summary.as_dict()


def _keyword_key(keyword: object) -> str:
    text = keyword.get("text") if isinstance(keyword, dict) else keyword
    if not isinstance(text, str):
        return ""
    return " ".join(text.lower().split())[:KEYWORD_CHARS]


def _finite(value: object) -> float | None:
    """The value as a finite float, or None: NaN or inf would poison a mean for good."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None

"""The profiler's pure domain: column statistics, type inference and candidate ranking.

No I/O here: plain functions over rows of strings, so files of any size stream through
in bounded memory and every rule is testable without Kafka, MongoDB or Redis.
"""

from textmill_profiler.domain.profile import (
    PROFILER_VERSION,
    RaggedRowError,
    TableProfile,
    TableProfiler,
    profile_table,
)
from textmill_profiler.domain.scoring import header_hint, rank_candidates, score_column
from textmill_profiler.domain.stats import ColumnAccumulator, ColumnSummary
from textmill_profiler.domain.types import infer_type

__all__ = [
    "PROFILER_VERSION",
    "ColumnAccumulator",
    "ColumnSummary",
    "RaggedRowError",
    "TableProfile",
    "TableProfiler",
    "header_hint",
    "infer_type",
    "profile_table",
    "rank_candidates",
    "score_column",
]

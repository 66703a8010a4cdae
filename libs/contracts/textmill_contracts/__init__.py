"""textmill's shared vocabulary: every Kafka message is a model here, with a schema version.

Commands (`commands.py`) ask one service to act; events (`events.py`) say what happened.
Services import these models and `topics`; they never import each other.
"""

from textmill_contracts.commands import (
    AnalyzeRequested,
    AnalyzeTexts,
    ProfileRequested,
    ShardAssigned,
)
from textmill_contracts.envelope import Message
from textmill_contracts.events import (
    TERMINAL_STATUSES,
    CandidateScore,
    CellResult,
    ColumnProgress,
    ColumnStats,
    FileDeleted,
    Heartbeat,
    ProfileCompleted,
    ProfileFailed,
    ResultBatch,
    ResultBatchKeys,
    RunCancelled,
    RunStatus,
    RunUpdated,
    ShardProgress,
    TextsAnalyzed,
)
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS, Topics

__all__ = [
    "MESSAGE_TYPE_HEADER",
    "TERMINAL_STATUSES",
    "TOPICS",
    "AnalyzeRequested",
    "AnalyzeTexts",
    "CandidateScore",
    "CellResult",
    "ColumnProgress",
    "ColumnStats",
    "FileDeleted",
    "Heartbeat",
    "Message",
    "ProfileCompleted",
    "ProfileFailed",
    "ProfileRequested",
    "ResultBatch",
    "ResultBatchKeys",
    "RunCancelled",
    "RunStatus",
    "RunUpdated",
    "ShardAssigned",
    "ShardProgress",
    "TextsAnalyzed",
    "Topics",
]

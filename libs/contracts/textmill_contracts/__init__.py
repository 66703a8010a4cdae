"""textmill's shared vocabulary: every Kafka message is a model here, with a schema version.

Services import these models and `topics`; they never import each other.
"""

from textmill_contracts.commands import ProfileRequested
from textmill_contracts.envelope import Message
from textmill_contracts.events import (
    CandidateScore,
    ColumnStats,
    FileDeleted,
    Heartbeat,
    ProfileCompleted,
    ProfileFailed,
)
from textmill_contracts.topics import Topics

__all__ = [
    "CandidateScore",
    "ColumnStats",
    "FileDeleted",
    "Heartbeat",
    "Message",
    "ProfileCompleted",
    "ProfileFailed",
    "ProfileRequested",
    "Topics",
]

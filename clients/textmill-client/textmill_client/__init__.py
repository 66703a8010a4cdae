"""textmill's Python SDK: `Textmill` (sync) and `AsyncTextmill` (async), both on httpx.

from textmill_client import Textmill
with Textmill("http://127.0.0.1:8000", api_key) as tm:
    stored = tm.upload("reviews.csv")
    run_id = tm.analyze(stored.id, tm.profile(stored.id).top(1), ["sentiment"])
    for message in tm.stream(run_id): ...
"""

from textmill_client.aio import AsyncTextmill
from textmill_client.client import Textmill
from textmill_client.errors import TextmillError, TextmillUnavailable
from textmill_client.models import (
    Candidate,
    ColumnProgress,
    CreatedKey,
    Estimate,
    Profile,
    ResultItem,
    ResultPage,
    Run,
    StoredFile,
    StreamMessage,
)
from textmill_client.protocol import RetryPolicy

__all__ = [
    "AsyncTextmill",
    "Candidate",
    "ColumnProgress",
    "CreatedKey",
    "Estimate",
    "Profile",
    "ResultItem",
    "ResultPage",
    "RetryPolicy",
    "Run",
    "StoredFile",
    "StreamMessage",
    "Textmill",
    "TextmillError",
    "TextmillUnavailable",
]

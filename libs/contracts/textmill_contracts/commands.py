"""Commands: a request that one service does something. Exactly one consumer group acts.

The run flow: the gateway publishes `AnalyzeRequested`; the coordinator plans it into
shards (one column × a row range) and publishes one `ShardAssigned` each; a worker
analyses the shard and publishes the events of `events.py` as it goes.
"""

from typing import ClassVar

from pydantic import Field

from textmill_contracts.envelope import Message, TopicName
from textmill_contracts.events import DEFAULT_PRIORITY, Priority


class ProfileRequested(Message):
    """Ask the profiler to profile a stored file and reply on `reply_to`."""

    schema_name: ClassVar[str] = "profile.requested"
    correlation_id: str = Field(description="echoed on the reply; the requester matches on it")
    reply_to: TopicName = Field(description="topic the reply is published to")
    tenant: str
    file_id: str
    sha256: str = Field(description="content hash of the stored file")


class AnalyzeRequested(Message):
    """Plan and start run `run_id` (already stored as `accepted` by the gateway)."""

    schema_name: ClassVar[str] = "analyze.requested"
    run_id: str
    tenant: str
    file_id: str
    columns: list[str] = Field(min_length=1)
    chains: list[str] = Field(min_length=1)


class ShardAssigned(Message):
    """Analyse rows [start, end) of one column with `chains`. Idempotent by `shard_id`:
    results are keyed (run, column, record) and the shard's checkpoint says where to resume.
    1.1 added `siblings`; 1.2 added `n`."""

    schema_name: ClassVar[str] = "shard.assigned"
    schema_version: str = "1.2"
    run_id: str
    shard_id: str
    n: int | None = Field(
        default=None, ge=0, description="the shard's number in its run's plan (1.2)"
    )
    tenant: str
    file_id: str
    column: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    chains: list[str]
    attempt: int = Field(default=1, ge=1)
    siblings: list[str] = Field(
        default_factory=list,
        description="the run's other columns, whose shards cover the same rows: a worker "
        "may read them in the same pass and keep them for those shards",
    )


class AnalyzeTexts(Message):
    """Quick analysis: run `chains` over up to 100 texts and reply on `reply_to`."""

    schema_name: ClassVar[str] = "analyze-texts.requested"
    correlation_id: str
    reply_to: TopicName
    texts: list[str] = Field(min_length=1, max_length=100)
    chains: list[str] = Field(min_length=1)


class EstimateRequested(Message):
    """Estimate the time and cost of a run of `chains` over `columns` of a stored file,
    before it starts, and reply on `reply_to`. 1.1 added `priority`."""

    schema_name: ClassVar[str] = "estimate.requested"
    schema_version: str = "1.1"
    correlation_id: str
    reply_to: TopicName
    tenant: str
    file_id: str
    columns: list[str] = Field(min_length=1)
    chains: list[str] = Field(min_length=1)
    priority: Priority = Field(
        default=DEFAULT_PRIORITY,
        description="the run's priority: the shards of other runs ahead of it depend on it (1.1)",
    )

"""Commands: a request that one service does something. Exactly one consumer group acts."""

from typing import ClassVar

from pydantic import Field

from textmill_contracts.envelope import Message, TopicName


class ProfileRequested(Message):
    """Ask the profiler to profile a stored file and reply on `reply_to`."""

    schema_name: ClassVar[str] = "profile.requested"
    correlation_id: str = Field(description="echoed on the reply; the requester matches on it")
    reply_to: TopicName = Field(description="topic the reply is published to")
    tenant: str
    file_id: str
    sha256: str = Field(description="content hash of the stored file")

"""The base of every message: a schema version and a message id.

Versioning rule: a change that only adds optional fields keeps the major version and
bumps the minor; consumers accept any minor of a major they know. Removing or retyping a
field is a new major, published beside the old one until no consumer reads it.
"""

from datetime import UTC, datetime
from typing import Annotated, ClassVar
from uuid import uuid4

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def utc_now() -> datetime:
    return datetime.now(UTC)


# A Kafka topic's name as Kafka allows it: a reply addressed elsewhere could never be sent,
# and its request would come back on every redelivery.
def _not_dots(name: str) -> str:
    if name in (".", ".."):
        raise ValueError("'.' and '..' are no Kafka topic names")
    return name


TopicName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9._-]+$",
        max_length=249,
        description="a Kafka topic: letters, digits, '.', '_' and '-', at most 249",
    ),
    AfterValidator(_not_dots),
]


class Message(BaseModel):
    """Common fields. `message_id` is the idempotency key a consumer may dedupe on."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_name: ClassVar[str] = "message"
    schema_version: str = Field(default="1.0", description="major.minor of this contract")
    message_id: str = Field(default_factory=lambda: uuid4().hex)
    occurred_at: datetime = Field(default_factory=utc_now)

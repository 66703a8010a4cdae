"""Consuming and publishing contract messages, each written once for every service.

`subscribe` registers a handler that takes the decoded message: the body is validated
against its contract there, and a body that can never be valid (not JSON, the wrong shape,
an unknown major version) is parked on the dead-letter topic with the reason, so handlers
see only valid messages. A handler that finds a valid message it can never act on raises
`Unprocessable`, and the message is parked the same way. `Publisher` stamps every message
with its contract's name (`MESSAGE_TYPE_HEADER`), which topics carrying several kinds need.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from aiokafka.errors import UnknownTopicOrPartitionError
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from textmill_contracts.envelope import Message
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS
from textmill_infra.kafka import Subscription

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)
JSON = "application/json"


class Unprocessable(Exception):
    """A valid message that can never be acted on (retrying cannot help): parked on the
    dead-letter topic with this reason, and its offset moves on."""


def decode_body(body: bytes, model: type[M]) -> M:
    """`body` as `model`; Unprocessable with the reason when it can never be one."""
    try:
        decoded = model.model_validate_json(body)
    except ValidationError as exc:
        raise Unprocessable(
            f"{model.__name__}: {exc.error_count()} validation error(s): {exc.errors()[0]['msg']}"
        ) from None
    major = decoded.schema_version.split(".")[0]
    expected = model.model_fields["schema_version"].default.split(".")[0]
    if major != expected:
        raise Unprocessable(
            f"{model.__name__}: schema major {major} unsupported (expected {expected})"
        )
    return decoded


def subscribe(
    broker: KafkaBroker,
    topic: str,
    subscription: Subscription,
    model: type[M],
    handler: Callable[[M, Any], Awaitable[None]],
    deps: Any,
) -> None:
    """Call `handler(message, deps)` for each message of `topic`, decoded as `model`, with
    the delivery semantics of `subscription`."""

    async def consume(message: KafkaMessage) -> None:
        record: ConsumerRecord = message.raw_message
        try:
            await handler(decode_body(record.value or b"", model), deps)
        except Unprocessable as exc:
            await dead_letter(broker, record, str(exc))

    consume.__name__ = consume.__qualname__ = handler.__name__
    broker.subscriber(topic, **subscription.kwargs())(consume)


async def dead_letter(broker: KafkaBroker, record: ConsumerRecord, reason: str) -> None:
    """Park a message that can never be acted on, with why and where it came from."""
    log.warning("dead-lettering a poison message", extra={"reason": reason})
    await broker.publish(
        record.value or b"",
        TOPICS.dead_letters,
        headers={
            "x-dead-letter-reason": reason[:500],
            "x-original-topic": record.topic,
            "x-original-partition": str(record.partition),
            "x-original-offset": str(record.offset),
        },
    )


class Publisher:
    """Publishes contract messages, each with its contract's name in a header."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def publish(
        self,
        message: Message,
        topic: str,
        *,
        key: str | None = None,
        partition: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        await self._broker.publish(
            message,
            topic,
            key=key.encode() if key is not None else None,
            partition=partition,
            correlation_id=correlation_id,
            headers={MESSAGE_TYPE_HEADER: message.schema_name},
        )

    async def publish_json(
        self, body: bytes, topic: str, *, schema_name: str, key: str | None = None
    ) -> None:
        """A message encoded already (a worker's result batch, whose cells are JSON)."""
        await self._broker.publish(
            body,
            topic,
            key=key.encode() if key is not None else None,
            headers={MESSAGE_TYPE_HEADER: schema_name, "content-type": JSON},
        )

    async def reply(
        self, answer: Message, topic: str, *, correlation_id: str, key: str | None = None
    ) -> None:
        """Publish `answer` on the requester's reply `topic`. A topic that does not exist
        (Kafka says so once the producer's metadata wait runs out) makes the request
        Unprocessable: it would fail the same way on every redelivery, and hold up the
        requests behind it. (A Kafka that is away fails otherwise: the request comes again.)"""
        try:
            await self.publish(answer, topic, key=key, correlation_id=correlation_id)
        except UnknownTopicOrPartitionError:
            raise Unprocessable(f"no reply topic {topic!r} in Kafka") from None

"""Request/reply over Kafka: publish a command carrying a correlation id and a reply topic,
then wait, bounded by a timeout, for the reply with that correlation id.

Every instance that asks (each gateway replica, each estimator) reads the whole reply topic
in a consumer group of its own, and keeps only the replies it is waiting for. Delivery is
at-most-once on purpose: a reply is useful only to the replica that still waits for it,
and a lost one ends as a timeout (504) the client may retry; replaying old replies after a
restart would serve no one.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage as ContextMessage
from faststream.kafka.message import KafkaMessage

from textmill_contracts.envelope import Message
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS
from textmill_infra.kafka import Subscription
from textmill_infra.logs import get_logger
from textmill_infra.messaging import Publisher

log = get_logger(__name__)
M = TypeVar("M", bound=Message)


class ReplyTimeout(TimeoutError):
    """The service asked did not answer in time."""

    code = "upstream_timeout"


class ReplyWaiter:
    def __init__(
        self, broker: KafkaBroker, instance_id: str, timeout: float, *, service: str = "gateway"
    ) -> None:
        self._broker = broker
        self._timeout = timeout
        self._pending: dict[str, asyncio.Future[KafkaMessage]] = {}
        self.subscription = Subscription(
            group_id=f"textmill-{service}-replies-{instance_id}",
            ack_policy=AckPolicy.ACK_FIRST,
            auto_offset_reset="latest",
            fetch_max_wait_ms=100,  # a reply is waited on: see kafka.Subscription
        )
        self.subscriber = broker.subscriber(TOPICS.replies, **self.subscription.kwargs())

        @self.subscriber
        async def on_reply(message: ContextMessage) -> None:
            self._resolve(message)

    def _resolve(self, message: KafkaMessage) -> None:
        correlation_id = message.correlation_id
        future = self._pending.get(correlation_id)
        if future is not None and not future.done():
            future.set_result(message)

    async def ready(self) -> bool:
        """True once the reply consumer owns its partitions: before that a reply could be missed."""
        consumer = self.subscriber.consumer
        return consumer is not None and len(consumer.assignment()) > 0

    async def request(
        self,
        publish: Callable[[str, str], Awaitable[None]],
        *,
        what: str,
        timeout: float | None = None,
    ) -> KafkaMessage:
        """Call `publish(correlation_id, reply_topic)`, then wait for the matching reply, up
        to `timeout` seconds (the waiter's own when None)."""
        timeout = timeout or self._timeout
        correlation_id = uuid.uuid4().hex
        future: asyncio.Future[KafkaMessage] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        try:
            await publish(correlation_id, TOPICS.replies)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            log.warning("reply timed out", what=what, correlation_id=correlation_id)
            raise ReplyTimeout(f"the {what} did not answer within {timeout:g}s") from None
        finally:
            self._pending.pop(correlation_id, None)

    async def ask(
        self,
        publisher: Publisher,
        topic: str,
        command: Callable[[str, str], Message],
        *,
        what: str,
        key: str | None = None,
        timeout: float | None = None,
    ) -> KafkaMessage:
        """Publish `command(correlation_id, reply_topic)` on `topic`, then wait for its reply."""

        async def publish(correlation_id: str, reply_to: str) -> None:
            message = command(correlation_id, reply_to)
            await publisher.publish(message, topic, key=key, correlation_id=correlation_id)

        return await self.request(publish, what=what, timeout=timeout)


def decode_reply(reply: KafkaMessage, *answers: type[M]) -> M:
    """The reply as whichever of `answers` its message-type header names (the first one
    when it names none)."""
    named = reply.headers.get(MESSAGE_TYPE_HEADER)
    answer = next((a for a in answers if a.schema_name == named), answers[0])
    return answer.model_validate_json(reply.body)

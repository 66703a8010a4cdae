"""Transient errors retry with backoff: a FastStream subscriber on the real Kafka whose
handler fails gets the same message again after growing pauses, then goes on."""

import asyncio
import logging
import time
import uuid
from itertools import pairwise

from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from textmill_infra.feed import RETRY_DELAYS
from textmill_infra.kafka import Subscription, make_broker


async def test_a_failing_handler_gets_its_message_again_after_growing_pauses(settings, topic):
    # Given a subscriber whose handler fails three times (its store is away), then works
    broker = make_broker(settings, "test", CollectorRegistry())
    attempts: list[tuple[float, bytes]] = []
    handled = asyncio.Event()

    @broker.subscriber(topic, **Subscription(group_id=f"test-{uuid.uuid4().hex[:8]}").kwargs())
    async def handle(message: KafkaMessage) -> None:
        attempts.append((time.monotonic(), message.body))
        if len(attempts) <= 3:
            raise ConnectionError("the store is away")
        handled.set()

    await broker.start()
    try:
        # When one message and then a second one are published
        await broker.publish(b"first", topic)
        await broker.publish(b"second", topic)
        await asyncio.wait_for(handled.wait(), 30)
        await asyncio.sleep(0.5)
    finally:
        await broker.stop()
    # Then the first message came four times, each retry after a longer pause than the last
    # (0.1, 0.2 and 0.5 s, less the event loop's clock tolerance), and the second one after it
    assert [body for _, body in attempts] == [b"first"] * 4 + [b"second"]
    pauses = [later - earlier for (earlier, _), (later, _) in pairwise(attempts[:4])]
    assert all(pause >= 0.95 * delay for pause, delay in zip(pauses, RETRY_DELAYS[:3], strict=True))


async def test_a_subscriber_that_acknowledges_first_is_not_held_back_by_a_failure(
    settings, topic, caplog
):
    # Given a subscriber that acknowledges before handling (as heartbeats and replies do),
    # whose handler fails on the first message
    broker = make_broker(settings, "test", CollectorRegistry())
    attempts: list[tuple[float, bytes]] = []
    second = asyncio.Event()
    subscription = Subscription(
        group_id=f"test-{uuid.uuid4().hex[:8]}", ack_policy=AckPolicy.ACK_FIRST
    )

    @broker.subscriber(topic, **subscription.kwargs())
    async def handle(message: KafkaMessage) -> None:
        attempts.append((time.monotonic(), message.body))
        if message.body == b"first":
            raise ConnectionError("the store is away")
        second.set()

    caplog.set_level(logging.WARNING, logger="textmill_infra.kafka")
    await broker.start()
    try:
        # When two messages are published
        await broker.publish(b"first", topic)
        await broker.publish(b"second", topic)
        await asyncio.wait_for(second.wait(), 30)
    finally:
        await broker.stop()
    # Then the failed one is not delivered again, and no pause held the next one back
    assert [body for _, body in attempts] == [b"first", b"second"]
    assert not [r for r in caplog.records if "retried after a pause" in r.getMessage()]

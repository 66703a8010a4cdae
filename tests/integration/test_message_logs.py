"""Per-message logs: a service that handles thousands of messages a second does not write
two log lines for each at the default level (the local gateway's log had reached 256 MB,
two thirds of it FastStream's "Received" and "Processed"), while a failing handler is
still logged as an error. `TEXTMILL_LOG_LEVEL=DEBUG` shows every message."""

import asyncio
import logging
import uuid

from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from textmill_infra.kafka import Subscription, make_broker

LOGGER = "textmill.test.kafka"


async def test_messages_handled_are_logged_at_debug_and_failures_as_errors(settings, topic, caplog):
    # Given a service's broker whose handler fails on its first message, then works
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    broker = make_broker(settings, "test", CollectorRegistry())
    handled = asyncio.Event()
    seen: list[bytes] = []

    @broker.subscriber(topic, **Subscription(group_id=f"test-{uuid.uuid4().hex[:8]}").kwargs())
    async def handle(message: KafkaMessage) -> None:
        seen.append(message.body)
        if len(seen) == 1:
            raise ValueError("a bad moment")
        handled.set()

    await broker.start()
    try:
        # When a message is published and handled, after one failure
        await broker.publish(b"hello", topic)
        await asyncio.wait_for(handled.wait(), 30)
    finally:
        await broker.stop()
    # Then its receipt and processing are logged at debug, and the failure as an error
    records = [r for r in caplog.records if r.name == LOGGER]
    routine = [r for r in records if r.getMessage() in ("Received", "Processed")]
    assert routine and {r.levelno for r in routine} == {logging.DEBUG}
    assert any(r.levelno == logging.ERROR and "a bad moment" in r.getMessage() for r in records)

"""Producers compress record batches (`TEXTMILL_KAFKA_COMPRESSION`, docs/cell-cost.md):
what one service publishes compressed, or not, another reads back byte for byte on the
real Kafka."""

import asyncio
import uuid

import pytest
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from textmill_infra.kafka import Subscription, make_broker


@pytest.mark.parametrize("compression", ["zstd", "none"])
async def test_a_result_sized_message_published_compressed_or_not_is_read_back_whole(
    settings, topic, compression
):
    # Given a producer compressing as configured, and a consumer of the default settings
    producer = make_broker(
        settings.model_copy(update={"kafka_compression": compression}), "test", CollectorRegistry()
    )
    consumer = make_broker(settings, "test", CollectorRegistry())
    body = b"[" + b",".join(b'{"record":%d,"sentiment":{"compound":0.5}}' % n for n in range(5_000))
    body += b"]"  # ~230 KB of JSON, like a batch of results
    received: asyncio.Queue[bytes] = asyncio.Queue()

    @consumer.subscriber(topic, **Subscription(group_id=f"test-{uuid.uuid4().hex[:8]}").kwargs())
    async def handle(message: KafkaMessage) -> None:
        await received.put(message.body)

    await consumer.start()
    await producer.start()
    try:
        # When the producer publishes it
        await producer.publish(body, topic)
        # Then the consumer gets the same bytes
        assert await asyncio.wait_for(received.get(), 30) == body
    finally:
        await producer.stop()
        await consumer.stop()

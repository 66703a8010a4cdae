"""Consumer-group lag per topic, and each topic's end offset, read from Kafka itself.

Lag is what a group has yet to read: the partitions' end offsets less its committed ones.
The groups shared by a service's replicas are measured; a replica's own groups (heartbeats
and replies, named after its instance) are not: a replica gone leaves them behind with a
lag that grows and means nothing. A topic's end offset counts every message ever written to it
(`textmill.dead-letters.v1`: dead letters, whichever service parked them).
"""

import asyncio
import logging
import re

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Gauge

from textmill_contracts.topics import TOPICS
from textmill_infra.settings import Settings

log = logging.getLogger(__name__)
GROUP_PREFIX = "textmill-"
PER_REPLICA = re.compile(r"-(heartbeats|replies)-.")


class ConsumerLag:
    def __init__(self, settings: Settings, registry: CollectorRegistry) -> None:
        self._bootstrap = settings.kafka_bootstrap
        self.lag = Gauge(
            "textmill_kafka_consumer_lag",
            "Messages a consumer group has yet to read, by topic",
            ["group", "topic"],
            registry=registry,
        )
        self.end_offset = Gauge(
            "textmill_kafka_topic_end_offset",
            "Messages written to a topic so far (its partitions' end offsets, summed)",
            ["topic"],
            registry=registry,
        )

    async def watch(self, every: float) -> None:
        """Measure every `every` seconds until cancelled; a round that fails is logged."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        offsets = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None)
        try:
            await admin.start()
            await offsets.start()
            while True:
                try:
                    await self.measure(admin, offsets)
                except Exception:
                    log.warning("consumer lag not measured; next round", exc_info=True)
                await asyncio.sleep(every)
        finally:
            await offsets.stop()
            await admin.close()

    async def measure(self, admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer) -> None:
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in await admin.describe_topics(TOPICS.all())
            if not topic["error_code"]
            for partition in topic["partitions"]
        ]
        ends: dict[TopicPartition, int] = await offsets.end_offsets(partitions)
        for topic in {tp.topic for tp in ends}:
            self.end_offset.labels(topic).set(sum(n for tp, n in ends.items() if tp.topic == topic))
        behind: dict[tuple[str, str], int] = {}
        for group in await shared_groups(admin):
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                if tp in ends and meta.offset >= 0:
                    key = (group, tp.topic)
                    behind[key] = behind.get(key, 0) + max(0, ends[tp] - meta.offset)
        self.lag.clear()  # groups gone idle since the last round leave
        for (group, topic), messages in behind.items():
            self.lag.labels(group, topic).set(messages)


async def shared_groups(admin: AIOKafkaAdminClient) -> list[str]:
    groups = (group for group, _ in await admin.list_consumer_groups())
    return sorted(g for g in groups if g.startswith(GROUP_PREFIX) and not PER_REPLICA.search(g))

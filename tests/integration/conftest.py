"""Integration fixtures: clients of the real Kafka, FerretDB and Redis of the local stack."""

import uuid
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import CollectorRegistry
from pymongo import monitoring

from textmill_contracts.envelope import utc_now
from textmill_coordinator import handlers
from textmill_coordinator.adapters.liveness import LivenessTable
from textmill_coordinator.domain.liveness import InstanceLiveness
from textmill_coordinator.domain.updates import RunRates, UpdateThrottle
from textmill_infra.clients import make_mongo, make_redis, make_sync_mongo
from textmill_infra.kafka import make_broker
from textmill_infra.messaging import Publisher
from textmill_infra.settings import Settings
from textmill_storage import RunRecords, RunViews, ShardRecords, ShardReleases
from textmill_storage.collections import RUNS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def settings(local_stack) -> Settings:
    return Settings()


@pytest.fixture
async def mongo(settings):
    client = make_mongo(settings)
    yield client
    await client.close()


@pytest.fixture
async def scratch_db(mongo):
    """A database of its own for one test, dropped afterwards."""
    name = f"textmill_test_{uuid.uuid4().hex[:8]}"
    yield mongo[name]
    await mongo.drop_database(name)


@pytest.fixture
def sync_db(settings, scratch_db):
    """The synchronous client's view of `scratch_db`, as the readers in threads use it."""
    client = make_sync_mongo(settings)
    yield client[scratch_db.name]
    client.close()


@pytest.fixture
async def redis(settings):
    client = make_redis(settings)
    yield client
    await client.aclose()


@pytest.fixture
async def producer(settings):
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
async def consumer_factory(settings):
    """Makes consumers, in fresh groups, that see only records sent after they are made."""
    consumers: list[AIOKafkaConsumer] = []

    async def make(topic: str) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=f"test-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        consumers.append(consumer)
        await consumer.start()
        # With "latest", only records after the assignment count: wait for it.
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        for partition in consumer.assignment():
            await consumer.position(partition)
        return consumer

    yield make
    for consumer in consumers:
        await consumer.stop()


async def records(consumer: AIOKafkaConsumer, until, timeout: float = 20.0) -> list:
    """Every record seen until `until(record)` is true for one of them, or the timeout."""
    import asyncio

    seen = []
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        batch = await consumer.getmany(timeout_ms=500)
        for partition_records in batch.values():
            seen.extend(partition_records)
            if any(until(r) for r in partition_records):
                return seen
    return seen


async def new_run(db, status: str = "accepted", columns: tuple[str, ...] = ("review",)) -> str:
    """A run of `columns` stored as the gateway stores one, in `status`; its id."""
    run_id = uuid.uuid4().hex
    await db[RUNS].insert_one(
        {
            "_id": run_id,
            "tenant": "t",
            "file_id": "f",
            "columns": list(columns),
            "chains": ["sentiment"],
            "status": status,
            "created_at": utc_now(),
        }
    )
    return run_id


@pytest.fixture
async def topic(settings):
    """A topic of one partition of its own for one test, deleted afterwards."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    name = f"textmill.test.{uuid.uuid4().hex[:8]}"
    await admin.create_topics([NewTopic(name, 1, 1)])
    yield name
    await admin.delete_topics([name])
    await admin.close()


class FindFilters(monitoring.CommandListener):
    """The filters of the `find`s a client sends to `collection`: what a test asks the
    real server to explain, or checks for lookups by `_id` alone."""

    def __init__(self, collection: str) -> None:
        self.collection = collection
        self.filters: list[dict] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command["find"] == self.collection:
            self.filters.append(dict(event.command.get("filter", {})))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


@pytest.fixture
async def broker(settings):
    broker = make_broker(settings, "test-sweep", CollectorRegistry())
    await broker.connect()
    yield broker
    await broker.stop()


@pytest.fixture
async def coordinator(scratch_db, settings, broker, redis):
    """The coordinator's handlers over the real store, Kafka and Redis, with one worker
    heartbeating (`alive`) in its liveness table."""
    liveness = LivenessTable(redis, timedelta(minutes=1))
    now = utc_now()
    await liveness.put(InstanceLiveness("worker", "alive", 0, now, "ready", 1))
    runs = RunRecords(scratch_db)
    return handlers.Deps(
        publisher=Publisher(broker),
        runs=runs,
        shards=ShardRecords(scratch_db),
        row_indexes=None,
        liveness=liveness,
        throttle=UpdateThrottle(),
        rates=RunRates(),
        shard_partitions=settings.kafka_topic_partitions,
        releases=ShardReleases(scratch_db),
        views=RunViews(runs, fresh_seconds=0.5),
    )

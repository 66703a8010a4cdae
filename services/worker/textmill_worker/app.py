"""The worker's composition root: analyses shards in the `textmill-workers` consumer group
(Kafka spreads the shard partitions over the members) and answers quick text analyses.
The chains run in this process (`TEXTMILL_WORKER_POOL=0`, run one worker per core) or in a
pool of that many processes (see `compute.py`)."""

import asyncio
import logging
import os

from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage

from textmill_contracts.topics import TOPICS
from textmill_infra.kafka import Subscription
from textmill_infra.runs import RunGate
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings
from textmill_infra.stores import make_sync_mongo
from textmill_worker.adapters.shards import ShardRows, ShardStore
from textmill_worker.compute import make_compute
from textmill_worker.handlers import QuickHandler, ShardHandler

# At-least-once: a shard's offset is committed only once the shard is stored; a worker
# that dies mid-shard leaves it uncommitted and Kafka hands it to another member, which
# resumes from the shard's checkpoint.
SHARDS = Subscription(group_id="textmill-workers")
QUICK = Subscription(group_id="textmill-workers-quick")


def create_app(settings: Settings) -> AsgiFastStream:
    # YAKE logs a warning quoting the cell's text when it gives up on one: cell text may be
    # personal data, and the cell's result already says it has no keywords.
    logging.getLogger("yake").setLevel(logging.ERROR)
    if settings.worker_nice:
        os.nice(settings.worker_nice)  # a pool's processes inherit it
    runtime = ServiceRuntime(name="worker", settings=settings)
    db = runtime.attach_mongo()
    redis = runtime.attach_redis()
    sync_mongo = make_sync_mongo(settings)
    runtime.on_close.append(lambda: asyncio.to_thread(sync_mongo.close))
    compute = make_compute(settings.worker_pool, idle=settings.worker_idle_chains)
    runtime.on_close.append(lambda: asyncio.to_thread(compute.close))
    shards = ShardHandler(
        runtime.broker,
        ShardStore(db),
        ShardRows(sync_mongo[settings.mongo_db]),
        RunGate(redis),
        settings.instance_id,
        compute=compute,
    )
    quick = QuickHandler(runtime.broker, compute)
    runtime.on_startup.append(compute.start)

    @runtime.broker.subscriber(TOPICS.shards, **SHARDS.kwargs())
    async def on_shard(message: KafkaMessage) -> None:
        await shards.on_shard(message)

    @runtime.broker.subscriber(TOPICS.analyze_texts, **QUICK.kwargs())
    async def on_texts(message: KafkaMessage) -> None:
        await quick.on_texts(message)

    return runtime.asgi()

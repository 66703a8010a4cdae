"""The worker's composition root: analyses shards in the `textmill-workers` consumer group
(one worker process per core; Kafka spreads the shard partitions over them) and answers
quick text analyses."""

import asyncio
import logging

from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage

from textmill_contracts.topics import TOPICS
from textmill_infra.kafka import Subscription
from textmill_infra.runs import RunGate
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings
from textmill_infra.stores import make_sync_mongo
from textmill_worker.adapters.shards import ShardRows, ShardStore
from textmill_worker.chains import warm_up
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
    runtime = ServiceRuntime(name="worker", settings=settings)
    db = runtime.attach_mongo()
    redis = runtime.attach_redis()
    sync_mongo = make_sync_mongo(settings)
    runtime.on_close.append(lambda: asyncio.to_thread(sync_mongo.close))
    shards = ShardHandler(
        runtime.broker,
        ShardStore(db),
        ShardRows(sync_mongo[settings.mongo_db]),
        RunGate(redis),
        settings.instance_id,
    )
    quick = QuickHandler(runtime.broker)
    # Load every chain's models before the first shard, not during it.
    runtime.on_startup.append(lambda: asyncio.to_thread(warm_up))

    @runtime.broker.subscriber(TOPICS.shards, **SHARDS.kwargs())
    async def on_shard(message: KafkaMessage) -> None:
        await shards.on_shard(message)

    @runtime.broker.subscriber(TOPICS.analyze_texts, **QUICK.kwargs())
    async def on_texts(message: KafkaMessage) -> None:
        await quick.on_texts(message)

    return runtime.asgi()

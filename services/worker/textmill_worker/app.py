"""The worker's composition root: analyses shards in the `textmill-workers` consumer group
(Kafka spreads the shard partitions over the members) and answers quick text analyses.
The chains run in this process (`TEXTMILL_WORKER_POOL=0`: run one worker per core) or in a
pool of that many processes (`adapters/compute.py`)."""

import asyncio
import logging
import os
import time

from faststream.asgi import AsgiFastStream

from textmill_contracts.commands import AnalyzeTexts, ShardAssigned
from textmill_contracts.topics import TOPICS
from textmill_infra.clients import make_sync_mongo
from textmill_infra.kafka import FAST_FAILOVER, Subscription
from textmill_infra.messaging import subscribe
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings
from textmill_storage import CancelFence, ProfileStore, ResultBatches, ShardRecords
from textmill_worker import handlers
from textmill_worker.adapters.column_languages import ColumnLanguages
from textmill_worker.adapters.compute import ChainSettings, make_compute
from textmill_worker.adapters.metrics import WorkerMetrics
from textmill_worker.adapters.rows import SIBLING_BYTES, ShardRows, SiblingValues
from textmill_worker.domain.throughput import Throughput

# At-least-once: a shard's offset is committed only once the shard is stored; a worker
# that dies mid-shard leaves it uncommitted and Kafka hands it to another member, which
# resumes from the shard's checkpoint. A fetch held 100 ms at most: a shard released to a
# partition other than the last one's waited for the broker's hold of the in-flight fetch
# (500 ms by default), 0.29-0.41 s between shards, against 0.04-0.08 s so.
SHARDS = Subscription(group_id="textmill-workers", fetch_max_wait_ms=100, **FAST_FAILOVER)
QUICK = Subscription(group_id="textmill-workers-quick")


def create_app(settings: Settings) -> AsgiFastStream:
    # YAKE logs a warning quoting the cell's text when it gives up on one: cell text may be
    # personal data, and the cell's result already says it has no keywords.
    logging.getLogger("yake").setLevel(logging.ERROR)
    if settings.worker_nice:
        os.nice(settings.worker_nice)  # a pool's processes inherit it
    runtime = ServiceRuntime(name="worker", settings=settings)
    db = runtime.attach_mongo()
    sync_mongo = make_sync_mongo(settings)
    runtime.on_close.append(lambda: asyncio.to_thread(sync_mongo.close))
    compute = make_compute(
        settings.worker_pool,
        idle=settings.worker_idle_chains,
        chain_settings=ChainSettings(
            models_dir=settings.models_dir, phone_regions=tuple(settings.phone_regions)
        ),
    )
    runtime.on_startup.append(compute.start)
    runtime.on_close.append(lambda: asyncio.to_thread(compute.close))
    throughput = Throughput()
    metrics = WorkerMetrics(
        runtime.registry,
        lambda chain: settings.chain_prices_per_1k_tokens.get(chain, settings.price_per_1k_tokens),
    )
    metrics.processes.set(max(1, compute.processes))  # a thread of the worker counts as one
    deps = handlers.Deps(
        publisher=runtime.publisher,
        shards=ShardRecords(db),
        results=ResultBatches(db),
        rows=ShardRows(sync_mongo[settings.mongo_db], SiblingValues(SIBLING_BYTES)),
        fence=CancelFence(runtime.attach_redis()),
        compute=compute,
        worker=settings.instance_id,
        throughput=throughput,
        metrics=metrics,
        languages=ColumnLanguages(ProfileStore(db)),
    )
    runtime.heartbeat.report_work(
        chain_processes=compute.processes,
        cells_per_s=lambda: throughput.cells_per_s(time.monotonic()),
    )
    for topic, subscription, model, handler in (
        (TOPICS.shards, SHARDS, ShardAssigned, handlers.analyse_shard),
        (TOPICS.analyze_texts, QUICK, AnalyzeTexts, handlers.analyse_texts),
    ):
        subscribe(runtime.broker, topic, subscription, model, handler, deps)
    return runtime.asgi()

"""The coordinator's composition root: the liveness table of every service instance, run
planning, progress, cancels, and the sweep of stalled shards."""

import asyncio
from datetime import timedelta

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream

from textmill_contracts.commands import AnalyzeRequested
from textmill_contracts.events import Heartbeat, RunCancelled, ShardProgress
from textmill_contracts.topics import TOPICS
from textmill_coordinator import handlers
from textmill_coordinator.adapters.column_lengths import ColumnLengths
from textmill_coordinator.adapters.liveness import LivenessTable
from textmill_coordinator.adapters.metrics import CoordinatorMetrics
from textmill_coordinator.domain.liveness import liveness_timeout
from textmill_coordinator.domain.updates import RunRates, UpdateThrottle
from textmill_infra.clients import make_sync_mongo
from textmill_infra.kafka import FAST_FAILOVER, Subscription
from textmill_infra.lag import ConsumerLag
from textmill_infra.messaging import subscribe
from textmill_infra.redis_memory import RedisMemory
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings
from textmill_storage import (
    RowIndexes,
    RunRecords,
    RunViews,
    ShardPaces,
    ShardRecords,
    ShardReleases,
)

# Old heartbeats say nothing about now, and the next beat comes within seconds: start at
# the latest record and commit on receipt (at-most-once is the right trade here).
HEARTBEATS = Subscription(
    group_id="textmill-coordinator-heartbeats",
    ack_policy=AckPolicy.ACK_FIRST,
    auto_offset_reset="latest",
)
# Run commands and progress: at-least-once (commit after the handler), from the earliest
# uncommitted record; each handler is idempotent by the key `handlers` names.
ANALYZE = Subscription(group_id="textmill-coordinator", **FAST_FAILOVER)
# Run completion waits on progress: fetch every 100 ms at most (see Subscription).
PROGRESS = Subscription(
    group_id="textmill-coordinator-progress", fetch_max_wait_ms=100, **FAST_FAILOVER
)
CONTROL = Subscription(group_id="textmill-coordinator-control")
SWEEP_SECONDS = 5.0
# A release round this often at least; a shard nearly done on this replica starts one at once.
RELEASE_SECONDS = 1.0
# A release round reads a run's document again once this old (`RunViews`).
VIEW_SECONDS = 0.5
# Consumer lag and Redis's memory are measured this often (by every replica alike).
WATCH_SECONDS = 10.0


def create_app(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime(name="coordinator", settings=settings)
    db = runtime.attach_mongo()
    redis = runtime.attach_redis()
    sync_mongo = make_sync_mongo(settings)
    runtime.on_close.append(lambda: asyncio.to_thread(sync_mongo.close))
    runs = RunRecords(db)
    deps = handlers.Deps(
        publisher=runtime.publisher,
        runs=runs,
        shards=ShardRecords(db),
        row_indexes=RowIndexes(sync_mongo[settings.mongo_db]),
        liveness=LivenessTable(redis, liveness_timeout(settings.heartbeat_seconds)),
        throttle=UpdateThrottle(),
        rates=RunRates(),
        shard_partitions=settings.kafka_topic_partitions,
        releases=ShardReleases(db),
        instance=settings.instance_id,
        metrics=CoordinatorMetrics(runtime.registry),
        paces=ShardPaces(redis),
        column_lengths=ColumnLengths(sync_mongo[settings.mongo_db]),
        views=RunViews(runs, fresh_seconds=VIEW_SECONDS),
    )
    for topic, subscription, model, handler in (
        (TOPICS.heartbeats, HEARTBEATS, Heartbeat, handlers.record_heartbeat),
        (TOPICS.analyze_requested, ANALYZE, AnalyzeRequested, handlers.plan_run),
        (TOPICS.shard_progress, PROGRESS, ShardProgress, handlers.fold_shard_progress),
        (TOPICS.run_control, CONTROL, RunCancelled, handlers.record_cancel),
    ):
        subscribe(runtime.broker, topic, subscription, model, handler, deps)
    stall = timedelta(seconds=max(30.0, 10 * settings.heartbeat_seconds))
    runtime.background(lambda: handlers.sweep(deps, stall, SWEEP_SECONDS))
    runtime.background(lambda: handlers.release_in_waves(deps, RELEASE_SECONDS))
    lag, memory = ConsumerLag(settings, runtime.registry), RedisMemory(redis, runtime.registry)
    runtime.background(lambda: lag.watch(WATCH_SECONDS))
    runtime.background(lambda: memory.watch(WATCH_SECONDS))
    return runtime.asgi()

"""The estimator's composition root: answers estimates over Kafka request/reply, estimates
each accepted run, and keeps its cost model up to date from completed shards, heartbeats
and completed runs."""

import asyncio
from datetime import timedelta

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream

from textmill_contracts.commands import AnalyzeRequested, EstimateRequested
from textmill_contracts.events import Heartbeat, RunUpdated, ShardProgress
from textmill_contracts.topics import TOPICS
from textmill_estimator import handlers
from textmill_estimator.adapters.calibration import Calibrator
from textmill_estimator.adapters.metrics import EstimatorMetrics
from textmill_estimator.adapters.models import CostModels
from textmill_estimator.adapters.samples import FileSamples
from textmill_estimator.domain.capacity import Workers
from textmill_estimator.domain.estimate import Pricing
from textmill_infra.clients import make_redis, make_sync_mongo
from textmill_infra.kafka import Subscription
from textmill_infra.messaging import subscribe
from textmill_infra.replies import ReplyWaiter
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings
from textmill_storage import RunRecords, RunViews, ShardPaces

# Estimates, accepted runs, shard costs and outcomes: at-least-once (commit after the
# handler), from the earliest uncommitted record; idempotent by the keys `handlers` names.
# Someone waits on each estimate: a request must not wait out the in-flight fetch of the
# other partitions (kafka.Subscription), so they are fetched every 100 ms at most.
ESTIMATES = Subscription(group_id="textmill-estimator", fetch_max_wait_ms=100)
ACCEPTED = Subscription(group_id="textmill-estimator-runs")
COSTS = Subscription(group_id="textmill-estimator-costs")
OUTCOMES = Subscription(group_id="textmill-estimator-outcomes")


def create_app(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime(name="estimator", settings=settings)
    db = runtime.attach_mongo()
    sync_mongo = make_sync_mongo(settings)
    runtime.on_close.append(lambda: asyncio.to_thread(sync_mongo.close))
    replies = ReplyWaiter(
        runtime.broker, settings.instance_id, settings.reply_timeout_seconds, service="estimator"
    )
    runtime.checks["replies"] = replies.ready
    # Not a readiness check: without Redis an estimate plans shards at the chains' speed.
    redis = make_redis(settings)
    runtime.on_close.append(redis.aclose)
    runs = RunRecords(db)
    deps = handlers.Deps(
        publisher=runtime.publisher,
        models=CostModels(db),
        samples=FileSamples(sync_mongo[settings.mongo_db]),
        calibrator=Calibrator(runtime.publisher, replies),
        runs=runs,
        workers=Workers(3 * settings.heartbeat_interval),
        pricing=Pricing(settings.price_per_1k_tokens, dict(settings.chain_prices_per_1k_tokens)),
        metrics=EstimatorMetrics(runtime.registry),
        partitions=settings.kafka_topic_partitions,
        answer_within=timedelta(seconds=settings.reply_timeout_seconds),
        paces=ShardPaces(redis),
        # An estimate reads a run's document again once it is a second old.
        under_way=RunViews(runs, fresh_seconds=1.0, estimates=True),
    )
    # Each replica keeps its own view of the workers alive: old beats say nothing of now.
    heartbeats = Subscription(
        group_id=f"textmill-estimator-heartbeats-{settings.instance_id}",
        ack_policy=AckPolicy.ACK_FIRST,
        auto_offset_reset="latest",
    )
    for topic, subscription, model, handler in (
        (TOPICS.estimate_requested, ESTIMATES, EstimateRequested, handlers.answer_estimate),
        (TOPICS.analyze_requested, ACCEPTED, AnalyzeRequested, handlers.estimate_accepted_run),
        (TOPICS.shard_progress, COSTS, ShardProgress, handlers.record_shard_costs),
        (TOPICS.heartbeats, heartbeats, Heartbeat, handlers.record_worker),
        (TOPICS.runs, OUTCOMES, RunUpdated, handlers.record_outcome),
    ):
        subscribe(runtime.broker, topic, subscription, model, handler, deps)
    return runtime.asgi()

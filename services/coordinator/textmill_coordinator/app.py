"""The coordinator's composition root: keeps the liveness table of every service instance,
plans runs into shards, folds shard progress into run status, records cancels, and
re-publishes the shards of workers that went silent."""

import asyncio
import contextlib
from datetime import timedelta

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage

from textmill_contracts.topics import TOPICS
from textmill_coordinator.adapters.liveness import LivenessTable
from textmill_coordinator.adapters.runs import RowIndexes, RunStore
from textmill_coordinator.domain import liveness_timeout
from textmill_coordinator.handlers import HeartbeatHandler
from textmill_coordinator.runs import RunCoordinator
from textmill_infra.kafka import Subscription
from textmill_infra.logs import get_logger
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings
from textmill_infra.stores import make_sync_mongo

log = get_logger(__name__)

# Old heartbeats say nothing about now, and the next beat comes within seconds: start at
# the latest record and commit on receipt (at-most-once is the right trade here).
HEARTBEATS = Subscription(
    group_id="textmill-coordinator-heartbeats",
    ack_policy=AckPolicy.ACK_FIRST,
    auto_offset_reset="latest",
)
# Run commands and progress: at-least-once (commit after the handler), from the earliest
# uncommitted record; each handler is idempotent by the key its module names.
ANALYZE = Subscription(group_id="textmill-coordinator")
# Run completion waits on progress: fetch every 100 ms at most (see Subscription).
PROGRESS = Subscription(group_id="textmill-coordinator-progress", fetch_max_wait_ms=100)
CONTROL = Subscription(group_id="textmill-coordinator-control")
SWEEP_SECONDS = 5.0


def create_app(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime(name="coordinator", settings=settings)
    db = runtime.attach_mongo()
    redis = runtime.attach_redis()
    table = LivenessTable(redis, liveness_timeout(settings.heartbeat_seconds))
    heartbeats = HeartbeatHandler(runtime.broker, table)
    sync_mongo = make_sync_mongo(settings)
    runtime.on_close.append(lambda: asyncio.to_thread(sync_mongo.close))
    run_store = RunStore(db)
    runs = RunCoordinator(
        runtime.broker,
        run_store,
        RowIndexes(sync_mongo[settings.mongo_db]),
        shard_partitions=settings.kafka_topic_partitions,
    )

    @runtime.broker.subscriber(TOPICS.heartbeats, **HEARTBEATS.kwargs())
    async def on_heartbeat(message: KafkaMessage) -> None:
        await heartbeats(message)

    @runtime.broker.subscriber(TOPICS.analyze_requested, **ANALYZE.kwargs())
    async def on_analyze_requested(message: KafkaMessage) -> None:
        await runs.on_analyze_requested(message)

    @runtime.broker.subscriber(TOPICS.shard_progress, **PROGRESS.kwargs())
    async def on_shard_progress(message: KafkaMessage) -> None:
        await runs.on_shard_progress(message)

    @runtime.broker.subscriber(TOPICS.run_control, **CONTROL.kwargs())
    async def on_run_control(message: KafkaMessage) -> None:
        await runs.on_run_cancelled(message)

    stall = timedelta(seconds=max(30.0, 10 * settings.heartbeat_seconds))
    sweeper: list[asyncio.Task] = []

    async def sweep_forever() -> None:
        registered = False
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                if not registered:
                    missing = await run_store.register_active()
                    registered = True
                    if missing:
                        log.info("active runs entered in the sweep's registry", runs=missing)
                moved = await runs.reassign_stalled(await table.alive(), stall)
                if moved:
                    log.warning("stalled shards re-published", shards=moved)
            except Exception:
                log.exception("shard sweep failed; retrying next round")

    async def start_sweeper() -> None:
        sweeper.append(asyncio.create_task(sweep_forever()))

    async def stop_sweeper() -> None:
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    runtime.on_startup.append(start_sweeper)
    runtime.on_shutdown.append(stop_sweeper)
    return runtime.asgi()

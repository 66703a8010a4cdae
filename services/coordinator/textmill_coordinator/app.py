"""The coordinator's composition root. For now it keeps the liveness table of every
service instance; run planning and shard reassignment grow here."""

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage

from textmill_contracts.topics import TOPICS
from textmill_coordinator.adapters.liveness import LivenessTable
from textmill_coordinator.domain import liveness_timeout
from textmill_coordinator.handlers import HeartbeatHandler
from textmill_infra.kafka import Subscription
from textmill_infra.service import ServiceRuntime
from textmill_infra.settings import Settings

# Old heartbeats say nothing about now, and the next beat comes within seconds: start at
# the latest record and commit on receipt (at-most-once is the right trade here).
HEARTBEATS = Subscription(
    group_id="textmill-coordinator-heartbeats",
    ack_policy=AckPolicy.ACK_FIRST,
    auto_offset_reset="latest",
)


def create_app(settings: Settings) -> AsgiFastStream:
    runtime = ServiceRuntime(name="coordinator", settings=settings)
    runtime.attach_mongo()
    redis = runtime.attach_redis()
    table = LivenessTable(redis, liveness_timeout(settings.heartbeat_seconds))
    handler = HeartbeatHandler(runtime.broker, table)

    @runtime.broker.subscriber(TOPICS.heartbeats, **HEARTBEATS.kwargs())
    async def on_heartbeat(message: KafkaMessage) -> None:
        await handler(message)

    return runtime.asgi()

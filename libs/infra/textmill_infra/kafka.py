"""Kafka broker factory and topic creation, with the delivery settings every service shares.

Producers: `acks="all"` with idempotence, so a retried send never duplicates a record.
Records may reach `MAX_MESSAGE_BYTES` (topics are created to take them): a result batch is
split into messages of 512 KB (`ResultBatch.pieces`), but a single cell's results, such as a
long text's redacted copy, can pass Kafka's default of 1 MB.
Consumers state their own group, ack policy and offset reset where they subscribe
(see `Subscription`).
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Literal

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from textmill_contracts.topics import TOPICS
from textmill_infra.feed import RETRY_DELAYS
from textmill_infra.logs import REQUEST_ID_HEADER, request_id_var
from textmill_infra.settings import Settings

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """The delivery semantics of one subscriber, stated in one place.

    Default: at-least-once. The offset is committed only after the handler returns; a
    handler that raises rewinds the partition so the message is delivered again
    (`NACK_ON_ERROR`; FastStream's `ACK` would commit it even on error, and its default
    `ACK_FIRST` commits before processing). A new group starts from the earliest record.
    A crash mid-handler means redelivery: handlers must be idempotent by the key they
    name. Poison messages never reach the handler's retry path: `messaging.subscribe`
    dead-letters them.

    `fetch_max_wait_ms` bounds latency, not only idle polling: aiokafka keeps one fetch in
    flight per broker, so a partition whose records were just handed over waits for the
    in-flight fetch of the *other* partitions, which the broker holds up to this long when
    they are empty (aiokafka's default: 500 ms). A low value costs the broker CPU while
    idle, so only consumers handed a steady flow of records that someone waits on lower it;
    one that sees a message now and then gets it at once anyway. `max_partition_fetch_bytes`
    lets one fetch carry several result batches (aiokafka's default is 1 MiB). A flow of
    records that someone waits on is a `feed.RecordFeed` (docs/record-feed.md).

    `session_timeout_ms`: how long the group waits for a member that stopped heartbeating
    (killed) before handing its partitions to the others: the floor of a recovery. 6 s
    (`FAST_FAILOVER`) is the broker's least (`group.min.session.timeout.ms`), for the groups
    whose failover a run waits on (its shards, its progress); aiokafka's 10 s otherwise.
    """

    group_id: str | None
    ack_policy: AckPolicy = AckPolicy.NACK_ON_ERROR
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    fetch_max_wait_ms: int = 500
    max_partition_fetch_bytes: int = 8 * 1024 * 1024
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000  # a third of the session, as Kafka advises

    def kwargs(self) -> dict[str, Any]:
        return {
            "session_timeout_ms": self.session_timeout_ms,
            "heartbeat_interval_ms": self.heartbeat_interval_ms,
            "group_id": self.group_id,
            "ack_policy": self.ack_policy,
            "auto_offset_reset": self.auto_offset_reset,
            "fetch_max_wait_ms": self.fetch_max_wait_ms,
            "max_partition_fetch_bytes": self.max_partition_fetch_bytes,
            "decoder": keep_body,
        }


# A member killed is replaced after this long (the broker's least session), heartbeating
# every 2 s: for the groups a run's failover waits on.
FAST_FAILOVER = {"session_timeout_ms": 6_000, "heartbeat_interval_ms": 2_000}


async def keep_body(message: KafkaMessage) -> bytes:
    """Every message is validated once, by `messaging.subscribe`; FastStream's default
    decoder would first parse each JSON body into dicts nobody reads (as much CPU again as
    the validation)."""
    return message.body


class RequestIdMiddleware(BaseMiddleware):
    """Binds the request id of a consumed message; stamps it on every published one."""

    async def consume_scope(self, call_next, msg):
        request_id = (msg.headers or {}).get(REQUEST_ID_HEADER) or msg.correlation_id
        token = request_id_var.set(request_id)
        try:
            return await call_next(msg)
        finally:
            request_id_var.reset(token)

    async def publish_scope(self, call_next, cmd):
        request_id = request_id_var.get()
        if request_id and REQUEST_ID_HEADER not in cmd.headers:
            cmd.headers[REQUEST_ID_HEADER] = request_id
        return await call_next(cmd)


class RetryBackoff(BaseMiddleware):
    """Transient errors retry with backoff. A handler that raises has its message delivered
    again (`NACK_ON_ERROR` rewinds the partition), and by itself at once: while MongoDB,
    Redis or Kafka is away, or Redis refuses writes for memory, that is a loop of failures
    as fast as the handler fails. Before the error goes on to the rewind, the subscriber
    waits as a `RecordFeed` does (`RETRY_DELAYS`: 0.1 s, growing to 5 s) after each failure
    in a row of that partition (its next message is the same one); a message handled resets
    the count. A subscriber that acknowledges first (heartbeats, replies) gets no pause:
    its message is not delivered again, and the next one should not wait. Poison messages
    never get here: `messaging.subscribe` dead-letters them. (FastStream's acknowledgement
    middleware wraps this one: on error, the rewind comes after the pause.)"""

    _failures: dict[tuple[str, int], int] = {}  # (topic, partition) -> failures in a row

    async def consume_scope(self, call_next, msg):
        record = msg.raw_message[0] if isinstance(msg.raw_message, tuple) else msg.raw_message
        where = (record.topic, record.partition)
        try:
            result = await call_next(msg)
        except Exception as exc:
            if msg.committed is not None:
                raise  # acknowledged before the handler ran (`ACK_FIRST`): nothing comes again
            failures = self._failures[where] = self._failures.get(where, 0) + 1
            delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1]
            log.warning(
                "handler failed; the message is retried after a pause",
                extra={
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "failures": failures,
                    "retry_in_s": round(delay, 2),
                    "error": f"{type(exc).__name__}: {exc}"[:300],
                },
            )
            await asyncio.sleep(delay)
            raise
        self._failures.pop(where, None)
        return result


def make_broker(settings: Settings, service: str, registry: CollectorRegistry) -> KafkaBroker:
    # FastStream's telemetry: a span per message published and processed, with the W3C
    # trace context in the message's headers (the process's tracer provider: `tracing.py`).
    telemetry = (KafkaTelemetryMiddleware(),) if settings.tracing else ()
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"textmill-{service}-{settings.instance_id}",
        acks="all",
        enable_idempotence=True,
        max_request_size=MAX_MESSAGE_BYTES,
        compression_type=None
        if settings.kafka_compression == "none"
        else settings.kafka_compression,
        request_timeout_ms=15_000,
        middlewares=(
            RetryBackoff,
            RequestIdMiddleware,
            *telemetry,
            KafkaPrometheusMiddleware(registry=registry, app_name=f"textmill-{service}"),
        ),
        logger=logging.getLogger(f"textmill.{service}.kafka"),
        # "Received" and "Processed" for every message: thousands of lines a second under
        # load. A handler's failure is still logged as an error.
        log_level=logging.DEBUG,
    )


async def ensure_topics(settings: Settings, topics: list[str] | None = None) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created. Idempotent."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in (topics or TOPICS.all()) if t not in existing]
        if not wanted:
            return []
        configs = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
        partitions = settings.kafka_topic_partitions
        new = [NewTopic(t, partitions, 1, topic_configs=configs) for t in wanted]
        try:
            await admin.create_topics(new)
        except TopicAlreadyExistsError:
            # Another replica created it between our list and create: that is success.
            pass
        return wanted
    finally:
        await admin.close()

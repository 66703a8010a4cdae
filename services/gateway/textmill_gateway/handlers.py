"""The gateway's Kafka handlers: they feed every run's stream (`adapters/streams.py`) with
the result batches of the workers (through a `RecordFeed`: clients wait on them) and the
run updates of the coordinator.

One consumer group per topic for all gateway replicas (`textmill-gateway-streams-*`): each
Kafka message is appended once, by whichever replica owns its partition, and every replica
serves clients from the same Redis stream. At-least-once (commit after the append); the
idempotency keys are the message id and, for results, the batch's (column, first record).
A result batch reaches clients as its worker published it: the feeder validates what it
routes and dedupes on (`ResultBatchKeys`), and passes the original JSON on.
"""

import asyncio
import time
from dataclasses import dataclass, field

import msgspec
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from textmill_contracts.events import TERMINAL_STATUSES, ResultBatchKeys, RunUpdated
from textmill_gateway.adapters.metrics import StreamMetrics
from textmill_gateway.adapters.streams import RunStreams
from textmill_infra.kafka import Subscription
from textmill_infra.messaging import dead_letter
from textmill_infra.tracing import record_span

# Clients wait on these (see Subscription): results within 20 ms, run updates (sent at
# most every 0.5 s) within 100 ms.
RESULTS_GROUP, RESULTS_FETCH_MAX_WAIT_MS = "textmill-gateway-streams-results", 20
RUN_STREAMS = Subscription(group_id="textmill-gateway-streams-runs", fetch_max_wait_ms=100)
# A run's "completed" must not overtake its last results, which travel on another topic:
# wait (bounded) until the stream holds as many cells as the run says are done.
CATCH_UP_SECONDS = 30.0


@dataclass(frozen=True, kw_only=True)
class Deps:
    broker: KafkaBroker  # for dead letters of the results feed
    streams: RunStreams
    metrics: StreamMetrics = field(default_factory=StreamMetrics)


async def stream_results(records: list[ConsumerRecord], deps: Deps) -> None:
    """`ResultBatch` records of one partition, appended in order (a span each: the last
    step of the run's trace)."""
    for record in records:
        with record_span(record):
            await _stream_result(record, deps)


async def _stream_result(record: ConsumerRecord, deps: Deps) -> None:
    try:
        batch = ResultBatchKeys.decode(record.value or b"")
    except msgspec.MsgspecError as exc:
        await dead_letter(deps.broker, record, f"ResultBatchKeys: {exc}")
        return
    if not batch.results:
        return  # empty, which no worker publishes
    key = f"{batch.column}\x1f{batch.results[0].record}"
    await deps.streams.append_results(
        batch.run_id, batch.message_id, key, len(batch.results), record.value
    )
    # The record's timestamp is its producer's (the worker's clock, in ms).
    deps.metrics.latency.observe(max(0.0, time.time() - record.timestamp / 1000))


async def stream_run_update(update: RunUpdated, deps: Deps) -> None:
    # A run's stream holds its earlier updates; one without a stream is no run this
    # gateway has seen start, and its results are not on their way: no wait for them
    # (a forged update held its partition up for the whole wait, message after message).
    if update.status == "completed" and await deps.streams.exists(update.run_id):
        deadline = asyncio.get_running_loop().time() + CATCH_UP_SECONDS
        while await deps.streams.cells_streamed(update.run_id) < update.cells_done:
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.05)
    await deps.streams.append(
        update.run_id,
        update.message_id,
        "run",
        update.model_dump_json(),
        final=update.status in TERMINAL_STATUSES,
    )

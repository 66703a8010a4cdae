"""Feeds every run's stream (`adapters/streams.py`) from Kafka: result batches from the
workers (a `RecordFeed`: clients wait on them) and run updates from the coordinator.

One consumer group per topic for all gateway replicas (`textmill-gateway-streams-*`): each Kafka
message is appended once, by whichever replica owns its partition, and every replica
serves clients from the same Redis stream. At-least-once (commit after the append); the
idempotency keys are the message id and, for results, the batch's (column, first record).
A result batch reaches clients as its worker published it: the feeder validates what it
routes and dedupes on (`ResultBatchKeys`: run, column, message id, record numbers), and
passes the original JSON on rather than parse its cells and encode them again.
"""

import asyncio

import msgspec
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from textmill_contracts.runs import TERMINAL_STATUSES, ResultBatchKeys, RunUpdated
from textmill_gateway.adapters.streams import RunStreams
from textmill_infra.kafka import Subscription, dead_letter, decode

# Clients wait on these (see Subscription): results within 20 ms, run updates (sent at
# most every 0.5 s) within 100 ms.
RESULTS_GROUP, RESULTS_FETCH_MAX_WAIT_MS = "textmill-gateway-streams-results", 20
RUN_STREAMS = Subscription(group_id="textmill-gateway-streams-runs", fetch_max_wait_ms=100)
# A run's "completed" must not overtake its last results, which travel on another topic:
# wait (bounded) until the stream holds as many cells as the run says are done.
CATCH_UP_SECONDS = 30.0


class StreamFeeder:
    def __init__(self, broker: KafkaBroker, streams: RunStreams) -> None:
        self._broker, self._streams = broker, streams

    async def on_results(self, records: list[ConsumerRecord]) -> None:
        """`ResultBatch` records of one partition, appended in order."""
        for record in records:
            try:
                batch = ResultBatchKeys.decode(record.value or b"")
            except msgspec.MsgspecError as exc:
                await dead_letter(self._broker, record, f"ResultBatchKeys: {exc}")
                continue
            if not batch.results:
                continue  # empty, which no worker publishes
            key = f"{batch.column}\x1f{batch.results[0].record}"
            await self._streams.append_results(
                batch.run_id, batch.message_id, key, len(batch.results), record.value
            )

    async def on_run(self, message: KafkaMessage) -> None:
        update = await decode(self._broker, message, RunUpdated)
        if update is None:
            return
        # A run's stream holds its earlier updates; one without a stream is no run this
        # gateway has seen start, and its results are not on their way: no wait for them
        # (a forged update held its partition up for the whole wait, message after message).
        if update.status == "completed" and await self._streams.exists(update.run_id):
            deadline = asyncio.get_running_loop().time() + CATCH_UP_SECONDS
            while await self._streams.cells_streamed(update.run_id) < update.cells_done:
                if asyncio.get_running_loop().time() > deadline:
                    break
                await asyncio.sleep(0.05)
        await self._streams.append(
            update.run_id,
            update.message_id,
            "run",
            update.model_dump_json(),
            final=update.status in TERMINAL_STATUSES,
        )

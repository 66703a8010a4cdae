"""Kafka handlers of the coordinator. Heartbeats are idempotent by (instance id, sequence)."""

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from textmill_contracts import Heartbeat
from textmill_contracts.envelope import utc_now
from textmill_coordinator.adapters.liveness import LivenessTable
from textmill_coordinator.domain import observe
from textmill_infra.kafka import decode


class HeartbeatHandler:
    def __init__(self, broker: KafkaBroker, table: LivenessTable) -> None:
        self._broker, self._table = broker, table

    async def __call__(self, message: KafkaMessage) -> None:
        beat = await decode(self._broker, message, Heartbeat)
        if beat is None:
            return
        updated = observe(await self._table.get(beat.instance_id), beat, utc_now())
        if updated is not None:
            await self._table.put(updated)

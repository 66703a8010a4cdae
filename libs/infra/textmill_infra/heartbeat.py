"""Publishes a `Heartbeat` for this service instance every `heartbeat_seconds`."""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from faststream.kafka import KafkaBroker

from textmill_contracts.envelope import utc_now
from textmill_contracts.events import Heartbeat
from textmill_contracts.topics import TOPICS
from textmill_infra.messaging import Publisher
from textmill_infra.settings import ServiceName, Settings

log = logging.getLogger(__name__)


class HeartbeatEmitter:
    def __init__(
        self,
        broker: KafkaBroker,
        service: ServiceName,
        settings: Settings,
        capacity: Callable[[], int] = lambda: 1,
    ) -> None:
        self._publisher = Publisher(broker)
        self._service = service
        self._settings = settings
        self._capacity = capacity
        self._chain_processes: int | None = None
        self._cells_per_s: Callable[[], float | None] = lambda: None
        self._started_at = utc_now()
        self._sequence = 0
        self._task: asyncio.Task | None = None
        self.status = "ready"

    def report_work(self, *, chain_processes: int, cells_per_s: Callable[[], float | None]) -> None:
        """A worker's beats say its chain processes and its recent throughput too."""
        self._chain_processes, self._cells_per_s = chain_processes, cells_per_s
        self._capacity = lambda: max(1, chain_processes)

    def beat(self) -> Heartbeat:
        beat = Heartbeat(
            service=self._service,
            instance_id=self._settings.instance_id,
            started_at=self._started_at,
            sequence=self._sequence,
            status=self.status,
            capacity=self._capacity(),
            chain_processes=self._chain_processes,
            cells_per_s=self._cells_per_s(),
        )
        self._sequence += 1
        return beat

    async def _loop(self) -> None:
        while True:
            try:
                await self._publisher.publish(
                    self.beat(), TOPICS.heartbeats, key=self._settings.instance_id
                )
            except Exception:
                # A missed beat is what the coordinator watches for; never crash on it.
                log.warning("heartbeat not published", exc_info=True)
            await asyncio.sleep(self._settings.heartbeat_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"heartbeat-{self._service}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

"""`RecordFeed`: a consumer-group subscription for a flow of records that someone waits on
(the gateway's feed of result batches into the runs' live streams). FastStream's batch
subscriber sleeps after an empty poll and commits before it polls again, and records that
arrive meanwhile wait; a feed polls with a long timeout (aiokafka hands records over as
soon as they arrive) and commits in the background (docs/record-feed.md).

Delivery: at-least-once. A partition's offset is committed only past records its handler
has returned from. A handler that raises is handed the same records again after a backoff,
in place (nothing after them is handled first), so it must be idempotent and should
dead-letter what no retry can fix. Commits coalesce: one in flight, the next carries the
newest offsets. A commit that fails is retried with the next one, unless a rebalance moved
the partition: its new owner is handed those records again. When partitions are revoked,
the feed first commits what had been handled by then. A commit waits
`COMMIT_WAIT_SECONDS` at most on revoke and on stop. A new group starts from the earliest
record. A Kafka error while polling is logged and the feed polls again after a pause.
"""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter

from textmill_infra.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[list[ConsumerRecord]], Awaitable[None]]
POLL_MS = 1_000  # how long a poll waits when nothing comes (records end it at once)
RETRY_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # then 5 s between tries
COMMIT_WAIT_SECONDS = 10.0  # on revoke and stop (aiokafka retries a commit without end)
POLL_ERROR_PAUSE_SECONDS = 5.0


class RecordFeed:
    """Hands each fetched run of records of one partition, in order, to `handle`.

    `fetch_max_wait_ms` bounds latency as well (see `Subscription`): aiokafka keeps one
    fetch in flight, which the broker holds this long when the other partitions are empty.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        topic: str,
        group_id: str,
        handle: Handler,
        client_id: str,
        registry: CollectorRegistry | None = None,
        fetch_max_wait_ms: int = 20,
        max_records: int = 100,
        max_partition_fetch_bytes: int = 8 * 1024 * 1024,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.topic, self.group_id = topic, group_id
        self._handle, self._max_records, self._delays = handle, max_records, retry_delays
        self._consumer_config: dict[str, Any] = {
            "bootstrap_servers": settings.kafka_bootstrap,
            "group_id": group_id,
            "client_id": client_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "fetch_max_wait_ms": fetch_max_wait_ms,
            "max_partition_fetch_bytes": max_partition_fetch_bytes,
            "request_timeout_ms": 15_000,
        }
        self._consumer: AIOKafkaConsumer | None = None  # made in the running loop, by start
        self._handled: dict[TopicPartition, int] = {}  # next offset, not yet committed
        self._commit: asyncio.Task[None] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        registry = registry or CollectorRegistry()

        def counter(name: str, documentation: str) -> Any:
            return Counter(name, documentation, ["topic", "group"], registry=registry).labels(
                topic=topic, group=group_id
            )

        self._records = counter(
            "textmill_feed_records", "Records a feed's handler has returned from"
        )
        self._failures = counter(
            "textmill_feed_handler_failures",
            "Times a feed's handler raised (its records are handed to it again)",
        )

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(**self._consumer_config)
        self._consumer.subscribe([self.topic], listener=_CommitOnRevoke(self))
        await self._consumer.start()
        self._loop_task = asyncio.create_task(self._run(), name=f"feed {self.topic}")
        self._loop_task.add_done_callback(self._report_crash)

    def _report_crash(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            # Not a Kafka error (those are retried): the feed no longer polls, and readiness
            # (`ready`) says so.
            log.error(
                "feed stopped polling", extra={"topic": self.topic}, exc_info=task.exception()
            )

    async def stop(self) -> None:
        """Stop polling (a handler under way is cancelled: its records were not committed
        and are handed over again), commit what was handled, leave the group."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._consumer is not None:
            await self.flush(timeout=COMMIT_WAIT_SECONDS)
            await self._consumer.stop()

    @property
    def _kafka(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError(f"the feed of {self.topic} is not started")
        return self._consumer

    async def ready(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    async def flush(self, timeout: float | None = None) -> None:
        """Wait for the commit in flight, then commit whatever was handled since; give up
        after `timeout` seconds (the records not committed are handed over again)."""

        async def flush() -> None:
            if self._commit is not None:
                await asyncio.gather(self._commit, return_exceptions=True)
            await self._commit_handled()

        try:
            await asyncio.wait_for(flush(), timeout)
        except TimeoutError:
            log.warning(
                "feed commit gave up; those records are handed over again",
                extra={"topic": self.topic, "waited_s": timeout},
            )

    async def _run(self) -> None:
        while True:
            try:
                fetched = await self._kafka.getmany(
                    timeout_ms=POLL_MS, max_records=self._max_records
                )
            except KafkaError as exc:  # not ConsumerStoppedError: that one ends the loop
                log.warning(
                    "feed poll failed; polling again",
                    extra={"topic": self.topic, "retry_in": POLL_ERROR_PAUSE_SECONDS},
                    exc_info=exc,
                )
                await asyncio.sleep(POLL_ERROR_PAUSE_SECONDS)
                continue
            for partition, records in fetched.items():
                await self._hand_over(records)
                self._handled[partition] = records[-1].offset + 1
                self._records.inc(len(records))
            if self._handled and (self._commit is None or self._commit.done()):
                self._commit = asyncio.create_task(self._commit_handled())

    async def _hand_over(self, records: list[ConsumerRecord]) -> None:
        for attempt in itertools.count():
            try:
                return await self._handle(records)
            except Exception as exc:
                self._failures.inc()
                delay = self._delays[min(attempt, len(self._delays) - 1)]
                log.warning(
                    "feed handler failed; its records are handed over again",
                    extra={"topic": self.topic, "offset": records[0].offset, "retry_in": delay},
                    exc_info=exc,
                )
                await asyncio.sleep(delay)

    async def _commit_handled(self) -> None:
        # Records handled while a commit is in flight are committed by the next one, which
        # `_run` starts after its next poll, or `flush`.
        offsets, self._handled = self._handled, {}
        assigned = self._kafka.assignment()
        lost = {tp: offset for tp, offset in offsets.items() if tp not in assigned}
        if lost:
            log.info(
                "feed partitions moved before their commit; the new owner redoes those records",
                extra={"topic": self.topic, "offsets": _describe(lost)},
            )
        offsets = {tp: offset for tp, offset in offsets.items() if tp in assigned}
        if not offsets:
            return
        try:
            await self._kafka.commit(offsets)
        except Exception as exc:  # any failure: the offsets are retried or redone
            log.warning(
                "feed commit failed; retried with the next commit",
                extra={"topic": self.topic, "offsets": _describe(offsets), "error": repr(exc)},
            )
            for tp, offset in offsets.items():  # unless newer ones are waiting already
                self._handled[tp] = max(offset, self._handled.get(tp, 0))


class _CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self, feed: RecordFeed) -> None:
        self._feed = feed

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._feed.flush(timeout=COMMIT_WAIT_SECONDS)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        pass


def _describe(offsets: dict[TopicPartition, int]) -> dict[str, int]:
    return {f"{tp.topic}[{tp.partition}]": offset for tp, offset in offsets.items()}

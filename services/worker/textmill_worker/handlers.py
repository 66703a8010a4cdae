"""The worker's Kafka handlers: analyse one shard, or a handful of texts for a quick reply.

A shard is idempotent by (run, column, record): results are inserted with that key, so a
redelivered or reassigned shard writes only what is missing, and it starts from the
shard's checkpoint (`offset`), which moves after every stored batch. Before each write the
worker enters the run's cancel fence; once a cancel is acknowledged nothing more is written.
"""

import asyncio
import time
from collections.abc import Iterator
from itertools import islice

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pymongo.errors import ConnectionFailure

from textmill_contracts.runs import (
    AnalyzeTexts,
    CellResult,
    ResultBatch,
    ShardAssigned,
    ShardProgress,
    TextsAnalyzed,
)
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS
from textmill_infra.kafka import decode
from textmill_infra.logs import get_logger
from textmill_infra.runs import RESULT_BATCH, RunGate
from textmill_tabular import TabularError
from textmill_worker.adapters.shards import ShardRows, ShardStore
from textmill_worker.chains import Chain, UnknownChain, analyse_cells, get_chains

log = get_logger(__name__)
# Batches are the stored unit (aligned to RESULT_BATCH); shards start on a batch boundary,
# and so does every checkpoint.
BATCH_ROWS = RESULT_BATCH


def analyse_next(
    rows: Iterator[tuple[int, list[str]]], chains: list[Chain], limit: int
) -> tuple[list[int], list[dict]]:
    """Read up to `limit` rows and analyse them: (records, cell results). Runs in a thread."""
    taken = list(islice(rows, limit))
    records = [record for record, _ in taken]
    return records, analyse_cells(chains, [values[0] for _, values in taken])


class ShardHandler:
    def __init__(
        self,
        broker: KafkaBroker,
        shards: ShardStore,
        rows: ShardRows,
        gate: RunGate,
        worker: str,
        *,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self._broker, self._shards, self._rows, self._gate = broker, shards, rows, gate
        self._worker, self._batch_rows = worker, batch_rows

    async def on_shard(self, message: KafkaMessage) -> None:
        command = await decode(self._broker, message, ShardAssigned)
        if command is None:
            return
        shard = await self._shards.get(command.shard_id)
        if shard is None:
            log.warning("shard not in the store; skipped", shard_id=command.shard_id)
            return
        offset = max(command.start, int(shard.get("offset", command.start)))
        if shard.get("done") or offset >= command.end:
            await self._progress(command, offset, done=True)  # tell the coordinator again
            return
        if await self._gate.is_cancelled(command.run_id):
            return
        resumed_from = offset if offset > command.start else 0
        if resumed_from:
            log.info("resuming shard from its checkpoint", shard_id=command.shard_id, offset=offset)
        await self._shards.claim(command.shard_id, self._worker, command.attempt, resumed_from)
        try:
            await self._analyse(command, offset)
        except ConnectionFailure:
            raise  # the store is away: redelivery resumes from the checkpoint
        except (TabularError, LookupError, UnknownChain, ValueError) as exc:
            log.warning("shard failed", shard_id=command.shard_id, error=str(exc))
            await self._progress(command, offset, failed=f"{type(exc).__name__}: {exc}")

    async def _analyse(self, command: ShardAssigned, offset: int) -> None:
        chains = get_chains(command.chains)
        position, rows = await asyncio.to_thread(
            self._rows.open, command.file_id, command.column, offset, command.end
        )
        try:
            while offset < command.end:
                records, results = await asyncio.to_thread(
                    analyse_next, rows, chains, self._batch_rows
                )
                if not records:
                    break  # the file ends before the planned range does
                docs = [
                    {"record": record, **result}
                    for record, result in zip(records, results, strict=True)
                ]
                if not await self._gate.enter(command.run_id):
                    log.info("run cancelled; shard stops", shard_id=command.shard_id)
                    return
                try:
                    await self._shards.write_batch(command.run_id, command.column, position, docs)
                finally:
                    await self._gate.leave(command.run_id)
                offset = records[-1] + 1
                await self._shards.checkpoint(
                    command.shard_id, offset, offset - command.start, offset >= command.end
                )
                await self._publish_results(command, docs)
                await self._progress(command, offset, done=offset >= command.end)
        finally:
            await asyncio.to_thread(rows.close)
        if offset < command.end:
            await self._shards.checkpoint(
                command.shard_id, command.end, offset - command.start, True
            )
            await self._progress(command, command.end, done=True)

    async def _publish_results(self, command: ShardAssigned, docs: list[dict]) -> None:
        event = ResultBatch(
            run_id=command.run_id,
            tenant=command.tenant,
            shard_id=command.shard_id,
            column=command.column,
            worker=self._worker,
            results=[
                CellResult(
                    record=d["record"], status=d["status"], reason=d["reason"], chains=d["chains"]
                )
                for d in docs
            ],
        )
        await self._broker.publish(
            event,
            TOPICS.results,
            key=command.run_id.encode(),
            headers={MESSAGE_TYPE_HEADER: event.schema_name},
        )

    async def _progress(
        self, command: ShardAssigned, offset: int, *, done: bool = False, failed: str | None = None
    ) -> None:
        event = ShardProgress(
            run_id=command.run_id,
            shard_id=command.shard_id,
            column=command.column,
            worker=self._worker,
            offset=offset,
            cells=offset - command.start,
            done=done,
            failed=failed,
        )
        await self._broker.publish(
            event,
            TOPICS.shard_progress,
            key=command.run_id.encode(),
            headers={MESSAGE_TYPE_HEADER: event.schema_name},
        )


class QuickHandler:
    """`AnalyzeTexts`: at most 100 texts, answered on the requester's reply topic."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def on_texts(self, message: KafkaMessage) -> None:
        command = await decode(self._broker, message, AnalyzeTexts)
        if command is None:
            return
        started = time.perf_counter()
        chains = get_chains(command.chains)
        results = await asyncio.to_thread(analyse_cells, chains, list(command.texts))
        reply = TextsAnalyzed(
            correlation_id=command.correlation_id,
            results=[CellResult(record=i, **result) for i, result in enumerate(results)],
        )
        await self._broker.publish(
            reply,
            command.reply_to,
            correlation_id=command.correlation_id,
            headers={MESSAGE_TYPE_HEADER: reply.schema_name},
        )
        log.info(
            "texts analysed",
            texts=len(command.texts),
            ms=round((time.perf_counter() - started) * 1000, 1),
        )

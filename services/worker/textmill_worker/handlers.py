"""The worker's Kafka handlers: analyse one shard, or a handful of texts for a quick reply.

A shard is idempotent by (run, column, record): results are stored in aligned batches
keyed by their first record, so a redelivered or reassigned shard writes only what is
missing, and it starts from the shard's checkpoint (`offset`). The checkpoint moves after
stored and published batches, at most every `CHECKPOINT_SECONDS`: a resumed shard redoes at
most that much work (its rewrites are refused as duplicates), and a shard of sentiment cells
(30 batches) costs a handful of updates rather than one per batch. Before each write the
worker enters the run's cancel fence; once a cancel is acknowledged nothing more is written.

Rows are read and analysed up to `compute.depth` batches ahead of the store
(`readahead.py`): while one batch is written and published, the next ones are being read
and analysed.
"""

import asyncio
import time

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pymongo.errors import ConnectionFailure

from textmill_contracts.envelope import utc_now
from textmill_contracts.runs import (
    AnalyzeTexts,
    CellResult,
    ResultBatch,
    ShardAssigned,
    ShardProgress,
    TextsAnalyzed,
)
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS
from textmill_infra.kafka import dead_letter, decode, reply
from textmill_infra.logs import get_logger
from textmill_infra.runs import RESULT_BATCH, RunGate
from textmill_tabular import TabularError
from textmill_worker.adapters.shards import ShardRows, ShardStore
from textmill_worker.chains import UnknownChain, get_chains
from textmill_worker.compute import Compute, InProcess
from textmill_worker.holding import held_elsewhere
from textmill_worker.readahead import ReadAhead

log = get_logger(__name__)
# Batches are the stored unit (aligned to RESULT_BATCH); shards start on a batch boundary,
# and so does every checkpoint.
BATCH_ROWS = RESULT_BATCH
CHECKPOINT_SECONDS = 0.25
PROGRESS_SECONDS = 0.5
JSON = "application/json"


class ShardHandler:
    def __init__(
        self,
        broker: KafkaBroker,
        shards: ShardStore,
        rows: ShardRows,
        gate: RunGate,
        worker: str,
        *,
        compute: Compute | None = None,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self._broker, self._shards, self._rows, self._gate = broker, shards, rows, gate
        self._worker, self._batch_rows = worker, batch_rows
        self._compute = compute or InProcess()

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
        if held_elsewhere(shard, self._worker, utc_now()):
            log.info("shard held by another worker; left to it", shard_id=command.shard_id)
            return
        resumed_from = offset if offset > command.start else 0
        if resumed_from:
            log.info("resuming shard from its checkpoint", shard_id=command.shard_id, offset=offset)
        await self._shards.claim(command.shard_id, self._worker, command.attempt, resumed_from)
        try:
            await self._analyse(command, offset)
        except asyncio.CancelledError:
            # Stopped mid-shard (a drain past its grace): the member that gets the message
            # next takes the shard at once rather than leaving it to a holder that is gone.
            try:
                await asyncio.shield(self._shards.release(command.shard_id, self._worker))
            except Exception:  # the store away too: the sweep still re-publishes it
                log.warning("shard not released", shard_id=command.shard_id, exc_info=True)
            raise
        except ConnectionFailure:
            raise  # the store is away: redelivery resumes from the checkpoint
        except (TabularError, LookupError, UnknownChain, ValueError) as exc:
            log.warning("shard failed", shard_id=command.shard_id, error=str(exc))
            await self._progress(command, offset, failed=f"{type(exc).__name__}: {exc}")

    async def _analyse(self, command: ShardAssigned, offset: int) -> None:
        get_chains(command.chains)  # an unknown chain fails the shard before any work
        position, rows = await asyncio.to_thread(
            self._rows.open,
            command.file_id,
            command.column,
            command.start,
            command.end,
            offset=offset,
            siblings=command.siblings,
        )
        reader = ReadAhead(
            rows,
            self._batch_rows,
            self._compute.depth,
            lambda records, texts: self._compute.cells(command.chains, records, texts),
        )
        checkpointed = progressed = time.monotonic()
        try:
            while (batch := await reader.next()) is not None:
                records, cells = batch
                if not await self._gate.enter(command.run_id):
                    log.info("run cancelled; shard stops", shard_id=command.shard_id)
                    # What was stored since the last report still counts: the cancelled
                    # run's figures say how many cells it has, not how many were reported.
                    await self._progress(command, offset)
                    return
                try:
                    await self._shards.write_batch(
                        command.run_id, command.column, position, records, cells
                    )
                finally:
                    await self._gate.leave(command.run_id)
                offset = records[-1] + 1
                done, now = offset >= command.end, time.monotonic()
                # Published before the checkpoint moves past it: a publish that fails leaves
                # the batch to the shard's redelivery, which publishes it again.
                await self._publish_results(command, cells)
                if done or now - checkpointed >= CHECKPOINT_SECONDS:
                    await self._shards.checkpoint(
                        command.shard_id, offset, offset - command.start, done
                    )
                    checkpointed = now
                if done or now - progressed >= PROGRESS_SECONDS:
                    await self._progress(command, offset, done=done)  # after the checkpoint
                    progressed = now
        finally:
            await reader.close()
            await asyncio.to_thread(rows.close)
        if offset < command.end:
            await self._shards.checkpoint(
                command.shard_id, command.end, offset - command.start, True
            )
            await self._progress(command, command.end, done=True)

    async def _publish_results(self, command: ShardAssigned, cells: bytes) -> None:
        # The cells are JSON already (as stored): publish them without a model per cell, in
        # pieces when they are too large for one message (all five chains over texts of a
        # few hundred characters pass 1 MB a batch).
        for piece in ResultBatch.pieces(cells):
            body = ResultBatch.encode(
                piece,
                run_id=command.run_id,
                tenant=command.tenant,
                shard_id=command.shard_id,
                column=command.column,
                worker=self._worker,
            )
            await self._broker.publish(
                body,
                TOPICS.results,
                key=command.run_id.encode(),
                headers={MESSAGE_TYPE_HEADER: ResultBatch.schema_name, "content-type": JSON},
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

    def __init__(self, broker: KafkaBroker, compute: Compute | None = None) -> None:
        self._broker = broker
        self._compute = compute or InProcess()

    async def on_texts(self, message: KafkaMessage) -> None:
        command = await decode(self._broker, message, AnalyzeTexts)
        if command is None:
            return
        started = time.perf_counter()
        try:
            get_chains(command.chains)
        except UnknownChain as exc:  # the gateway asks only for known chains
            await dead_letter(self._broker, message.raw_message, f"AnalyzeTexts: {exc}")
            return
        results = await self._compute.analyse(command.chains, list(command.texts))
        answer = TextsAnalyzed(
            correlation_id=command.correlation_id,
            results=[CellResult(record=i, **result) for i, result in enumerate(results)],
        )
        await reply(
            self._broker, message, answer, command.reply_to, correlation_id=command.correlation_id
        )
        log.info(
            "texts analysed",
            texts=len(command.texts),
            ms=round((time.perf_counter() - started) * 1000, 1),
        )

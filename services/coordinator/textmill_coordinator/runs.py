"""The coordinator's run handlers: plan a requested run, fold shard progress into run status,
record cancels, and re-publish the shards of workers that went silent.

Idempotency keys: `AnalyzeRequested` by run id (a replanned run has the same shards, and
only shards not done are re-published); `ShardProgress` by (run, shard) with monotonic
counts; `RunCancelled` by run id (status moves only from a non-terminal one).
"""

import asyncio
from datetime import timedelta

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pymongo.errors import ConnectionFailure

from textmill_contracts.envelope import utc_now
from textmill_contracts.runs import (
    TERMINAL_STATUSES,
    AnalyzeRequested,
    ColumnProgress,
    RunCancelled,
    RunUpdated,
    ShardAssigned,
    ShardProgress,
)
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS
from textmill_coordinator.adapters.runs import FileGone, RowIndexes, RunStore
from textmill_coordinator.planning import plan_shards, shard_rows_for
from textmill_infra.kafka import dead_letter, decode
from textmill_infra.logs import get_logger
from textmill_infra.progress import RunProgress, fold_progress
from textmill_infra.runs import shard_number
from textmill_tabular import TabularError

log = get_logger(__name__)
# How many stalls a shard of a worker that still heartbeats may go without moving.
LIVE_STALLS = 4
ACTIVE = ["accepted", "queued", "running"]


class RunCoordinator:
    def __init__(
        self,
        broker: KafkaBroker,
        runs: RunStore,
        row_indexes: RowIndexes,
        *,
        shard_partitions: int,
        progress_interval: float = 0.5,
    ) -> None:
        self._broker, self._runs, self._row_indexes = broker, runs, row_indexes
        self._shard_partitions = shard_partitions
        self._progress_interval = progress_interval
        self._last_published: dict[str, float] = {}

    async def on_analyze_requested(self, message: KafkaMessage) -> None:
        command = await decode(self._broker, message, AnalyzeRequested)
        if command is None:
            return
        run = await self._runs.get(command.run_id)
        if run is None or run["status"] in TERMINAL_STATUSES:
            return  # unknown (never accepted) or already over: nothing to plan
        if run["status"] == "accepted":
            try:
                index, header = await asyncio.to_thread(
                    self._row_indexes.get_or_build, command.tenant, command.file_id
                )
            except ConnectionFailure:
                raise
            except (FileGone, TabularError, ValueError) as exc:
                await self._fail(run, f"the file cannot be read: {exc}")
                return
            except Exception as exc:
                # Would fail the same way on every redelivery: fail the run, move on.
                log.exception("planning failed", run_id=command.run_id)
                await self._fail(run, f"the run could not be planned ({type(exc).__name__})")
                return
            unknown = [c for c in command.columns if c not in header]
            if unknown:
                await self._fail(run, f"no column named {', '.join(map(repr, unknown))}")
                return
            plans = plan_shards(index.rows, command.columns, shard_rows_for(command.chains))
            await self._runs.save_plan(command.run_id, plans, command.chains)
            run = await self._runs.get(command.run_id)
            if not plans:  # an empty file: nothing to analyse, done at once
                await self._runs.set_status(
                    command.run_id, "completed", only_from=ACTIVE, finished_at=utc_now()
                )
                run = await self._runs.get(command.run_id)
        for shard in await self._runs.shards_not_done(run):
            await self._publish_shard(run, shard, attempt=1)
        await self._publish_run(run, force=True)
        log.info("run planned", run_id=command.run_id, shards=len(run.get("shards", {})))

    async def on_shard_progress(self, message: KafkaMessage) -> None:
        event = await decode(self._broker, message, ShardProgress)
        if event is None:
            return
        planned = await self._runs.get(event.run_id)
        if planned is None:
            return  # a run that is gone (or never was): nothing to fold into
        n = shard_number(event.run_id, event.shard_id)
        if n is None or str(n) not in planned.get("shards", {}):
            # Folded in, it would add a shard without a column or a size to the run, and
            # every later event of the run would fail on it: the run would never end.
            await dead_letter(
                self._broker,
                message.raw_message,
                f"ShardProgress: {event.shard_id[:100]!r} is no shard of run {event.run_id!r}",
            )
            return
        run = await self._runs.record_progress(event.run_id, n, event.cells, event.done)
        if run is None or run["status"] in TERMINAL_STATUSES:
            return
        if event.failed:
            await self._fail(run, f"shard {event.shard_id} failed: {event.failed}")
            return
        if run["status"] == "queued":
            started = utc_now()
            if await self._runs.set_status(
                event.run_id, "running", only_from=["queued"], started_at=started
            ):
                run = {**run, "status": "running", "started_at": started}
            else:
                run = await self._runs.get(event.run_id)  # cancelled or failed meanwhile
        progress = fold_progress(run.get("shards", {}), run.get("started_at"), utc_now())
        if progress.complete and run["status"] not in TERMINAL_STATUSES:
            await self._runs.set_status(
                event.run_id, "completed", only_from=ACTIVE, finished_at=utc_now()
            )
            run = await self._runs.get(event.run_id)
            await self._publish_run(run, force=True)
            log.info("run completed", run_id=event.run_id, cells=progress.cells_done)
        else:
            await self._publish_run(run, force=False, progress=progress)

    async def on_run_cancelled(self, message: KafkaMessage) -> None:
        event = await decode(self._broker, message, RunCancelled)
        if event is None:
            return
        await self._runs.set_status(
            event.run_id, "cancelled", only_from=ACTIVE, finished_at=utc_now()
        )
        run = await self._runs.get(event.run_id)
        if run is not None:
            await self._publish_run(run, force=True)

    async def reassign_stalled(self, alive: set[str], stall: timedelta) -> int:
        """Re-publish the shards not done that a worker claimed and that have not moved for
        `stall` while that worker is gone, or for `LIVE_STALLS` times that while it still
        heartbeats; returns how many. Kafka already hands a dead consumer's uncommitted
        shards to another member. This covers the shards whose message no member will get
        again: one that a worker left to its holder (the worker's
        `holding.held_elsewhere`) whose holder then failed or stopped, and one whose worker
        hangs while its consumer stays in the group. A live worker gets longer: a batch of
        slow chains over long texts can take many seconds. A shard re-published waits as
        long again before the next time (`republished_at`), rather than going out on every
        sweep."""
        count, now = 0, utc_now()
        for run in await self._runs.active():
            for shard in await self._runs.shards_not_done(run):
                worker, touched = shard.get("worker"), shard.get("updated_at")
                if worker is None or touched is None:
                    continue  # never claimed: its message is still on its way
                touched = max(touched, shard.get("republished_at") or touched)
                if now - touched < (LIVE_STALLS * stall if worker in alive else stall):
                    continue
                attempt = shard.get("attempt", 1) + 1
                await self._publish_shard(run, shard, attempt=attempt)
                await self._runs.mark_republished(shard["_id"], attempt)
                count += 1
        return count

    async def _fail(self, run: dict, error: str) -> None:
        await self._runs.set_status(
            run["_id"], "failed", only_from=ACTIVE, error=error, finished_at=utc_now()
        )
        log.warning("run failed", run_id=run["_id"], error=error)
        await self._publish_run(await self._runs.get(run["_id"]), force=True)

    async def _publish_shard(self, run: dict, shard: dict, *, attempt: int) -> None:
        command = ShardAssigned(
            run_id=run["_id"],
            shard_id=shard["_id"],
            tenant=run["tenant"],
            file_id=run["file_id"],
            column=shard["column"],
            start=shard["start"],
            end=shard["end"],
            chains=run["chains"],
            attempt=attempt,
            siblings=[column for column in run["columns"] if column != shard["column"]],
        )
        # Round robin over the partitions, not by key hash: the workers (each owning some
        # partitions) then get a fair share of a run's shards.
        await self._broker.publish(
            command,
            TOPICS.shards,
            key=shard["_id"].encode(),
            partition=shard["n"] % self._shard_partitions,
            headers={MESSAGE_TYPE_HEADER: command.schema_name},
        )

    async def _publish_run(
        self, run: dict, *, force: bool, progress: RunProgress | None = None
    ) -> None:
        """`progress`: the run's progress when the caller has just folded it."""
        loop_time = asyncio.get_running_loop().time()
        last = self._last_published.get(run["_id"], 0.0)
        if not force and loop_time - last < self._progress_interval:
            return
        self._last_published[run["_id"]] = loop_time
        if progress is None:
            progress = fold_progress(run.get("shards", {}), run.get("started_at"), utc_now())
        event = RunUpdated(
            run_id=run["_id"],
            tenant=run["tenant"],
            status=run["status"],
            cells_done=progress.cells_done,
            cells_total=progress.cells_total,
            columns={c: ColumnProgress(done=d, total=t) for c, (d, t) in progress.columns.items()},
            rate_cells_per_s=progress.rate_cells_per_s,
            eta_seconds=progress.eta_seconds if run["status"] not in TERMINAL_STATUSES else 0.0,
            error=run.get("error"),
            started_at=run.get("started_at"),
            finished_at=run.get("finished_at"),
        )
        await self._broker.publish(
            event,
            TOPICS.runs,
            key=run["_id"].encode(),
            headers={MESSAGE_TYPE_HEADER: event.schema_name},
        )
        if run["status"] in TERMINAL_STATUSES:
            self._last_published.pop(run["_id"], None)

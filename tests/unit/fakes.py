"""In-memory stand-ins for the stores, the cancel fence, the liveness table and the publisher
that the services' Kafka handlers call, for unit tests of those handlers.

Each fake keeps the semantics its real class documents (a status moves only as
`textmill_runs.moves_from` allows and a run ends once, progress folds with `$max`, a result
batch is stored once, a fenced run refuses writers...), so that a handler that gets them
wrong fails here as it would against MongoDB, Redis and Kafka.
"""

import dataclasses
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textmill_contracts.envelope import Message, utc_now
from textmill_contracts.events import ResultBatch
from textmill_coordinator.domain.liveness import InstanceLiveness
from textmill_estimator.domain.costs import ChainModel, chain_prior
from textmill_estimator.domain.layouts import LayoutModel
from textmill_estimator.domain.outcomes import Outcomes
from textmill_infra.blobs import StoredFileMissing
from textmill_runs import (
    UNDER_WAY,
    Run,
    Shard,
    ShardPlan,
    ShardState,
    is_terminal,
    moves_from,
    result_batch_id,
    shard_id,
)
from textmill_runs.pace import ColumnLength, ShardPace
from textmill_runs.pace import observe as observe_pace
from textmill_storage import ShardPaces
from textmill_storage.shard_releases import Release
from textmill_tabular import RowIndex, build_row_index, open_table, read_sample

LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)  # what `ShardRecords.release` writes


# ---- Kafka ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One message a handler published: how (`publish`, `publish_json`, `reply`) and where."""

    method: str
    topic: str
    message: Any  # the contract message; for `publish_json`, the encoded body
    key: str | None = None
    partition: int | None = None
    correlation_id: str | None = None
    schema_name: str | None = None


class FakePublisher:
    """Records every message instead of sending it (`textmill_infra.messaging.Publisher`)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def publish(
        self,
        message: Message,
        topic: str,
        *,
        key: str | None = None,
        partition: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self.sent.append(
            Sent("publish", topic, message, key, partition, correlation_id, message.schema_name)
        )

    async def publish_json(
        self, body: bytes, topic: str, *, schema_name: str, key: str | None = None
    ) -> None:
        self.sent.append(Sent("publish_json", topic, body, key, schema_name=schema_name))

    async def reply(
        self, answer: Message, topic: str, *, correlation_id: str, key: str | None = None
    ) -> None:
        self.sent.append(
            Sent("reply", topic, answer, key, None, correlation_id, answer.schema_name)
        )

    def on(self, topic: str) -> list[Sent]:
        return [sent for sent in self.sent if sent.topic == topic]

    def messages(self, topic: str) -> list[Any]:
        return [sent.message for sent in self.on(topic)]

    def result_batches(self, topic: str) -> list[ResultBatch]:
        """The `publish_json` bodies on `topic`, decoded as the consumers decode them."""
        return [
            ResultBatch.model_validate_json(sent.message)
            for sent in self.on(topic)
            if sent.method == "publish_json"
        ]


# ---- runs and shards ------------------------------------------------------------------------


class FakeRunRecords:
    """`textmill_storage.RunRecords` in a dict, with its registry of runs under way."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._active: dict[str, datetime] = {}  # run id -> since

    async def create(self, run: Run) -> Run:
        self._runs[run.id] = run
        return run

    async def get(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    async def get_own(self, tenant: str, run_id: str) -> Run | None:
        run = self._runs.get(run_id)
        return run if run is not None and run.tenant == tenant else None

    async def newest(self, tenant: str, limit: int = 100) -> list[Run]:
        return [run for run in reversed(self._runs.values()) if run.tenant == tenant][:limit]

    async def move(self, run_id: str, status: str, **fields) -> bool:
        """As `RunStatuses.move`: only from a status `moves_from` allows, so an ended run
        (whose status no status moves from) never moves again: it ends once."""
        run = self._runs.get(run_id)
        allowed = moves_from(status)  # ValueError for no status, as the real one
        moved = run is not None and run.status in allowed
        if moved:
            self._runs[run_id] = dataclasses.replace(run, status=status, **fields)
        if is_terminal(status):
            self._active.pop(run_id, None)
        return moved

    async def record_plan(self, run_id: str, plans: list[ShardPlan]) -> None:
        self._active.setdefault(run_id, utc_now())
        shards = {p.n: ShardState(column=p.column, total=p.cells) for p in plans}
        await self.move(run_id, "queued", shards=shards, queued_at=utc_now())

    async def record_progress(
        self, run_id: str, n: int, cells: int, done: bool, started_at: datetime | None = None
    ) -> Run | None:
        """`$max` on the shard's cells, `done` only ever set, `$min` on the run's start. A
        shard the run does not have
        breaks the run as it does in MongoDB, where `$max` would create a shard without a
        column or a total, which no later read can turn into a `Run`."""
        run = self._runs.get(run_id)
        if run is None:
            return None
        if n not in run.shards:
            raise KeyError(f"run {run_id} has no shard {n}: its document no longer reads")
        state = run.shards[n]
        folded = dataclasses.replace(state, cells=max(state.cells, cells), done=state.done or done)
        run = dataclasses.replace(run, shards={**run.shards, n: folded})
        if started_at is not None:
            start = min(started_at, run.started_at) if run.started_at else started_at
            run = dataclasses.replace(run, started_at=start)
        self._runs[run_id] = run
        return run

    async def settled(self, runs: list[Run]) -> list[Run]:
        return runs  # a dict loses no update: every end is written as it is claimed

    async def record_estimate(self, run_id: str, estimate: dict) -> None:
        if (run := self._runs.get(run_id)) is not None:
            self._runs[run_id] = dataclasses.replace(run, estimate=estimate)

    async def active(self, *, estimates: bool = True) -> list[Run]:
        return await self.under_way(await self.active_ids(), estimates=estimates)

    async def active_ids(self) -> list[str]:
        return sorted(self._active, key=self._active.__getitem__)

    async def under_way(self, ids: list[str], *, estimates: bool = True) -> list[Run]:
        for run_id in ids:
            run = self._runs.get(run_id)
            if run is None or run.ended:
                self._active.pop(run_id, None)
        runs = [self._runs[i] for i in ids if i in self._runs and self._runs[i].status in UNDER_WAY]
        return runs if estimates else [dataclasses.replace(r, estimate=None) for r in runs]

    async def register_active(self) -> int:
        missing = [
            run.id
            for run in self._runs.values()
            if run.status in UNDER_WAY and run.id not in self._active
        ]
        for run_id in missing:
            self._active[run_id] = utc_now()
        return len(missing)


class FakeShardRecords:
    """`textmill_storage.ShardRecords` in a dict; `checkpoints` lists every checkpoint call."""

    def __init__(self) -> None:
        self._shards: dict[str, Shard] = {}
        self.inserted: list[str] = []  # ids newly stored, in order
        self.checkpoints: list[tuple[str, int, int, bool]] = []
        self.resumed_from: dict[str, int] = {}

    async def insert_plan(self, run_id: str, plans: list[ShardPlan], chains: list[str]) -> None:
        for plan in plans:
            sid = shard_id(run_id, plan.n)
            if sid in self._shards:
                continue  # stored already (a replanned run): left as it is
            self._shards[sid] = Shard(
                id=sid,
                run_id=run_id,
                n=plan.n,
                column=plan.column,
                start=plan.start,
                end=plan.end,
                chains=list(chains),
                offset=plan.start,
            )
            self.inserted.append(sid)

    async def get(self, shard: str) -> Shard | None:
        return self._shards.get(shard)

    async def not_done(self, run: Run) -> list[Shard]:
        ids = [shard_id(run.id, n) for n in run.pending_shards()]
        return [self._shards[i] for i in ids if i in self._shards and not self._shards[i].done]

    async def claim(self, shard: str, worker: str, attempt: int, resumed_from: int) -> None:
        self._update(shard, worker=worker, attempt=attempt, updated_at=utc_now())
        if resumed_from and shard in self._shards:
            self.resumed_from[shard] = resumed_from

    async def release(self, shard: str, worker: str) -> None:
        if shard in self._shards and self._shards[shard].worker == worker:
            self._update(shard, updated_at=LONG_AGO)

    async def checkpoint(self, shard: str, offset: int, cells: int, done: bool) -> None:
        self.checkpoints.append((shard, offset, cells, done))
        if (current := self._shards.get(shard)) is not None:
            self._update(
                shard,
                offset=max(current.offset, offset),
                cells=max(current.cells, cells),
                done=done,
                updated_at=utc_now(),
            )

    async def mark_republished(self, shard: str, attempt: int) -> None:
        self._update(shard, republished_at=utc_now(), attempt=attempt)

    def set(self, shard: str, **fields) -> Shard:
        """Test set-up: give a stored shard these fields (a claim long ago, a checkpoint)."""
        self._update(shard, **fields)
        return self._shards[shard]

    def _update(self, shard: str, **fields) -> None:
        if shard in self._shards:  # `update_one` without upsert: a missing shard stays so
            self._shards[shard] = dataclasses.replace(self._shards[shard], **fields)


class FakeShardReleases:
    """`textmill_storage.ShardReleases` in a dict: a shard is released once."""

    def __init__(self) -> None:
        self.at: dict[str, datetime] = {}
        self.order: list[str] = []  # shard ids in the order they were released
        self.partitions: dict[str, int | None] = {}
        self.published: set[str] = set()

    async def releases(self, shard_ids: Sequence[str]) -> dict[str, Release]:
        return {
            i: Release(self.at[i], self.partitions.get(i), i in self.published)
            for i in shard_ids
            if i in self.at
        }

    async def released(self, shard_ids: Sequence[str]) -> dict[str, datetime]:
        return {i: self.at[i] for i in shard_ids if i in self.at}

    async def claim(
        self, shard_id: str, run_id: str, by: str, partition: int | None = None
    ) -> bool:
        if shard_id in self.at:
            return False
        self.at[shard_id] = utc_now()
        self.partitions[shard_id] = partition
        self.order.append(shard_id)
        return True

    async def mark_published(self, shard_id: str) -> None:
        self.published.add(shard_id)


@dataclass(frozen=True)
class StoredBatch:
    run_id: str
    column: str
    position: int
    records: list[int]
    cells: list[dict]


class FakeResultBatches:
    """`textmill_storage.ResultBatches.write`: each batch, by (run, column position, first
    record), stored once; a rewrite is refused (False) and changes nothing."""

    def __init__(self) -> None:
        self.batches: dict[str, StoredBatch] = {}
        self.refused: list[str] = []

    async def write(
        self, run_id: str, column: str, position: int, records: list[int], cells: bytes
    ) -> bool:
        batch_id = result_batch_id(run_id, position, records[0])
        if batch_id in self.batches:
            self.refused.append(batch_id)
            return False
        self.batches[batch_id] = StoredBatch(run_id, column, position, records, json.loads(cells))
        return True

    def records(self) -> list[int]:
        """Every stored cell's record, in batch order."""
        return [cell["record"] for b in self.batches.values() for cell in b.cells]


class FakeRowIndexes:
    """`textmill_storage.RowIndexes.get_or_build` over files on disk: the real index and
    header of each, built on first use and kept; StoredFileMissing for a file the tenant
    does not have."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], Path] = {}
        self._built: dict[str, tuple[RowIndex, list[str]]] = {}
        self._failure: BaseException | None = None
        self.builds = 0

    def add_file(self, tenant: str, file_id: str, path: Path) -> None:
        self._files[(tenant, file_id)] = path

    def fail_with(self, exc: BaseException) -> None:
        """Every later call raises `exc` (a store that is away, a bug in a reader)."""
        self._failure = exc

    def path(self, tenant: str, file_id: str) -> Path:
        if (path := self._files.get((tenant, file_id))) is None:
            raise StoredFileMissing(f"no file with id {file_id!r}")
        return path

    def get(self, file_id: str) -> tuple[RowIndex, list[str]] | None:
        return self._built.get(file_id)

    def get_or_build(self, tenant: str, file_id: str) -> tuple[RowIndex, list[str]]:
        if self._failure is not None:
            raise self._failure
        if (stored := self._built.get(file_id)) is not None:
            return stored
        path = self.path(tenant, file_id)
        index = build_row_index(path, path.name)
        with open_table(path, path.name) as table:
            header = list(table.header)
        self.builds += 1
        self._built[file_id] = (index, header)
        return index, header


# ---- Redis ----------------------------------------------------------------------------------


class FakeFence:
    """`textmill_storage.CancelFence`: a cancelled run lets no writer in; `writers` counts
    those inside. `cancel_after(run, n)`: a cancel lands once `n` more writers got in."""

    def __init__(self) -> None:
        self.cancelled: set[str] = set()
        self.writers: dict[str, int] = {}
        self.entered: dict[str, int] = {}
        self._budget: dict[str, int] = {}

    def cancel(self, run_id: str) -> None:
        self.cancelled.add(run_id)

    def cancel_after(self, run_id: str, entries: int) -> None:
        self._budget[run_id] = entries

    async def enter(self, run_id: str) -> bool:
        if run_id in self._budget:
            if self._budget[run_id] <= 0:
                self.cancelled.add(run_id)
            self._budget[run_id] -= 1
        if run_id in self.cancelled:
            return False
        self.writers[run_id] = self.writers.get(run_id, 0) + 1
        self.entered[run_id] = self.entered.get(run_id, 0) + 1
        return True

    async def leave(self, run_id: str) -> None:
        self.writers[run_id] = self.writers.get(run_id, 0) - 1

    async def is_cancelled(self, run_id: str) -> bool:
        return run_id in self.cancelled


class FakeLiveness:
    """The coordinator's `LivenessTable`: an entry per instance; `alive` are those present
    (in Redis, those whose entry has not expired)."""

    def __init__(self) -> None:
        self.entries: dict[str, InstanceLiveness] = {}

    async def get(self, instance_id: str) -> InstanceLiveness | None:
        return self.entries.get(instance_id)

    async def put(self, liveness: InstanceLiveness) -> None:
        self.entries[liveness.instance_id] = liveness

    async def alive(self) -> set[str]:
        return set(self.entries)

    async def count(self, service: str) -> int:
        return sum(1 for entry in self.entries.values() if entry.service == service)

    def beat(self, instance_id: str, *, service: str = "worker", sequence: int = 0) -> None:
        """Test set-up: `instance_id` is alive."""
        self.entries[instance_id] = InstanceLiveness(
            service=service,
            instance_id=instance_id,
            last_sequence=sequence,
            last_seen=utc_now(),
            status="ready",
            capacity=1,
        )


# ---- the worker's rows ----------------------------------------------------------------------


class FakeRows:
    """An iterator of (record, [value, ...]) that knows whether it was closed."""

    def __init__(self, rows: Iterator[tuple[int, list[str]]]) -> None:
        self._rows = rows
        self.closed = False

    def __iter__(self) -> "FakeRows":
        return self

    def __next__(self) -> tuple[int, list[str]]:
        if self.closed:
            raise StopIteration
        return next(self._rows)

    def close(self) -> None:
        self.closed = True


class FakeShardRows:
    """The worker's `ShardRows.open` over tables held in memory: (the column's position in
    the header, rows [offset, end) as (record, [column's value, *siblings' values])).
    LookupError for a file it does not hold (the real one: a row index or file gone),
    ValueError for a column the header lacks."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, str], tuple[list[str], list[list[str]]]] = {}
        self.opened: list[dict] = []
        self.handed: list[FakeRows] = []

    def add_table(self, tenant: str, file_id: str, header: list[str], rows: list[list[str]]):
        self._tables[(tenant, file_id)] = (header, rows)

    def open(
        self,
        tenant: str,
        file_id: str,
        column: str,
        start: int,
        end: int,
        *,
        offset: int | None = None,
        siblings: Sequence[str] = (),
    ) -> tuple[int, FakeRows]:
        offset = start if offset is None else offset
        self.opened.append({"column": column, "start": start, "end": end, "offset": offset})
        table = self._tables.get((tenant, file_id))
        if table is None:
            raise LookupError(f"the row index of file {file_id} is gone")
        header, rows = table
        wanted = [header.index(name) for name in [column, *siblings]]
        handed = FakeRows(
            (record, [rows[record][i] for i in wanted])
            for record in range(offset, min(end, len(rows)))
        )
        self.handed.append(handed)
        return header.index(column), handed


# ---- the profiler ---------------------------------------------------------------------------


class FakeStoredTables:
    """The profiler's `StoredTables.open` over files on disk (a `Path` is a tabular source),
    with each one's upload metadata; StoredFileMissing for a file the tenant lacks."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], tuple[Path, dict]] = {}
        self.opened: list[tuple[str, str]] = []

    def add_file(self, tenant: str, file_id: str, path: Path, metadata: dict | None = None):
        self._files[(tenant, file_id)] = (path, metadata or {})

    def remove_file(self, tenant: str, file_id: str) -> None:
        self._files.pop((tenant, file_id), None)

    def open(self, tenant: str, file_id: str) -> tuple[Path, dict]:
        self.opened.append((tenant, file_id))
        if (tenant, file_id) not in self._files:
            raise StoredFileMissing(f"no file with id {file_id!r}")
        return self._files[(tenant, file_id)]


class FakeProfileStore:
    """The profiler's `ProfileStore`: one profile per (tenant, file, version), found only
    for the content hash it was made from."""

    def __init__(self) -> None:
        self.profiles: dict[tuple[str, str, str], dict] = {}

    async def find(self, tenant: str, file_id: str, version: str, sha256: str) -> dict | None:
        doc = self.profiles.get((tenant, file_id, version))
        if doc is None or doc["sha256"] != sha256:
            return None
        return {k: v for k, v in json.loads(json.dumps(doc)).items() if k != "sha256"}

    async def save(
        self, tenant: str, file_id: str, version: str, sha256: str, fields: dict
    ) -> None:
        self.profiles[(tenant, file_id, version)] = json.loads(
            json.dumps({"sha256": sha256, **fields})
        )

    async def delete(self, tenant: str, file_id: str) -> None:
        for key in [k for k in self.profiles if k[:2] == (tenant, file_id)]:
            del self.profiles[key]


class FakeProfileCache:
    """The profiler's `ProfileCache`: entries by (tenant, content hash, version), held as
    JSON as Redis holds them; `invalidate` drops every version's entry of one content."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str, str], str] = {}
        self.hits = self.misses = 0

    async def get(self, tenant: str, sha256: str, version: str) -> dict | None:
        raw = self.entries.get((tenant, sha256, version))
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(raw)

    async def put(self, tenant: str, sha256: str, version: str, profile: dict) -> None:
        self.entries[(tenant, sha256, version)] = json.dumps(profile)

    async def invalidate(self, tenant: str, sha256: str) -> int:
        keys = [k for k in self.entries if k[:2] == (tenant, sha256)]
        for key in keys:
            del self.entries[key]
        return len(keys)


# ---- the estimator ----------------------------------------------------------------------


class FakeCostModels:
    """`textmill_estimator.adapters.models.CostModels` in a dict: a shard's costs are kept
    once by shard id, and every model is stored and read back as a copy, as a document."""

    def __init__(self) -> None:
        self._docs: dict[str, dict] = {}
        self.shards: dict[str, str] = {}  # shard id -> run id

    async def chain(self, chain: str) -> ChainModel:
        doc = self._docs.get(f"chain:{chain}")
        return ChainModel.from_fields(doc) if doc else ChainModel(chain_prior(chain))

    async def chains(self, wanted) -> dict[str, ChainModel]:
        stored = {
            k.removeprefix("chain:"): ChainModel.from_fields(d)
            for k, d in self._docs.items()
            if k.startswith("chain:")
        }
        return {**{chain: ChainModel(chain_prior(chain)) for chain in wanted}, **stored}

    async def change_chain(self, chain: str, change) -> None:
        model = await self.chain(chain)
        change(model)
        self._docs[f"chain:{chain}"] = model.as_fields()

    async def layout(self, chain_processes: int) -> LayoutModel:
        doc = self._docs.get(f"layout:{chain_processes}")
        return LayoutModel.from_fields(doc) if doc else LayoutModel.prior(chain_processes)

    async def change_layout(self, chain_processes: int, change) -> LayoutModel:
        layout = await self.layout(chain_processes)
        change(layout)
        self._docs[f"layout:{chain_processes}"] = layout.as_fields()
        return layout

    async def outcomes(self) -> Outcomes:
        doc = self._docs.get("outcomes")
        return Outcomes.from_dict(doc) if doc else Outcomes()

    async def change_outcomes(self, change):
        outcomes = await self.outcomes()
        result = change(outcomes)
        self._docs["outcomes"] = outcomes.as_dict()
        return result

    async def record_shard(self, shard_id: str, run_id: str, costs: Any) -> bool:
        if shard_id in self.shards:
            return False
        self.shards[shard_id] = run_id
        return True


class FakeShardPaces(ShardPaces):
    """`textmill_storage.ShardPaces` over a dict: the paces by key, folded as the real one
    folds them (`textmill_runs.pace.observe`); its `shard_rows` is the real one's."""

    def __init__(self) -> None:
        self.paces: dict[str, ShardPace] = {}

    async def get(self, keys: list[str]) -> dict[str, ShardPace]:
        return {key: self.paces[key] for key in keys if key in self.paces}

    async def observe(self, key: str, cells: int, seconds: float) -> None:
        if (new := observe_pace(self.paces.get(key), cells, seconds)) is not None:
            self.paces[key] = new


class FakeColumnLengths:
    """`textmill_coordinator.adapters.column_lengths.ColumnLengths` over the files of a
    `FakeRowIndexes`, sampled as the real one samples them."""

    def __init__(self, files: FakeRowIndexes) -> None:
        self._files = files
        self.failure: BaseException | None = None

    def measure(
        self, tenant: str, file_id: str, index: RowIndex, columns: list[str]
    ) -> dict[str, ColumnLength]:
        if self.failure is not None:
            raise self.failure
        path = self._files.path(tenant, file_id)
        values = read_sample(path, path.name, columns=columns, index=index)
        return {column: ColumnLength.of(values[column]) for column in columns}

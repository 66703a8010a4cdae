"""What every service agrees on about a run's storage, and the cancel fence in Redis.

MongoDB layout (ids are the idempotency keys; every hot lookup is by `_id`):
- `runs`: one document per run, `_id` = run id; per-shard progress under `shards.<n>`.
- `shards`: one per shard, `_id` = `<run id>:<n>`; `offset` is the worker's checkpoint.
- `active_runs`: one per queued or running run, `_id` = run id, so that finding the runs
  under way does not scan `runs`.
- `run_ends`: one per ended run, `_id` = run id: the claim of its final status
  (`RunStatuses`).
- `tenant_runs`: each tenant's runs in the order they were made, `_id` =
  `<tenant>:<n>`, and `run_counters`, `_id` = tenant: how many it has (`TenantRuns`).
- `row_indexes`: a file's RowIndex, `_id` = file id, built by the gateway on upload (or by
  the coordinator for a file stored without one); see `row_index_doc`.
- `results`: a run's cells in aligned batches of `RESULT_BATCH` rows of one column, `_id` =
  `<run id>:<column position>:<first record>`; a batch is written whole, once (a duplicate
  `_id` means it is already stored), so each (run, column, record) is stored exactly once.
  A batch too large for one document has its further parts under `<batch id>/<n>`, written
  before it (`result_batch_docs`).
  Batches rather than one document per cell because readers (pages, summary, export) then
  fetch a run's results by `_id` alone, 1,000 cells per lookup: on FerretDB's SQLite
  backend any other query scans the whole collection. The cells are one compressed JSON
  value (`result_batch_docs`), not nested documents: FerretDB spends ~35 µs per cell turning
  nested documents into its SQLite JSON, more than the sentiment chain itself, and ~3 µs
  on the compressed form (`make bench-pipeline` shows the effect). The batch's metadata
  (run, column, first record, count) stays in plain fields.
"""

import asyncio
import time
import uuid
import zlib

import pydantic_core
import redis.asyncio as aioredis
from bson import Binary
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from textmill_contracts.runs import TERMINAL_STATUSES
from textmill_infra.stores import find_by_ids

RUNS, SHARDS, ROW_INDEXES = "runs", "shards", "row_indexes"
# One document per queued or running run (`_id` = run id): what the coordinator's sweep
# reads instead of querying `runs` by status.
ACTIVE_RUNS = "active_runs"
RUN_ENDS = "run_ends"


class RunStatuses:
    """Moves runs from one status to the next with `_id` filters only.

    `{"_id": run, "status": {"$in": [...]}}` would say it in one update, but FerretDB's
    SQLite backend pushes a filter down only when it is `_id` alone: that update decoded
    every run ever stored (122 ms with 788 runs), three times a run. Here the status is read
    by `_id` and written by `_id`, and the one race that matters, between the ends (a run
    completes as it is cancelled) and between an end and a later step (a cancel lands
    between reading "queued" and writing "running"), is settled by a unique insert in
    `run_ends`, which both stores make atomic:
    - an end (completed, failed, cancelled) is claimed there first; only the first claim
      is written to the run;
    - a non-final step checks for a claim after its write and puts the claimed end back.
    Either the step sees the claim, or the claim came after the step's write, and so did the
    end's own write. A claim whose writer died before writing is written by the next move.
    """

    def __init__(self, db: AsyncDatabase) -> None:
        self._runs, self._ends = db[RUNS], db[RUN_ENDS]

    async def move(self, run_id: str, status: str, *, only_from: list[str], **fields) -> bool:
        """Give the run `status` (and `fields`) if its status is one of `only_from`; whether
        it moved."""
        run = await self._runs.find_one({"_id": run_id}, {"status": 1})
        if run is None or run["status"] not in only_from:
            return False
        update = {"status": status, **fields}
        if status in TERMINAL_STATUSES:
            try:
                await self._ends.insert_one({"_id": run_id, "update": update})
            except DuplicateKeyError:
                await self._write_end(run_id)  # another end came first
                return False
            await self._runs.update_one({"_id": run_id}, {"$set": update})
            return True
        await self._runs.update_one({"_id": run_id}, {"$set": update})
        return not await self._write_end(run_id)

    async def _write_end(self, run_id: str) -> bool:
        """Write the run's claimed end again, if it has one (idempotent); whether it had."""
        end = await self._ends.find_one({"_id": run_id})
        if end is None:
            return False
        await self._runs.update_one({"_id": run_id}, {"$set": end["update"]})
        return True


TENANT_RUNS, RUN_COUNTERS = "tenant_runs", "run_counters"


def tenant_run_id(tenant: str, n: int) -> str:
    return f"{tenant}:{n:012d}"


class TenantRuns:
    """Each tenant's runs, newest first, read by `_id` alone.

    Listing a tenant's runs from `runs` by `{tenant}` sorted by `created_at` decoded every
    run of every tenant on FerretDB's SQLite backend (154 ms with 960 runs, growing with
    each). Here the n-th run a tenant makes is entered as `<tenant>:<n>`, before the run
    itself, and `run_counters` says how far n has gone: the newest `limit` runs are `limit`
    lookups of entries and `limit` of runs, all by `_id`, however many runs there are. n
    comes from an `$inc`, which FerretDB does not make atomic; the entry's unique `_id`
    does, and a taken n is retried with the next one. An n left without an entry (a retry,
    or a crash before the entry) is a gap the listing skips; an entry whose run was never
    stored is skipped too."""

    def __init__(self, db: AsyncDatabase, *, window: int = 32) -> None:
        self._entries, self._counters, self._runs = db[TENANT_RUNS], db[RUN_COUNTERS], db[RUNS]
        self._window = window

    async def enter(self, tenant: str, run_id: str) -> int:
        """Enter a new run of `tenant` as its newest; returns its n."""
        while True:
            try:
                counter = await self._counters.find_one_and_update(
                    {"_id": tenant},
                    {"$inc": {"n": 1}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                await self._entries.insert_one(
                    {"_id": tenant_run_id(tenant, counter["n"]), "run_id": run_id}
                )
            except DuplicateKeyError:
                continue  # another run took this n (or made the counter) at the same moment
            return counter["n"]

    async def newest(self, tenant: str, limit: int) -> list[dict]:
        """The tenant's newest `limit` runs (fewer where there are gaps), newest first."""
        counter = await self._counters.find_one({"_id": tenant})
        top = counter["n"] if counter else 0
        ids = [tenant_run_id(tenant, n) for n in range(top, max(0, top - limit), -1)]
        entries = await find_by_ids(self._entries, ids, self._window)
        run_ids = [entry["run_id"] for entry in entries if entry is not None]
        runs = await find_by_ids(self._runs, run_ids, self._window)
        return [run for run in runs if run is not None and run.get("tenant") == tenant]

    async def backfill(self) -> int:
        """Enter the runs stored before this index existed (a scan of `runs`, once, by the
        migration), in the order they were made; returns how many. Deterministic: services
        that run it at the same moment write the same entries."""
        made: dict[str, list[tuple]] = {}
        async for run in self._runs.find({}, {"tenant": 1, "created_at": 1}):
            made.setdefault(run.get("tenant", ""), []).append((run.get("created_at"), run["_id"]))
        for tenant, runs in made.items():
            runs.sort(key=lambda r: (r[0] is not None, r[0] or 0, r[1]))
            for n, (_, run_id) in enumerate(runs, 1):
                try:
                    await self._entries.insert_one(
                        {"_id": tenant_run_id(tenant, n), "run_id": run_id}
                    )
                except DuplicateKeyError:
                    pass  # entered by another service's backfill
            await self._counters.update_one(
                {"_id": tenant}, {"$max": {"n": len(runs)}}, upsert=True
            )
        return sum(len(runs) for runs in made.values())


def row_index_doc(file_id: str, index_json: str, header: list[str]) -> dict:
    """A file's row index as stored: as JSON text (`RowIndex.to_json`), because FerretDB
    stores no nested arrays (the checkpoints are rows)."""
    return {"_id": file_id, "file_id": file_id, "index": index_json, "header": header}


def new_run_id() -> str:
    return uuid.uuid4().hex


def shard_id(run_id: str, n: int) -> str:
    return f"{run_id}:{n:05d}"


def shard_number(run_id: str, shard: str) -> int | None:
    """n of `shard` when it is `shard_id(run_id, n)`; None for any other text."""
    prefix, _, n = shard.rpartition(":")
    return int(n) if prefix == run_id and n.isascii() and n.isdigit() else None


RESULTS = "results"
RESULT_BATCH = 1_000
RESULT_CODEC = "json+zlib"


def batch_start(record: int) -> int:
    return record - record % RESULT_BATCH


def result_batch_id(run_id: str, column_position: int, first_record: int) -> str:
    return f"{run_id}:{column_position:04d}:{first_record:010d}"


# Every stored document stays under BSON's 16 MB: a batch whose compressed cells pass this
# is stored in parts. It takes long texts: the pii chain's redacted copy of each one alone
# makes 1,000 cells of ~50 KB of prose pass 16 MB compressed.
RESULT_PART_BYTES = 8 * 1024 * 1024


def result_part_id(batch_id: str, n: int) -> str:
    return f"{batch_id}/{n}"


def result_batch_docs(
    run_id: str,
    column: str,
    column_position: int,
    first_record: int,
    count: int,
    cells: bytes,
    *,
    part_bytes: int = RESULT_PART_BYTES,
) -> tuple[dict, list[dict]]:
    """The stored form of one batch (`cells`: the JSON list of its cell results): its
    document, whose `_id` says the batch is stored, and the documents of its further parts
    (none unless its compressed cells pass `part_bytes`), to be written before it."""
    packed = zlib.compress(cells, 1)
    pieces = [packed[i : i + part_bytes] for i in range(0, len(packed), part_bytes)] or [b""]
    batch_id = result_batch_id(run_id, column_position, first_record)
    doc = {
        "_id": batch_id,
        "run_id": run_id,
        "column": column,
        "start": first_record,
        "count": count,
        "codec": RESULT_CODEC,
        "cells": Binary(pieces[0]),
    }
    if len(pieces) > 1:
        doc["parts"] = len(pieces)
    parts = [
        {"_id": result_part_id(batch_id, n), "run_id": run_id, "cells": Binary(piece)}
        for n, piece in enumerate(pieces[1:], 1)
    ]
    return doc, parts


async def with_parts(results: AsyncCollection, doc: dict) -> dict:
    """A stored batch with the cells of its further parts joined back, read by `_id`."""
    if doc.get("parts", 1) == 1:
        return doc
    pieces = [doc["cells"]]
    for n in range(1, doc["parts"]):
        part = await results.find_one({"_id": result_part_id(doc["_id"], n)})
        if part is None:
            raise LookupError(f"result batch {doc['_id']} has lost its part {n}")
        pieces.append(part["cells"])
    return {**doc, "cells": b"".join(pieces)}


def result_batch_cells(doc: dict) -> list[dict]:
    """The cell results of a stored batch (also reads the nested form of earlier versions)."""
    codec = doc.get("codec")
    if codec is None:
        return doc["results"]
    if codec != RESULT_CODEC:
        raise ValueError(f"result batch {doc['_id']} has an unknown codec {codec!r}")
    return pydantic_core.from_json(zlib.decompress(doc["cells"]))


# Writers enter the fence before each bulk write and leave after it; cancel closes the
# fence and then waits until no writer is inside. Once `cancel` returns, no result of
# the run can be written any more: that is what "acknowledged" means for a cancel.
_ENTER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1
"""
_LEAVE = """
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
"""


class RunGate:
    """The cancel fence of each run, shared by every gateway and worker replica."""

    def __init__(self, redis: aioredis.Redis, *, writer_ttl_seconds: int = 60) -> None:
        self._redis = redis
        self._ttl = writer_ttl_seconds
        self._enter = redis.register_script(_ENTER)
        self._leave = redis.register_script(_LEAVE)

    @staticmethod
    def _keys(run_id: str) -> tuple[str, str]:
        return f"textmill:run:{run_id}:cancelled", f"textmill:run:{run_id}:writers"

    async def enter(self, run_id: str) -> bool:
        """False when the run is cancelled: the caller must not write."""
        return bool(await self._enter(keys=list(self._keys(run_id)), args=[self._ttl]))

    async def leave(self, run_id: str) -> None:
        await self._leave(keys=[self._keys(run_id)[1]])

    async def is_cancelled(self, run_id: str) -> bool:
        return bool(await self._redis.exists(self._keys(run_id)[0]))

    async def cancel(self, run_id: str, *, wait_seconds: float = 30.0) -> bool:
        """Close the fence and wait for writers inside to leave; False if they did not in
        time (a crashed writer's count expires after `writer_ttl_seconds`)."""
        cancelled, writers = self._keys(run_id)
        await self._redis.set(cancelled, "1", ex=7 * 24 * 3600)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if int(await self._redis.get(writers) or 0) <= 0:
                return True
            await asyncio.sleep(0.02)
        return False

"""A run's results in MongoDB: aligned batches written once by workers, read by `_id` by
the gateway (pages, summary, export). Layout and codec: `textmill_runs.batches`."""

from collections.abc import AsyncIterator

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from textmill_infra.caches import SizedCache
from textmill_infra.clients import find_by_ids
from textmill_runs import (
    RESULT_BATCH,
    RESULT_CODEC,
    batch_starts,
    pack_cells,
    result_batch_id,
    result_part_id,
    unpack_cells,
)
from textmill_runs.batches import RESULT_PART_BYTES
from textmill_storage.collections import RESULTS

CONCURRENT_LOOKUPS = 32
SCAN_WINDOW = RESULT_BATCH * 10


def batch_documents(
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
    pieces = pack_cells(cells, part_bytes)
    batch_id = result_batch_id(run_id, column_position, first_record)
    doc = {
        "_id": batch_id,
        "run_id": run_id,
        "column": column,
        "start": first_record,
        "count": count,
        "codec": RESULT_CODEC,
        "cells": pieces[0],
    }
    if len(pieces) > 1:
        doc["parts"] = len(pieces)
    parts = [
        {"_id": result_part_id(batch_id, n), "run_id": run_id, "cells": piece}
        for n, piece in enumerate(pieces[1:], 1)
    ]
    return doc, parts


def stored_cells(doc: dict, parts: list[bytes] = ()) -> list[dict]:
    """The cells of a stored batch, given the cells of its further parts (and the nested
    form of the earliest releases, which had no codec)."""
    if doc.get("codec") is None:
        return doc["results"]
    try:
        return unpack_cells([doc["cells"], *parts], doc["codec"])
    except ValueError as exc:
        raise ValueError(f"result batch {doc['_id']}: {exc}") from None


async def batch_cells(results: AsyncCollection, doc: dict) -> list[dict]:
    """The cells of a stored batch, its further parts read by `_id`."""
    parts = []
    for n in range(1, doc.get("parts", 1)):
        part = await results.find_one({"_id": result_part_id(doc["_id"], n)})
        if part is None:
            raise LookupError(f"result batch {doc['_id']} has lost its part {n}")
        parts.append(part["cells"])
    return stored_cells(doc, parts)


# What a decoded cell costs in memory, about: the bound of the decoded batches kept.
DECODED_CELL_BYTES = 1024


class ResultBatches:
    def __init__(self, db: AsyncDatabase, *, kept_bytes: int = 0) -> None:
        """`kept_bytes`: decoded batches kept, least recently read out first (0: none). A
        batch is written once and never changes, so one kept is never stale; decoding one
        (1,000 cells of JSON) was most of the CPU of a page of results."""
        self._results = db[RESULTS]
        self._kept: SizedCache[str, list[dict]] | None = (
            SizedCache(kept_bytes, lambda cells: DECODED_CELL_BYTES * max(1, len(cells)))
            if kept_bytes
            else None
        )

    async def write(
        self, run_id: str, column: str, position: int, records: list[int], cells: bytes
    ) -> bool:
        """Store one aligned batch (`cells`: the JSON list of its results, one per record);
        False when it was stored already (a redelivered or reassigned shard rewrites
        nothing). A batch in parts writes them first, then its own document, which says it
        is stored: a write cut short leaves parts that the redo writes again (the same
        cells: the chains are deterministic)."""
        doc, parts = batch_documents(run_id, column, position, records[0], len(records), cells)
        if parts and await self._results.find_one({"_id": doc["_id"]}, {"_id": 1}) is not None:
            return False
        for part in parts:
            await self._results.replace_one({"_id": part["_id"]}, part, upsert=True)
        try:
            await self._results.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def cells_between(
        self, run_id: str, position: int, start: int, end: int
    ) -> dict[int, dict]:
        """The column's stored cell results for records [start, end), by record (a batch not
        stored yet is simply absent)."""
        ids = [result_batch_id(run_id, position, first) for first in batch_starts(start, end)]
        kept = self._kept
        batches: list[list[dict]] = []
        wanted: list[str] = []
        for i in ids:
            batch = kept.get(i) if kept is not None else None
            if batch is None:
                wanted.append(i)
            else:
                batches.append(batch)
        if wanted:
            for doc in await find_by_ids(self._results, wanted, CONCURRENT_LOOKUPS):
                if doc is not None:
                    batches.append(await batch_cells(self._results, doc))
                    if kept is not None:
                        kept.put(doc["_id"], batches[-1])
        cells: dict[int, dict] = {}
        for batch in batches:
            for cell in batch:
                if start <= cell["record"] < end:
                    cells[cell["record"]] = cell
        return cells

    async def all_cells(
        self, run_id: str, rows: int, positions: list[tuple[str, int]]
    ) -> AsyncIterator[dict]:
        """Every stored cell of the columns (name, position), each with its `column`."""
        for column, position in positions:
            for start in range(0, rows, SCAN_WINDOW):
                cells = await self.cells_between(run_id, position, start, start + SCAN_WINDOW)
                for record in sorted(cells):
                    yield {"column": column, **cells[record]}

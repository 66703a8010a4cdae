"""Runs as the gateway reads and writes them: created here as `accepted`, planned and moved
on by the coordinator, results written by workers (layout: `textmill_infra.runs`)."""

from collections.abc import AsyncIterator

from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts.envelope import utc_now
from textmill_infra.runs import (
    RESULT_BATCH,
    RESULTS,
    RUNS,
    RunStatuses,
    TenantRuns,
    batch_start,
    result_batch_cells,
    result_batch_id,
    with_parts,
)
from textmill_infra.stores import find_by_ids

_CONCURRENT_LOOKUPS = 32
_SCAN_WINDOW = RESULT_BATCH * 10


class RunStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._runs = db[RUNS]
        self._results = db[RESULTS]
        self._statuses = RunStatuses(db)
        self._tenant_runs = TenantRuns(db)

    async def create(
        self,
        run_id: str,
        tenant: str,
        file_id: str,
        columns: list[str],
        chains: list[str],
        rows: int,
    ) -> dict:
        doc = {
            "_id": run_id,
            "tenant": tenant,
            "file_id": file_id,
            "columns": columns,
            "chains": chains,
            "status": "accepted",
            "rows": rows,
            "cells_total": rows * len(columns),
            "created_at": utc_now(),
        }
        # Listed first: a run stored without its entry would never be listed, an entry
        # without its run is skipped.
        await self._tenant_runs.enter(tenant, run_id)
        await self._runs.insert_one(doc)
        return doc

    async def get(self, tenant: str, run_id: str) -> dict | None:
        doc = await self._runs.find_one({"_id": run_id})
        if doc is None or doc.get("tenant") != tenant:
            return None  # another tenant's run answers as an absent one
        return doc

    async def for_tenant(self, tenant: str, limit: int = 100) -> list[dict]:
        """The tenant's newest runs, whole (with the shards' progress: a listed run shows the
        cells done, as its own page does)."""
        return await self._tenant_runs.newest(tenant, limit)

    async def mark_cancelled(self, run_id: str) -> None:
        await self._statuses.move(
            run_id, "cancelled", only_from=["accepted", "queued", "running"], finished_at=utc_now()
        )

    async def batches(self, run_id: str, position: int, start: int, end: int) -> list[dict]:
        """The stored result batches of one column covering records [start, end), in order,
        fetched by `_id` (a batch not stored yet is simply absent)."""
        ids = [
            result_batch_id(run_id, position, f)
            for f in range(batch_start(start), end, RESULT_BATCH)
        ]
        found = await find_by_ids(self._results, ids, _CONCURRENT_LOOKUPS)
        return [await with_parts(self._results, doc) for doc in found if doc is not None]

    async def results_between(
        self, run_id: str, position: int, start: int, end: int
    ) -> dict[int, dict]:
        """The column's cell results for records [start, end), by record."""
        return {
            cell["record"]: cell
            for batch in await self.batches(run_id, position, start, end)
            for cell in result_batch_cells(batch)
            if start <= cell["record"] < end
        }

    async def results_page(
        self,
        run: dict,
        positions: list[tuple[str, int]],
        *,
        after: tuple[int, int] | None,
        limit: int,
        settled: bool = True,
    ) -> tuple[list[dict], tuple[int, int] | None]:
        """Up to `limit` cells after the cursor (column index in `positions`, record), in
        column then record order; returns them and the next cursor (None at the end).

        While the run is under way (not `settled`), a page stops before the first cell not
        stored yet, and the cursor stays there for the client to come back: a cursor that
        jumped over cells still to come would never return to them. Once the run has ended,
        a cell never stored (a cancelled run's) is passed over."""
        items: list[dict] = []
        column_index, record = after if after is not None else (0, -1)
        rows = run.get("rows", 0)
        while column_index < len(positions) and len(items) < limit:
            column, position = positions[column_index]
            start = record + 1
            end = min(rows, start + limit - len(items) + RESULT_BATCH)
            if start >= rows:
                column_index, record = column_index + 1, -1
                continue
            cells = await self.results_between(run["_id"], position, start, end)
            for r in sorted(cells):
                if len(items) == limit or not (settled or r == record + 1):
                    break
                items.append({"column": column, **cells[r]})
                record = r
            else:
                if settled:
                    record = end - 1  # nothing more stored below `end`
            if not settled and record < end - 1:
                return items, (column_index, record)  # the next cell is not stored yet
        more = not settled or (
            column_index < len(positions)
            and not (column_index == len(positions) - 1 and record >= rows - 1)
        )
        return items, ((column_index, record) if more else None)

    async def all_results(self, run: dict, positions: list[tuple[str, int]]) -> AsyncIterator[dict]:
        for column, position in positions:
            for start in range(0, run.get("rows", 0), _SCAN_WINDOW):
                for batch in await self.batches(run["_id"], position, start, start + _SCAN_WINDOW):
                    for cell in result_batch_cells(batch):
                        yield {"column": column, **cell}

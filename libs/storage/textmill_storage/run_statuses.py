"""Moving runs from one status to the next with `_id` filters only.

`{"_id": run, "status": {"$in": [...]}}` would say it in one update, but FerretDB's SQLite
backend pushes a filter down only when it is `_id` alone (docs/ferretdb.md). Here the
status is read by `_id` and written by `_id`, and the one race that matters, between the
ends (a run completes as it is cancelled) and between an end and a later step (a cancel
lands between reading "queued" and writing "running"), is settled by a unique insert in
`run_ends`, which both stores make atomic:
- an end (completed, failed, cancelled) is claimed there first; only the first claim
  is written to the run;
- a non-final step checks for a claim after its write and puts the claimed end back.
Either the step sees the claim, or the claim came after the step's write, and so did the
end's own write. A claim whose writer died before writing is written by the next move.

FerretDB's SQLite backend also loses one of two updates of a document made at once (each
reads, changes and writes the whole document): a progress fold racing a cancel can write
the older status back. The fold itself (`RunRecords.record_progress`), and through
`RunRecords.settled` the cancel's reply and the coordinator's sweep, look for a claim
(`claimed_ends`) and write it again.
"""

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from textmill_infra.clients import find_by_ids
from textmill_runs import is_terminal, moves_from
from textmill_storage.collections import LOOKUP_WINDOW, RUN_ENDS, RUNS


class RunStatuses:
    def __init__(self, db: AsyncDatabase) -> None:
        self._runs, self._ends = db[RUNS], db[RUN_ENDS]

    async def move(self, run_id: str, status: str, **fields) -> bool:
        """Give the run `status` (and `fields`) if its status may move there
        (`textmill_runs.moves_from`); whether it moved."""
        run = await self._runs.find_one({"_id": run_id}, {"status": 1})
        if run is None or run["status"] not in moves_from(status):
            return False
        update = {"status": status, **fields}
        if is_terminal(status):
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
        return await self.settle(run_id) is not None

    async def settle(self, run_id: str) -> dict | None:
        """The run's claimed end (its fields), written to the run again; None if unclaimed."""
        end = await self._ends.find_one({"_id": run_id})
        if end is None:
            return None
        await self.write_end(run_id, end["update"])
        return end["update"]

    async def write_end(self, run_id: str, end: dict) -> None:
        """Write a claimed end (`claimed_ends`) to the run again."""
        await self._runs.update_one({"_id": run_id}, {"$set": end})

    async def claimed_ends(self, run_ids: list[str]) -> dict[str, dict]:
        """The claimed ends (their fields) of those of `run_ids` that have one, by run id."""
        ends = await find_by_ids(self._ends, run_ids, LOOKUP_WINDOW)
        return {run_id: end["update"] for run_id, end in zip(run_ids, ends, strict=True) if end}

"""Each tenant's runs, newest first, read by `_id` alone.

Listing from `runs` by `{tenant}` sorted by `created_at` decodes every run of every tenant
on FerretDB's SQLite backend. Here the n-th run a tenant makes is entered as
`<tenant>:<n>`, before the run itself, and `run_counters` says how far n has gone: the
newest `limit` runs are `limit` lookups of entries and `limit` of runs, all by `_id`. n
comes from an `$inc`, which FerretDB does not make atomic; the entry's unique `_id` does,
and a taken n is retried with the next one. An n left without an entry (a retry, or a
crash before the entry) is a gap the listing skips; an entry whose run was never stored is
skipped too. (Migration 9 entered the runs stored before.)
"""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from textmill_infra.clients import find_by_ids
from textmill_storage.collections import RUN_COUNTERS, TENANT_RUNS


def tenant_run_id(tenant: str, n: int) -> str:
    return f"{tenant}:{n:012d}"


class TenantRuns:
    def __init__(self, db: AsyncDatabase, *, window: int = 32) -> None:
        self._entries, self._counters = db[TENANT_RUNS], db[RUN_COUNTERS]
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

    async def newest(self, tenant: str, limit: int) -> list[str]:
        """The ids of the tenant's newest `limit` runs (fewer where there are gaps), newest
        first."""
        counter = await self._counters.find_one({"_id": tenant})
        top = counter["n"] if counter else 0
        ids = [tenant_run_id(tenant, n) for n in range(top, max(0, top - limit), -1)]
        entries = await find_by_ids(self._entries, ids, self._window)
        return [entry["run_id"] for entry in entries if entry is not None]

    async def page(
        self, tenant: str, limit: int, below: int | None
    ) -> tuple[list[str], int | None]:
        """Up to `limit` run ids of the tenant numbered below `below` (from the newest when
        None), newest first, gaps passed over; and the `below` of the next page (None when
        nothing is older). A page looks up at most `2 × limit` numbers, whatever the cursor:
        one far past the newest starts at the newest, and a long run of gaps ends a page
        early rather than holding the request."""
        counter = await self._counters.find_one({"_id": tenant})
        top = counter["n"] if counter else 0
        n = min(below - 1, top) if below is not None else top  # the next number to look up
        lowest = max(0, n - 2 * limit)
        ids: list[str] = []
        while n > lowest and len(ids) < limit:
            wanted = [tenant_run_id(tenant, i) for i in range(n, max(lowest, n - limit), -1)]
            for entry in await find_by_ids(self._entries, wanted, self._window):
                n -= 1
                if entry is not None:
                    ids.append(entry["run_id"])
                    if len(ids) == limit:
                        break
        return ids, (n + 1 if n >= 1 else None)

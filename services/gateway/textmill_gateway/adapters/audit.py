"""The audit log: who did what, in which tenant, when, under which request id.

Each tenant's entries are numbered as `tenant_runs` numbers runs (`<tenant>:<n>`, n from a
per-tenant counter, the unique `_id` settling a race): a page of the newest entries is
lookups by `_id`, which FerretDB answers without reading the whole log (docs/ferretdb.md).
An n left without an entry (a retry, a crash) is a gap that pages pass over.
"""

from dataclasses import dataclass
from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from textmill_contracts.envelope import utc_now
from textmill_infra.clients import find_by_ids
from textmill_infra.logs import request_id_var

AUDIT_LOG, AUDIT_COUNTERS = "audit_log", "audit_counters"
LOOKUP_WINDOW = 64


@dataclass(frozen=True)
class AuditEntry:
    tenant: str
    actor: str  # a key id, `jwt:<subject>`, or "anonymous"
    action: str  # key.created, key.revoked, key.rotated, file.uploaded, file.deleted,
    # run.started, run.cancelled, task.started, login.refused
    target: str | None = None
    detail: dict | None = None


def entry_id(tenant: str, n: int) -> str:
    return f"{tenant}:{n:012d}"


class AuditLog:
    def __init__(self, db: AsyncDatabase) -> None:
        self._entries, self._counters = db[AUDIT_LOG], db[AUDIT_COUNTERS]

    async def record(self, entry: AuditEntry) -> int:
        """Append `entry` as its tenant's newest, stamped with the time and the request id;
        returns its n."""
        doc = {
            "tenant": entry.tenant,
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "detail": entry.detail or {},
            "at": utc_now(),
            "request_id": request_id_var.get(),
        }
        while True:
            counter = await self._counters.find_one_and_update(
                {"_id": entry.tenant},
                {"$inc": {"n": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            try:
                n = counter["n"]
                await self._entries.insert_one({"_id": entry_id(entry.tenant, n), "n": n, **doc})
            except DuplicateKeyError:
                continue  # another entry took this n at the same moment
            return n

    async def page(
        self, tenant: str, limit: int, before: int | None
    ) -> tuple[list[dict], int | None]:
        """Up to `limit` of the tenant's entries, newest first, numbered below `before`;
        and the `before` of the next page (None: there is nothing older). At most
        `2 × limit` numbers are looked up, whatever the cursor (see `TenantRuns.page`)."""
        counter = await self._counters.find_one({"_id": tenant})
        top = counter["n"] if counter else 0
        n = min(before - 1, top) if before is not None else top  # the next number to look up
        lowest = max(0, n - 2 * limit)
        found: list[dict] = []
        while n > lowest and len(found) < limit:
            wanted = [entry_id(tenant, i) for i in range(n, max(lowest, n - limit), -1)]
            for doc in await find_by_ids(self._entries, wanted, LOOKUP_WINDOW):
                n -= 1
                if doc is not None and doc.get("tenant") == tenant:
                    found.append(_view(doc))
                    if len(found) == limit:
                        break
        return found, (n + 1 if n >= 1 else None)


def _view(doc: dict) -> dict:
    at: datetime = doc["at"]
    return {
        "id": doc["_id"],
        "at": at.isoformat(),
        "tenant": doc["tenant"],
        "actor": doc["actor"],
        "action": doc["action"],
        "target": doc.get("target"),
        "request_id": doc.get("request_id"),
        "detail": doc.get("detail") or {},
    }

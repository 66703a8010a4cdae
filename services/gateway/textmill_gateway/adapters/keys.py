"""API keys in MongoDB, stored under `_id` = the key's hash, with a short in-process cache of
lookups.

Every authenticated request looks its key up; caching the answer for `ttl_seconds` saves a
store round trip per request. The price: a revoked key keeps working for at most that long
on each gateway replica. A lookup that reaches the store also records when the key was last
used (so `last_used_at` is exact to within the cache's lifetime). Requests that find a key's
entry expired at the same moment share one lookup: under load, each of them going to the store
made a burst of reads and writes every `ttl_seconds` per key.

Listing, and finding a key by its id, scan the tenant's keys (FerretDB pushes down nothing
but `_id`, docs/ferretdb.md): they are admin calls, not every request's.
"""

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts.envelope import utc_now
from textmill_gateway.domain.principal import Principal, Role

KEYS = "api_keys"
BOOTSTRAP_KEY_ID = "bootstrap"


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    key_hash: str
    tenant: str
    role: Role
    created_at: datetime | None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None  # a rotated key's end of grace
    rotated_from: str | None = None
    created_by: str | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def principal(self) -> Principal:
        return Principal(self.key_id, self.tenant, self.role, credential=f"key:{self.key_hash}")

    def as_view(self) -> dict:
        """What an admin is shown of a key: never its hash, nor (it is not stored) its secret."""
        return {
            "key_id": self.key_id,
            "tenant": self.tenant,
            "role": self.role,
            "created_at": _iso(self.created_at),
            "last_used_at": _iso(self.last_used_at),
            "revoked_at": _iso(self.revoked_at),
            "expires_at": _iso(self.expires_at),
            "rotated_from": self.rotated_from,
            "created_by": self.created_by,
            "active": self.usable(utc_now()),
        }


class ApiKeyStore:
    def __init__(self, db: AsyncDatabase, ttl_seconds: float = 5.0, max_entries: int = 10_000):
        self._keys = db[KEYS]
        self._ttl, self._max = ttl_seconds, max_entries
        self._recent: dict[str, tuple[float, StoredKey]] = {}
        self._pending: dict[str, asyncio.Task[StoredKey | None]] = {}

    async def find(self, key_hash: str) -> StoredKey | None:
        """The key of this hash, usable or not (a revoked key's tenant goes in the audit
        log); None for a hash never registered."""
        if (hit := self._recent.get(key_hash)) and hit[0] > time.monotonic():
            return hit[1]
        lookup = self._pending.get(key_hash)
        if lookup is None:
            lookup = asyncio.ensure_future(self._look_up(key_hash))
            self._pending[key_hash] = lookup
            lookup.add_done_callback(lambda _: self._pending.pop(key_hash, None))
        # Shielded: a request that goes away does not cancel the others' lookup.
        return await asyncio.shield(lookup)

    async def _look_up(self, key_hash: str) -> StoredKey | None:
        now = time.monotonic()
        # By `_id` (= the hash): FerretDB finds nothing else without reading every key.
        doc = await self._keys.find_one({"_id": key_hash})
        if doc is None:
            return None
        stored = _stored(doc)
        wall = utc_now()
        if not stored.usable(wall):
            return stored  # not cached: nothing to save on a key that is refused
        await self._keys.update_one({"_id": key_hash}, {"$max": {"last_used_at": wall}})
        stored = replace(stored, last_used_at=wall)
        ttl = self._ttl
        if stored.expires_at is not None:
            ttl = min(ttl, (stored.expires_at - wall).total_seconds())
        if len(self._recent) >= self._max:
            self._recent.clear()
        self._recent[key_hash] = (now + ttl, stored)
        return stored

    async def add(
        self,
        *,
        key_id: str,
        key_hash: str,
        tenant: str,
        role: Role,
        created_by: str | None = None,
        rotated_from: str | None = None,
    ) -> StoredKey:
        # Upsert by hash: registering the same bootstrap key twice is one key.
        fields = {
            "key_hash": key_hash,
            "key_id": key_id,
            "tenant": tenant,
            "role": role,
            "created_at": utc_now(),
            "created_by": created_by,
            "rotated_from": rotated_from,
        }
        await self._keys.update_one({"_id": key_hash}, {"$setOnInsert": fields}, upsert=True)
        return _stored({"_id": key_hash, **fields})

    async def get(self, key_id: str, tenant: str | None) -> StoredKey | None:
        """The key of this id (of `tenant`'s keys, when given). Ids are random, but for
        bootstrap keys (one per deployment sharing the store): those go by tenant."""
        query = {"key_id": key_id} | ({"tenant": tenant} if tenant is not None else {})
        doc = await self._keys.find_one(query)
        return _stored(doc) if doc is not None else None

    async def page(
        self, tenant: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[StoredKey]:
        """The tenant's keys, newest first, after the cursor (created_at, key id)."""
        query: dict = {"tenant": tenant}
        if after is not None:
            at, key_id = after
            query["$or"] = [
                {"created_at": {"$lt": at}},
                {"created_at": at, "key_id": {"$lt": key_id}},
            ]
        cursor = self._keys.find(query).sort([("created_at", -1), ("key_id", -1)]).limit(limit)
        return [_stored(doc) async for doc in cursor]

    async def revoke(self, key: StoredKey) -> StoredKey:
        if key.revoked_at is None:
            await self._keys.update_one({"_id": key.key_hash}, {"$set": {"revoked_at": utc_now()}})
        self._recent.pop(key.key_hash, None)
        doc = await self._keys.find_one({"_id": key.key_hash})
        return _stored(doc) if doc is not None else key

    async def end_after(self, key: StoredKey, grace: timedelta) -> StoredKey:
        """A rotated key works `grace` longer, then is refused (at once when it is 0)."""
        if grace <= timedelta(0):
            return await self.revoke(key)
        ends = utc_now() + grace
        if key.expires_at is None or key.expires_at > ends:
            await self._keys.update_one({"_id": key.key_hash}, {"$set": {"expires_at": ends}})
        self._recent.pop(key.key_hash, None)
        doc = await self._keys.find_one({"_id": key.key_hash})
        return _stored(doc) if doc is not None else key


def _stored(doc: dict) -> StoredKey:
    revoked_at = doc.get("revoked_at")
    if revoked_at is None and doc.get("revoked"):
        revoked_at = doc.get("created_at") or utc_now()  # revoked before the time was kept
    return StoredKey(
        key_id=doc["key_id"],
        key_hash=doc["_id"],
        tenant=doc["tenant"],
        role=doc["role"],
        created_at=doc.get("created_at"),
        last_used_at=doc.get("last_used_at"),
        revoked_at=revoked_at,
        expires_at=doc.get("expires_at"),
        rotated_from=doc.get("rotated_from"),
        created_by=doc.get("created_by"),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

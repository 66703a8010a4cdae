"""API keys in MongoDB, stored under `_id` = the key's hash, with a short in-process cache of
lookups.

Every authenticated request looks its key up; caching the answer for a few seconds
saves a store round trip per request. The price: a revoked key keeps working for at
most `ttl_seconds` on each gateway replica.
"""

import time

from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts.envelope import utc_now
from textmill_gateway.domain.principal import Principal, Role


class ApiKeyStore:
    def __init__(self, db: AsyncDatabase, ttl_seconds: float = 5.0, max_entries: int = 10_000):
        self._keys = db["api_keys"]
        self._ttl, self._max = ttl_seconds, max_entries
        self._recent: dict[str, tuple[float, Principal]] = {}

    async def find(self, key_hash: str) -> Principal | None:
        now = time.monotonic()
        if (hit := self._recent.get(key_hash)) and hit[0] > now:
            return hit[1]
        # By `_id` (= the hash): FerretDB finds nothing else without reading every key.
        doc = await self._keys.find_one({"_id": key_hash})
        if doc is None or doc.get("revoked"):
            return None  # not cached: a new key works at once
        principal = Principal(key_id=doc["key_id"], tenant=doc["tenant"], role=doc["role"])
        if len(self._recent) >= self._max:
            self._recent.clear()
        self._recent[key_hash] = (now + self._ttl, principal)
        return principal

    async def add(self, *, key_id: str, key_hash: str, tenant: str, role: Role) -> None:
        # Upsert by hash: registering the same bootstrap key twice is one key.
        await self._keys.update_one(
            {"_id": key_hash},
            {
                "$setOnInsert": {
                    "key_hash": key_hash,
                    "key_id": key_id,
                    "tenant": tenant,
                    "role": role,
                    "created_at": utc_now(),
                }
            },
            upsert=True,
        )

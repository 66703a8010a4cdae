"""API keys in MongoDB, looked up by hash."""

from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts.envelope import utc_now
from textmill_gateway.auth import Principal, Role


class ApiKeyStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._keys = db["api_keys"]

    async def find(self, key_hash: str) -> Principal | None:
        doc = await self._keys.find_one({"key_hash": key_hash, "revoked": {"$ne": True}})
        if doc is None:
            return None
        return Principal(key_id=doc["key_id"], tenant=doc["tenant"], role=doc["role"])

    async def add(self, *, key_id: str, key_hash: str, tenant: str, role: Role) -> None:
        # Upsert by hash: registering the same bootstrap key twice is one key.
        await self._keys.update_one(
            {"key_hash": key_hash},
            {
                "$setOnInsert": {
                    "key_id": key_id,
                    "tenant": tenant,
                    "role": role,
                    "created_at": utc_now(),
                }
            },
            upsert=True,
        )

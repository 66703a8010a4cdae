"""Profiles in MongoDB, one per (tenant, file, profiler version): upserted, so a redelivered
command rewrites the same document instead of adding one."""

from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts.envelope import utc_now

FIELDS = {"_id": 0, "rows": 1, "sampled_rows": 1, "columns": 1, "candidates": 1}


class ProfileStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._profiles = db["profiles"]

    async def find(self, tenant: str, file_id: str, version: str, sha256: str) -> dict | None:
        query = {
            "tenant": tenant,
            "file_id": file_id,
            "profiler_version": version,
            "sha256": sha256,
        }
        return await self._profiles.find_one(query, FIELDS)

    async def save(
        self, tenant: str, file_id: str, version: str, sha256: str, fields: dict
    ) -> None:
        await self._profiles.update_one(
            {"tenant": tenant, "file_id": file_id, "profiler_version": version},
            {"$set": {"sha256": sha256, **fields, "profiled_at": utc_now()}},
            upsert=True,
        )

    async def delete(self, tenant: str, file_id: str) -> None:
        await self._profiles.delete_many({"tenant": tenant, "file_id": file_id})

"""Profiles in MongoDB, one per (tenant, file, profiler version): upserted, so a redelivered
command rewrites the same document instead of adding one."""

from pymongo.asynchronous.database import AsyncDatabase
from textmill_contracts.envelope import utc_now

from textmill_profiler.domain import TableProfile


class ProfileStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._profiles = db["profiles"]

    async def find(self, tenant: str, file_id: str, version: str, sha256: str) -> dict | None:
        return await self._profiles.find_one(
            {"tenant": tenant, "file_id": file_id, "profiler_version": version, "sha256": sha256},
            {"_id": 0},
        )

    async def save(
        self, tenant: str, file_id: str, version: str, sha256: str, profile: TableProfile
    ) -> None:
        await self._profiles.update_one(
            {"tenant": tenant, "file_id": file_id, "profiler_version": version},
            {
                "$set": {
                    "sha256": sha256,
                    "rows": profile.rows,
                    "columns": [c.model_dump(mode="json") for c in profile.columns],
                    "candidates": [c.model_dump(mode="json") for c in profile.candidates],
                    "profiled_at": utc_now(),
                }
            },
            upsert=True,
        )

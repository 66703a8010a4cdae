"""Profiles in MongoDB, one per (tenant, file, profiler version), whose `_id` is that triple:
a redelivered command rewrites the same document instead of adding one, and the profiler's
reads and writes are `_id` lookups (the one filter FerretDB's SQLite backend can push down).

The profiler writes them; a worker reads the languages of a file's columns, the prior of
the `language` chain's short texts (`column_languages`: it knows no profiler version, so
it takes the file's latest profile)."""

from pymongo.asynchronous.database import AsyncDatabase

from textmill_contracts.envelope import utc_now

FIELDS = {"_id": 0, "sha256": 1, "rows": 1, "sampled_rows": 1, "columns": 1, "candidates": 1}
LANGUAGE_FIELDS = {
    "_id": 0,
    "columns.name": 1,
    "columns.language": 1,
    "columns.language_confidence": 1,
}


def profile_id(tenant: str, file_id: str, version: str) -> str:
    return f"{tenant}:{file_id}:{version}"


class ProfileStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._profiles = db["profiles"]

    async def find(self, tenant: str, file_id: str, version: str, sha256: str) -> dict | None:
        doc = await self._profiles.find_one({"_id": profile_id(tenant, file_id, version)}, FIELDS)
        if doc is None or doc.pop("sha256") != sha256:
            return None  # never profiled, or profiled before the file's content changed
        return doc

    async def save(
        self, tenant: str, file_id: str, version: str, sha256: str, fields: dict
    ) -> None:
        document = {
            "tenant": tenant,
            "file_id": file_id,
            "profiler_version": version,
            "sha256": sha256,
            **fields,
            "profiled_at": utc_now(),
        }
        await self._profiles.replace_one(
            {"_id": profile_id(tenant, file_id, version)}, document, upsert=True
        )

    async def delete(self, tenant: str, file_id: str) -> None:
        await self._profiles.delete_many({"tenant": tenant, "file_id": file_id})

    async def column_languages(self, tenant: str, file_id: str) -> dict[str, tuple[str, float]]:
        """Each text column's (language, confidence) in the file's latest profile; empty when
        the file was never profiled."""
        cursor = self._profiles.find({"tenant": tenant, "file_id": file_id}, LANGUAGE_FIELDS)
        docs = await cursor.sort("profiled_at", -1).limit(1).to_list(1)
        columns = docs[0].get("columns", []) if docs else []
        return {
            column["name"]: (column["language"], float(column.get("language_confidence") or 0))
            for column in columns
            if isinstance(column, dict) and column.get("name") and column.get("language")
        }

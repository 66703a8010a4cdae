"""Uploaded files in GridFS layout, with their metadata (tenant, size, sha256, format, shape)."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from textmill_infra import blobs
from textmill_storage.collections import ROW_INDEXES
from textmill_storage.row_indexes import row_index_document


@dataclass(frozen=True)
class StoredFile:
    id: str
    tenant: str
    filename: str
    content_type: str
    size: int
    sha256: str
    format: str
    encoding: str
    delimiter: str
    rows: int
    columns: int
    uploaded_at: datetime
    header: list[str]

    def as_dict(self) -> dict:
        return {**self.__dict__, "uploaded_at": self.uploaded_at.isoformat()}


class FileStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._files = db[blobs.FILES]

    async def save(
        self, path: Path, *, filename: str, metadata: dict, row_index: str | None = None
    ) -> StoredFile:
        """Store the file, and its row index (`RowIndex.to_json`) first when given: a run of
        the file then plans its shards without reading the file again."""
        doc = await blobs.save_file(self._db, path, filename=filename, metadata=metadata)
        if row_index is not None:
            file_id = str(doc["_id"])
            await self._db[ROW_INDEXES].replace_one(
                {"_id": file_id},
                row_index_document(file_id, row_index, metadata.get("header", [])),
                upsert=True,
            )
        return _to_stored(doc)

    async def get(self, tenant: str, file_id: str) -> StoredFile | None:
        return _to_stored(doc) if (doc := await self._own(tenant, file_id)) else None

    async def _own(self, tenant: str, file_id: str) -> dict | None:
        # The lookup of `blobs.find_file`, asked asynchronously.
        query = blobs.file_query(file_id)
        return blobs.owned(await self._files.find_one(query), tenant) if query else None

    async def header(self, file_id: str) -> list[str] | None:
        """The header stored with the file's row index (every file uploaded since row
        indexes exist has one)."""
        indexed = await self._db[ROW_INDEXES].find_one({"_id": file_id}, {"header": 1})
        return list(indexed["header"]) if indexed is not None else None

    async def list(
        self, tenant: str, limit: int = 100, after: tuple[datetime, str] | None = None
    ) -> list[StoredFile]:
        """The tenant's newest files, after the cursor (uploaded at, id) when given."""
        # A scan of fs.files: FerretDB pushes down no filter but `_id` (docs/ferretdb.md
        # says why a collection per tenant was no better).
        query: dict = {"metadata.tenant": tenant}
        if after is not None:
            at, file_id = after
            query["$or"] = [
                {"uploadDate": {"$lt": at}},
                {"uploadDate": at, "_id": {"$lt": ObjectId(file_id)}},
            ]
        order = [("uploadDate", -1), ("_id", -1)]
        cursor = self._files.find(query).sort(order).limit(limit)
        return [_to_stored(doc) async for doc in cursor]

    async def delete(self, tenant: str, file_id: str) -> StoredFile | None:
        """Delete the tenant's file; returns what was deleted, or None if there was none."""
        doc = await self._own(tenant, file_id)
        if doc is None:
            return None
        await blobs.delete_file(self._db, doc)
        # By the id as stored: `file_id` may name it in capitals, which ObjectId takes.
        await self._db[ROW_INDEXES].delete_one({"_id": str(doc["_id"])})
        return _to_stored(doc)


def _to_stored(doc: dict) -> StoredFile:
    meta = doc.get("metadata") or {}
    return StoredFile(
        id=str(doc["_id"]),
        tenant=meta["tenant"],
        filename=doc.get("filename", ""),
        content_type=meta.get("content_type", ""),
        size=doc.get("length", 0),
        sha256=meta.get("sha256", ""),
        format=meta.get("format", ""),
        encoding=meta.get("encoding", ""),
        delimiter=meta.get("delimiter", ""),
        rows=meta.get("rows", 0),
        columns=meta.get("columns", 0),
        uploaded_at=doc["uploadDate"],
        header=list(meta.get("header", [])),
    )

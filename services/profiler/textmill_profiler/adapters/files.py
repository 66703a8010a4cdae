"""Copies a stored file from GridFS to a local temporary file, chunk by chunk."""

import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

from bson import ObjectId
from bson.errors import InvalidId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase


class FileMissing(Exception):
    pass


class StoredFiles:
    def __init__(self, db: AsyncDatabase) -> None:
        self._bucket = AsyncGridFSBucket(db)
        self._meta = db["fs.files"]

    async def filename(self, tenant: str, file_id: str) -> str:
        doc = await self._meta.find_one({"_id": _oid(file_id), "metadata.tenant": tenant})
        if doc is None:
            raise FileMissing(file_id)
        return doc.get("filename", "")

    @asynccontextmanager
    async def local_copy(self, tenant: str, file_id: str):
        """Yield (path, filename) of a temporary copy; it is removed on exit."""
        filename = await self.filename(tenant, file_id)
        with tempfile.NamedTemporaryFile(prefix="profile-", suffix=Path(filename).suffix) as tmp:
            try:
                stream = await self._bucket.open_download_stream(_oid(file_id))
            except NoFile as exc:
                raise FileMissing(file_id) from exc
            while chunk := await stream.readchunk():
                tmp.write(chunk)
            tmp.flush()
            yield Path(tmp.name), filename


def _oid(file_id: str) -> ObjectId:
    try:
        return ObjectId(file_id)
    except (InvalidId, TypeError) as exc:
        raise FileMissing(file_id) from exc

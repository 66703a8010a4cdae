"""Stored files, streamed from the store for profiling: no local copy, and only the bytes
the profile's sample needs are read. Synchronous, because profiling runs in a thread."""

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.synchronous.database import Database

from textmill_infra.blobs import StoredFileSource


class FileMissing(Exception):
    pass


class StoredFiles:
    def __init__(self, db: Database) -> None:
        self._db = db

    def open(self, tenant: str, file_id: str) -> tuple[StoredFileSource, dict]:
        """The file as a source for the tabular readers, and its upload metadata."""
        try:
            oid = ObjectId(file_id)
        except (InvalidId, TypeError) as exc:
            raise FileMissing(file_id) from exc
        doc = self._db["fs.files"].find_one({"_id": oid, "metadata.tenant": tenant})
        if doc is None:
            raise FileMissing(file_id)
        return StoredFileSource(self._db, doc), doc.get("metadata") or {}

"""Stored files as the profiler reads them: streamed from the store (no local copy, only
the bytes the sample needs). Synchronous: profiling runs in a thread."""

from pymongo.synchronous.database import Database

from textmill_infra.blobs import StoredFileSource, find_file


class StoredTables:
    def __init__(self, db: Database) -> None:
        self._db = db

    def open(self, tenant: str, file_id: str) -> tuple[StoredFileSource, dict]:
        """The tenant's file as a source for the tabular readers, and its upload metadata;
        StoredFileMissing when it has none of that id."""
        doc = find_file(self._db, tenant, file_id)
        return StoredFileSource(self._db, doc), doc.get("metadata") or {}

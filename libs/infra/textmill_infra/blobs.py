"""Uploaded files in GridFS layout (`fs.files` + `fs.chunks`), read chunk by chunk by `_id`,
and the one lookup of a tenant's stored file.

Chunks carry a deterministic `_id` (`<file id>:<n>`), so readers fetch them by `_id`, the
one filter FerretDB's SQLite backend pushes down (GridFS's own reads scan every chunk),
and are compressed one by one when that saves a tenth of their size: FerretDB decodes a
binary's base64 on every read. `length` and `chunkSize` stay those of the original bytes,
so readers seek as before. A file is visible (its `fs.files` document exists) only once
all its chunks are written, and is made invisible before its chunks are deleted: a reader
never sees half a file. Measurements: docs/stored-files.md.
"""

import asyncio
import io
import zlib
from datetime import UTC, datetime
from pathlib import Path

from bson import Binary, ObjectId
from bson.errors import InvalidId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.synchronous.database import Database

from textmill_infra.caches import SizedCache
from textmill_infra.clients import in_windows

CHUNK_SIZE = 255 * 1024
WRITE_BATCH = 16  # chunks per insert: at most about 4 MB per round trip
DELETE_WINDOW = 32  # chunk deletes in flight at once
CODEC = "zlib"
FILES = "fs.files"
WORTH_COMPRESSING = 0.9  # keep the compressed form when it is at most this share of the size


def chunk_id(file_id: ObjectId, n: int) -> str:
    return f"{file_id}:{n:08d}"


def chunk_count(length: int, chunk_size: int) -> int:
    return (length + chunk_size - 1) // chunk_size


def chunk_doc(file_id: ObjectId, n: int, data: bytes) -> dict:
    """Chunk n as stored: compressed when that pays (see the module's docstring)."""
    doc = {"_id": chunk_id(file_id, n), "files_id": file_id, "n": n}
    packed = zlib.compress(data, 1)
    if len(packed) <= len(data) * WORTH_COMPRESSING:
        return doc | {"data": Binary(packed), "codec": CODEC}
    return doc | {"data": Binary(data)}


def chunk_data(doc: dict) -> bytes:
    """The original bytes of a stored chunk; OSError for a codec or data it cannot read."""
    codec, data = doc.get("codec"), bytes(doc["data"])
    if codec is None:
        return data
    if codec != CODEC:
        raise OSError(f"chunk {doc['_id']} has an unknown codec {codec!r}")
    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        raise OSError(f"chunk {doc['_id']} is corrupt: {exc}") from exc


def _chunk_docs(file_id: ObjectId, first: int, pieces: list[bytes]) -> list[dict]:
    return [chunk_doc(file_id, first + i, data) for i, data in enumerate(pieces)]


async def save_file(db: AsyncDatabase, path: Path, *, filename: str, metadata: dict) -> dict:
    """Store the local file `path`; returns its `fs.files` document, as stored."""
    file_id, n, length, pieces = ObjectId(), 0, 0, []

    async def write() -> None:
        # Compressed in a thread (zlib lets go of the GIL): ~2 ms a chunk, off the loop.
        docs = await asyncio.to_thread(_chunk_docs, file_id, n - len(pieces), pieces)
        await db["fs.chunks"].insert_many(docs, ordered=True)
        pieces.clear()

    try:
        with path.open("rb") as source:
            while data := source.read(CHUNK_SIZE):
                pieces.append(data)
                n, length = n + 1, length + len(data)
                if len(pieces) == WRITE_BATCH:
                    await write()
        if pieces:
            await write()
        now = datetime.now(UTC)
        doc = {
            "_id": file_id,
            "length": length,
            "chunkSize": CHUNK_SIZE,
            # Milliseconds, as the store keeps them: the returned document equals a read.
            "uploadDate": now.replace(microsecond=now.microsecond // 1000 * 1000),
            "filename": filename,
            "metadata": metadata,
        }
        await db[FILES].insert_one(doc)
    except BaseException:
        await _delete_chunks(db, file_id, n + 1)
        raise
    return doc


async def delete_file(db: AsyncDatabase, file_doc: dict) -> None:
    await db[FILES].delete_one({"_id": file_doc["_id"]})
    await _delete_chunks(
        db, file_doc["_id"], chunk_count(file_doc["length"], file_doc["chunkSize"])
    )


async def _delete_chunks(db: AsyncDatabase, file_id: ObjectId, count: int) -> None:
    # One `{_id: x}` delete per chunk, a window at a time: FerretDB's SQLite backend does not
    # push `$in` down, so one `delete_many` scanned every chunk of every file (31 s with a
    # few GB stored).
    chunks = db["fs.chunks"]
    ids = [chunk_id(file_id, n) for n in range(count)]
    await in_windows(ids, lambda i: chunks.delete_one({"_id": i}), DELETE_WINDOW)


class ChunkCache(SizedCache[str, bytes]):
    """Recently read chunks, least recently used out first, bounded in bytes; shared by the
    readers of one process (thread-safe). A stored file never changes (a new upload is a
    new file id), so a cached chunk is never stale. A run reads each row range once per
    selected column, one shard after the other: the second read comes from here, not from
    the store."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, len)


CHUNK_CACHE = ChunkCache(32 * 1024 * 1024)  # 128 chunks


class StoredFileMissing(LookupError):
    """No stored file of the tenant has this id: absent, or another tenant's (which must
    answer the same)."""

    code = "file_not_found"
    source_error = True  # the tabular readers let it through rather than blame the file


class StoredFileGone(StoredFileMissing):
    """The stored file was deleted while it was being read."""


def file_query(file_id: str) -> dict | None:
    """The filter of a stored file's document: by `_id` alone (see the module's docstring);
    None for an id that can name no stored file."""
    try:
        return {"_id": ObjectId(file_id)}
    except (InvalidId, TypeError):
        return None


def owned(doc: dict | None, tenant: str) -> dict | None:
    """`doc` if it is `tenant`'s file: another tenant's answers the same as an absent one."""
    if doc is None or (doc.get("metadata") or {}).get("tenant") != tenant:
        return None
    return doc


def find_file(db: Database, tenant: str, file_id: str) -> dict:
    """The tenant's stored file's document (synchronous, for readers in threads); raises
    StoredFileMissing. The gateway's async store asks the same query and ownership."""
    query = file_query(file_id)
    doc = owned(db[FILES].find_one(query), tenant) if query else None
    if doc is None:
        raise StoredFileMissing(f"no file with id {file_id!r}")
    return doc


def open_stored_file(db: Database, tenant: str, file_id: str) -> "StoredFileSource":
    """The tenant's stored file as a source for the tabular readers; raises
    StoredFileMissing."""
    return StoredFileSource(db, find_file(db, tenant, file_id))


class ChunkReader(io.RawIOBase):
    """A seekable, read-only binary stream over a stored file, one chunk fetched at a time."""

    def __init__(self, db: Database, file_doc: dict) -> None:
        self._files, self._chunks = db[FILES], db["fs.chunks"]
        self._id, self._length = file_doc["_id"], file_doc["length"]
        self._chunk_size = file_doc["chunkSize"]
        self._position = 0
        self._cached: tuple[int, bytes] = (-1, b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:
        if self._position >= self._length:
            return 0
        n, offset = divmod(self._position, self._chunk_size)
        data = self._chunk(n)[offset : offset + len(buffer)]
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def _chunk(self, n: int) -> bytes:
        if self._cached[0] != n:
            key = chunk_id(self._id, n)
            data = CHUNK_CACHE.get(key)
            if data is None:
                fields = {"data": 1, "codec": 1}
                doc = self._chunks.find_one({"_id": key}, fields)
                if doc is None:
                    # Deleted meanwhile (its document goes before its chunks): say so at once,
                    # rather than look for the chunk the slow way, a scan of every chunk.
                    if self._files.find_one({"_id": self._id}, {"_id": 1}) is None:
                        raise StoredFileGone(f"stored file {self._id} was deleted")
                    # Written by a standard GridFS client: the slow lookup.
                    doc = self._chunks.find_one({"files_id": self._id, "n": n}, fields)
                if doc is None:
                    raise OSError(f"chunk {n} of stored file {self._id} is missing")
                data = chunk_data(doc)
                CHUNK_CACHE.put(key, data)
            self._cached = (n, data)
        return self._cached[1]


class StoredFileSource:
    """What the tabular readers need of a path (`name`, `open("rb")`, `stat()`), over a stored
    file, so they stream it from the store without a local copy."""

    def __init__(self, db: Database, file_doc: dict) -> None:
        self._db, self._doc = db, file_doc
        self.name = file_doc.get("filename") or "upload"

    def open(self, mode: str = "rb") -> io.BufferedReader:
        if mode != "rb":
            raise ValueError("stored files are read-only")
        return io.BufferedReader(
            ChunkReader(self._db, self._doc), buffer_size=self._doc["chunkSize"]
        )

    def stat(self):
        return _Stat(self._doc["length"])


class _Stat:
    def __init__(self, size: int) -> None:
        self.st_size = size

"""Stored files in GridFS layout against the real Mongo-compatible server."""

import io
import os

import pytest
from gridfs import AsyncGridFSBucket
from pymongo import MongoClient

from tests.integration.conftest import FindFilters
from textmill_infra import blobs
from textmill_infra.clients import MONGO_OPTIONS


@pytest.fixture
def payload(tmp_path):
    """Text, then random bytes, then text: compressed and plain chunks in one file."""
    text = b"".join(b"%d,a review that says %d things\n" % (i, i % 13) for i in range(40_000))
    path = tmp_path / "payload.bin"
    path.write_bytes(
        text[: blobs.CHUNK_SIZE] + os.urandom(blobs.CHUNK_SIZE) + text[: blobs.CHUNK_SIZE // 2]
    )
    return path


@pytest.fixture
def random_payload(tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(os.urandom(blobs.CHUNK_SIZE * 2 + 1234))
    return path


async def test_a_saved_file_reads_back_byte_for_byte(scratch_db, sync_db, payload):
    saved = await blobs.save_file(scratch_db, payload, filename="p.bin", metadata={"tenant": "t"})
    doc = await scratch_db["fs.files"].find_one({"_id": saved["_id"]})
    assert doc == saved
    with blobs.StoredFileSource(sync_db, doc).open() as stream:
        assert stream.read() == payload.read_bytes()
    assert doc["length"] == payload.stat().st_size


async def test_reads_seek_across_chunk_boundaries(scratch_db, sync_db, payload):
    doc = await blobs.save_file(scratch_db, payload, filename="p.bin", metadata={})
    expected = payload.read_bytes()
    with blobs.StoredFileSource(sync_db, doc).open() as stream:
        for boundary in (blobs.CHUNK_SIZE, 2 * blobs.CHUNK_SIZE):
            stream.seek(boundary - 10)  # compressed → plain, plain → compressed
            assert stream.read(20) == expected[boundary - 10 : boundary + 10]
        stream.seek(-5, io.SEEK_END)
        assert stream.read() == expected[-5:]


async def test_files_written_by_a_standard_gridfs_client_are_readable(scratch_db, sync_db, payload):
    bucket = AsyncGridFSBucket(scratch_db)
    file_id = await bucket.upload_from_stream("std.bin", payload.read_bytes())
    doc = await scratch_db["fs.files"].find_one({"_id": file_id})
    with blobs.StoredFileSource(sync_db, doc).open() as stream:
        assert stream.read() == payload.read_bytes()


async def test_text_chunks_are_stored_compressed_and_random_ones_plain(scratch_db, payload):
    # Given a file of text, random bytes and text again
    # When it is saved
    doc = await blobs.save_file(scratch_db, payload, filename="p.bin", metadata={})
    # Then its text chunks are compressed and its random chunk is stored as it is
    chunks = await scratch_db["fs.chunks"].find({"files_id": doc["_id"]}).to_list()
    stored = {c["n"]: (c.get("codec"), len(c["data"])) for c in chunks}
    assert [stored[n][0] for n in sorted(stored)] == ["zlib", None, "zlib"]
    assert stored[0][1] < blobs.CHUNK_SIZE / 3 and stored[1][1] == blobs.CHUNK_SIZE
    # And the file's length and chunk size are those of the original bytes
    assert doc["length"] == payload.stat().st_size and doc["chunkSize"] == blobs.CHUNK_SIZE


async def test_an_incompressible_file_is_readable_by_a_standard_gridfs_client(
    scratch_db, random_payload
):
    # Given a file whose chunks do not compress, saved here
    doc = await blobs.save_file(scratch_db, random_payload, filename="r.bin", metadata={})
    # When a standard GridFS client reads it, Then it gets the file
    stream = await AsyncGridFSBucket(scratch_db).open_download_stream(doc["_id"])
    assert await stream.read() == random_payload.read_bytes()


async def test_a_deleted_file_leaves_no_chunk(scratch_db, payload):
    doc = await blobs.save_file(scratch_db, payload, filename="p.bin", metadata={})
    await blobs.delete_file(scratch_db, doc)
    assert await scratch_db["fs.files"].count_documents({}) == 0
    assert await scratch_db["fs.chunks"].count_documents({}) == 0


async def test_a_failed_save_leaves_nothing(scratch_db, tmp_path):
    class Exploding(type(tmp_path)):
        def open(self, *args, **kwargs):
            raise OSError("disk went away")

    with pytest.raises(OSError):
        await blobs.save_file(scratch_db, Exploding(tmp_path / "x"), filename="x", metadata={})
    assert await scratch_db["fs.files"].count_documents({}) == 0
    assert await scratch_db["fs.chunks"].count_documents({}) == 0


async def test_a_file_deleted_while_it_is_read_fails_at_once_without_a_scan(
    settings, scratch_db, payload
):
    # Given a stored file of three chunks, whose first chunk a reader has read
    doc = await blobs.save_file(scratch_db, payload, filename="p.bin", metadata={})
    finds = FindFilters("fs.chunks")
    client = MongoClient(settings.mongo_url, event_listeners=[finds], **MONGO_OPTIONS)
    try:
        with blobs.StoredFileSource(client[scratch_db.name], doc).open() as stream:
            stream.read(10)
            # When the file is deleted, and the reader goes on
            await blobs.delete_file(scratch_db, doc)
            stream.seek(blobs.CHUNK_SIZE * 2)
            # Then it is told the file is gone, having looked chunks up by `_id` alone: the
            # lookup by files_id and n scans every chunk of every file stored
            with pytest.raises(blobs.StoredFileGone):
                stream.read(10)
    finally:
        client.close()
    assert finds.filters and all(set(f) == {"_id"} for f in finds.filters)

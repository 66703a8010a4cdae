"""How one chunk of a stored file is encoded: compressed when that pays, as it is otherwise,
and refused with a clear error when the store holds something it cannot read."""

import os
import zlib

import pytest
from bson import Binary, ObjectId

from textmill_infra.blobs import CHUNK_SIZE, chunk_data, chunk_doc

TEXT = b"id,review\n" + b"".join(
    b"%d,Great value but the battery died after %d days\n" % (i, i % 97) for i in range(6_000)
)


def test_a_text_chunk_is_stored_compressed_and_reads_back_byte_for_byte():
    # Given a chunk of CSV text
    data = TEXT[:CHUNK_SIZE]
    # When it is encoded for the store
    doc = chunk_doc(ObjectId(), 3, data)
    # Then it says so, is a fraction of its size, and decodes to the same bytes
    assert doc["codec"] == "zlib" and doc["n"] == 3
    assert len(doc["data"]) < len(data) / 3
    assert chunk_data(doc) == data


def test_an_incompressible_chunk_is_stored_as_it_is():
    # Given random bytes, which zlib cannot shrink by a tenth
    data = os.urandom(CHUNK_SIZE)
    # When they are encoded for the store
    doc = chunk_doc(ObjectId(), 0, data)
    # Then the chunk is a plain GridFS chunk
    assert "codec" not in doc
    assert bytes(doc["data"]) == data and chunk_data(doc) == data


def test_an_empty_chunk_round_trips():
    # Given nothing to store (an empty file has no chunk, but the codec must not care)
    # When it is encoded and decoded
    doc = chunk_doc(ObjectId(), 0, b"")
    # Then nothing comes back
    assert chunk_data(doc) == b""


def test_a_chunk_with_an_unknown_codec_is_refused():
    # Given a chunk written by something newer, or hostile
    doc = {"_id": "f:00000000", "data": Binary(zlib.compress(b"a,b")), "codec": "lzma"}
    # When it is read, Then the error names the chunk and the codec
    with pytest.raises(OSError, match=r"f:00000000 has an unknown codec 'lzma'"):
        chunk_data(doc)


def test_a_corrupt_compressed_chunk_is_refused():
    # Given a chunk that says zlib but holds truncated data
    doc = {"_id": "f:00000001", "data": Binary(zlib.compress(TEXT)[:100]), "codec": "zlib"}
    # When it is read, Then the reader gets an OSError that names the chunk, not zlib's error
    with pytest.raises(OSError, match=r"chunk f:00000001 is corrupt"):
        chunk_data(doc)

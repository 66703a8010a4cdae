"""An upload stores the file's row index beside it (one validating pass over the local copy),
so a run plans its shards without reading the file again; deleting the file drops it."""

import tempfile
from pathlib import Path

from pymongo import MongoClient

from tests.e2e.conftest import upload
from tests.e2e.data import reviews_csv
from textmill_infra.settings import Settings
from textmill_storage.collections import ROW_INDEXES
from textmill_tabular import RowIndex, build_row_index


def test_an_upload_stores_the_row_index_and_a_delete_drops_it(alice):
    settings = Settings()
    db = MongoClient(settings.mongo_url)[settings.mongo_db]
    content = reviews_csv(9_000, seed=5)
    # When a file is uploaded
    stored = upload(alice, "reviews.csv", content)
    assert stored.status_code == 201, stored.text
    file_id = stored.json()["id"]
    # Then its row index is stored, the same as one built from the bytes, with the header
    doc = db[ROW_INDEXES].find_one({"_id": file_id})
    assert doc is not None, "no row index was stored with the upload"
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "reviews.csv"
        local.write_bytes(content)
        assert RowIndex.from_json(doc["index"]) == build_row_index(local, local.name)
    assert doc["header"] == stored.json()["header"]
    assert RowIndex.from_json(doc["index"]).rows == 9_000
    # When the file is deleted, then its row index goes with it
    assert alice.delete(f"/api/v2/files/{file_id}").status_code == 204
    assert db[ROW_INDEXES].find_one({"_id": file_id}) is None

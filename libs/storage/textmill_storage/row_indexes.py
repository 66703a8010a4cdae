"""Each file's row index (`textmill_tabular.RowIndex`), `_id` = file id: stored by the
gateway with the upload, from the pass that validated it; built by the coordinator from
the stored file when missing; read by workers to seek to a shard's rows. Synchronous:
the tabular readers run in threads. Stored as JSON text with the header: FerretDB stores no
nested arrays."""

from pymongo.synchronous.database import Database

from textmill_infra.blobs import open_stored_file
from textmill_storage.collections import ROW_INDEXES
from textmill_tabular import RowIndex, build_row_index, open_table


def row_index_document(file_id: str, index_json: str, header: list[str]) -> dict:
    return {"_id": file_id, "file_id": file_id, "index": index_json, "header": header}


class RowIndexes:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._indexes = db[ROW_INDEXES]

    def get(self, file_id: str) -> tuple[RowIndex, list[str]] | None:
        doc = self._indexes.find_one({"_id": file_id})
        return (RowIndex.from_json(doc["index"]), list(doc["header"])) if doc else None

    def header(self, file_id: str) -> list[str] | None:
        doc = self._indexes.find_one({"_id": file_id}, {"header": 1})
        return list(doc["header"]) if doc else None

    def put(self, file_id: str, index_json: str, header: list[str]) -> None:
        self._indexes.replace_one(
            {"_id": file_id}, row_index_document(file_id, index_json, header), upsert=True
        )

    def delete(self, file_id: str) -> None:
        self._indexes.delete_one({"_id": file_id})

    def get_or_build(self, tenant: str, file_id: str) -> tuple[RowIndex, list[str]]:
        """The file's index and header; built from the stored file (a full read) and kept
        when it has none. Raises StoredFileMissing for no file of `tenant`."""
        if (stored := self.get(file_id)) is not None:
            return stored
        source = open_stored_file(self._db, tenant, file_id)
        index = build_row_index(source, source.name)
        with open_table(source, source.name) as table:
            header = list(table.header)
        self.put(file_id, index.to_json(), header)
        return index, header

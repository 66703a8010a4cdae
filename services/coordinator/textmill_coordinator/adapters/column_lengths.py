"""The length of a run's texts, which the coordinator sizes its shards by
(`textmill_runs.pace`; the paces themselves: `textmill_storage.ShardPaces`)."""

from pymongo.synchronous.database import Database

from textmill_infra.blobs import open_stored_file
from textmill_runs.pace import ColumnLength
from textmill_tabular import RowIndex, read_sample


class ColumnLengths:
    """Synchronous (called in a thread): the run's columns sampled in the stored file, a few
    windows of rows read through its row index (`read_sample`), never the whole file."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def measure(
        self, tenant: str, file_id: str, index: RowIndex, columns: list[str]
    ) -> dict[str, ColumnLength]:
        source = open_stored_file(self._db, tenant, file_id)
        values = read_sample(source, source.name, columns=columns, index=index)
        return {column: ColumnLength.of(values[column]) for column in columns}

"""A file's sample for an estimate: a few windows of rows of the selected columns, read
from the stored file through its row index (seeking, never the whole file). Synchronous:
the readers run in a thread."""

from pymongo.synchronous.database import Database

from textmill_estimator.domain.sample import ColumnSample, sample_windows
from textmill_infra.blobs import StoredFileSource, find_file
from textmill_storage import RowIndexes
from textmill_tabular import read_rows


class FileSamples:
    def __init__(self, db: Database) -> None:
        self._db, self._indexes = db, RowIndexes(db)

    def sample(
        self, tenant: str, file_id: str, columns: list[str]
    ) -> tuple[int, dict[str, ColumnSample]]:
        """The file's rows, and a sample of each column; StoredFileMissing for no file of
        `tenant`, UnknownColumn for a column the file lacks."""
        doc = find_file(self._db, tenant, file_id)
        index, _ = self._indexes.get_or_build(tenant, file_id)
        source = StoredFileSource(self._db, doc)
        samples = {column: ColumnSample() for column in columns}
        for start, end in sample_windows(index.rows):
            rows = read_rows(
                source, source.name, columns=columns, start=start, end=end, index=index
            )
            try:
                for _, values in rows:
                    for column, value in zip(columns, values, strict=True):
                        samples[column].add([value])
            finally:
                rows.close()
        return index.rows, samples

"""What the coordinator reads to size shards from measured speed (`textmill_runs.pace`):
a sample of the run's columns as it plans (the paces: `textmill_storage.ShardPaces`)."""

from typing import Any

from pymongo.synchronous.database import Database

from textmill_infra.blobs import open_stored_file
from textmill_runs.pace import ColumnLength
from textmill_runs.sampling import sample_windows
from textmill_tabular import RowIndex, read_rows


class ColumnLengths:
    """Synchronous (called in a thread): the run's columns sampled in the stored file."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def measure(
        self, tenant: str, file_id: str, index: RowIndex, columns: list[str]
    ) -> dict[str, ColumnLength]:
        source = open_stored_file(self._db, tenant, file_id)
        return measure_columns(source, source.name, index, columns)


def measure_columns(
    source: Any, name: str, index: RowIndex, columns: list[str]
) -> dict[str, ColumnLength]:
    """`columns` sampled in a few windows of rows read through the file's row index
    (`sample_windows`), never the whole file; `source` a path or a stored file's source."""
    values: dict[str, list[object]] = {column: [] for column in columns}
    for start, end in sample_windows(index.rows):
        rows = read_rows(source, name, columns=columns, start=start, end=end, index=index)
        try:
            for _, row in rows:
                for column, value in zip(columns, row, strict=True):
                    values[column].append(value)
        finally:
            rows.close()
    return {column: ColumnLength.of(column_values) for column, column_values in values.items()}

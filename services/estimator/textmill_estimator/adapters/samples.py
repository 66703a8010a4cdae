"""A file's sample for an estimate: a few windows of rows of the selected columns, read
from the stored file through its row index (seeking, never the whole file). Synchronous:
the readers run in a thread.

A stored file never changes (a new upload is a new file), so its samples are kept, the
latest (file, columns) pairs up to `KEPT_CHARS` of sampled text: a user who asks again as
they change the chains reads nothing twice. The file's document is still read on every
call, so a deleted file or another tenant's is refused as before."""

import threading
from collections import OrderedDict

from pymongo.synchronous.database import Database

from textmill_estimator.domain.sample import ColumnSample
from textmill_infra.blobs import StoredFileSource, find_file
from textmill_storage import RowIndexes
from textmill_tabular import read_sample

KEPT_CHARS = 32 * 2**20
Sampled = tuple[int, dict[str, ColumnSample]]


class FileSamples:
    def __init__(self, db: Database) -> None:
        self._db, self._indexes = db, RowIndexes(db)
        self._kept: OrderedDict[tuple[str, tuple[str, ...]], Sampled] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()  # called from several threads

    def sample(
        self, tenant: str, file_id: str, columns: list[str]
    ) -> tuple[int, dict[str, ColumnSample]]:
        """The file's rows, and a sample of each column; StoredFileMissing for no file of
        `tenant`, UnknownColumn for a column the file lacks."""
        doc = find_file(self._db, tenant, file_id)
        key = (str(doc["_id"]), tuple(columns))
        with self._lock:
            if (kept := self._kept.get(key)) is not None:
                self._kept.move_to_end(key)
                return kept
        sampled = self._read(tenant, file_id, doc, columns)
        with self._lock:
            if key not in self._kept:
                self._kept[key] = sampled
                self._chars += _chars(sampled)
            while self._chars > KEPT_CHARS and len(self._kept) > 1:
                self._chars -= _chars(self._kept.popitem(last=False)[1])
        return sampled

    def _read(self, tenant: str, file_id: str, doc: dict, columns: list[str]) -> Sampled:
        index, _ = self._indexes.get_or_build(tenant, file_id)
        source = StoredFileSource(self._db, doc)
        values = read_sample(source, source.name, columns=columns, index=index)
        samples = {column: ColumnSample() for column in columns}
        for column, sample in samples.items():
            sample.add(values[column])
        return index.rows, samples


def _chars(sampled: Sampled) -> int:
    return sum(sample.chars for sample in sampled[1].values())

"""A run's rows for its export: the file's rows in order, in windows, each joined with the
run's results for the same records. Memory is bounded by one window, whatever the file's
size; the formats are `domain/export.py`'s."""

import asyncio
from collections.abc import AsyncIterator
from itertools import islice

from pymongo.synchronous.database import Database

from textmill_gateway.adapters.files import FileStore
from textmill_gateway.domain.refusals import Refusal
from textmill_infra.blobs import open_stored_file
from textmill_runs import Run
from textmill_storage import ResultBatches, RowIndexes
from textmill_tabular import read_rows


async def file_header(files: FileStore, run: Run) -> list[str]:
    """The header of the run's file, which holds every column the run analysed."""
    header = await files.header(run.file_id)
    if header is None:
        stored = await files.get(run.tenant, run.file_id)
        header = stored.header if stored is not None else []
    if not header:
        raise Refusal("file_gone", f"the file of run {run.id!r} is no longer stored")
    if missing := [column for column in run.columns if column not in header]:
        # A file stored without its header, or by a release that did not check a run's
        # columns: its results cannot be placed.
        raise Refusal("file_gone", f"the file of run {run.id!r} has no column {missing[0]!r}")
    return header


def _open_rows(db: Database, run: Run):
    indexed = RowIndexes(db).get(run.file_id)
    source = open_stored_file(db, run.tenant, run.file_id)
    return read_rows(source, source.name, index=indexed[0] if indexed else None)


async def export_rows(
    db: Database,
    results: ResultBatches,
    run: Run,
    header: list[str],
    exporter_type: type,
    window_rows: int,
) -> AsyncIterator[bytes]:
    """The export of `run` in the format of `exporter_type`, piece by piece."""
    exporter = exporter_type(header, run.columns, run.chains)
    positions = {column: header.index(column) for column in run.columns}
    yield exporter.begin()
    rows = await asyncio.to_thread(_open_rows, db, run)
    try:
        while taken := await asyncio.to_thread(lambda: list(islice(rows, window_rows))):
            start, end = taken[0][0], taken[-1][0] + 1
            cells = {
                column: await results.cells_between(run.id, position, start, end)
                for column, position in positions.items()
            }
            window = [
                (record, values, {column: cells[column].get(record) for column in run.columns})
                for record, values in taken
            ]
            yield exporter.rows(window)
    finally:
        await asyncio.to_thread(rows.close)
    yield exporter.end()

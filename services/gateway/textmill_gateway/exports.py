"""Streaming a run's export: the file's rows in order, in windows, each joined with the
run's results for the same records, formatted by `domain/export.py`. Memory is bounded by
one window, whatever the file's size."""

import asyncio
from collections.abc import AsyncIterator
from itertools import islice

from bson import ObjectId

from textmill_gateway.context import Gateway
from textmill_gateway.errors import ApiError
from textmill_infra.blobs import StoredFileSource
from textmill_infra.runs import ROW_INDEXES
from textmill_tabular import RowIndex, read_rows


async def file_header(gateway: Gateway, run: dict) -> list[str]:
    """The header of the run's file, which holds every column the run analysed."""
    indexed = await gateway.db[ROW_INDEXES].find_one({"_id": run["file_id"]}, {"header": 1})
    if indexed is not None:
        header = list(indexed["header"])
    else:
        stored = await gateway.files.get(run["tenant"], run["file_id"])
        header = stored.header if stored is not None else []
    if not header:
        raise ApiError(410, "file_gone", f"the file of run {run['_id']!r} is no longer stored")
    if missing := [column for column in run["columns"] if column not in header]:
        # A file stored without its header, or by a release that did not check a run's
        # columns: its results cannot be placed.
        raise ApiError(
            410, "file_gone", f"the file of run {run['_id']!r} has no column {missing[0]!r}"
        )
    return header


def _open_rows(gateway: Gateway, file_id: str):
    db = gateway.sync_db
    file_doc = db["fs.files"].find_one({"_id": ObjectId(file_id)})
    if file_doc is None:
        raise LookupError(file_id)
    indexed = db[ROW_INDEXES].find_one({"_id": file_id})
    index = RowIndex.from_json(indexed["index"]) if indexed else None
    source = StoredFileSource(db, file_doc)
    return read_rows(source, source.name, index=index)


async def export_run(
    gateway: Gateway, run: dict, header: list[str], exporter_type: type, window_rows: int
) -> AsyncIterator[bytes]:
    columns, chains = run["columns"], run["chains"]
    exporter = exporter_type(header, columns, chains)
    positions = {column: header.index(column) for column in columns}
    yield exporter.begin()
    rows = await asyncio.to_thread(_open_rows, gateway, run["file_id"])
    try:
        while taken := await asyncio.to_thread(lambda: list(islice(rows, window_rows))):
            start, end = taken[0][0], taken[-1][0] + 1
            results = {
                column: await gateway.runs.results_between(run["_id"], position, start, end)
                for column, position in positions.items()
            }
            window = [
                (record, values, {column: results[column].get(record) for column in columns})
                for record, values in taken
            ]
            yield exporter.rows(window)
    finally:
        await asyncio.to_thread(rows.close)
    yield exporter.end()

"""Shards sized from measured speed, on the real stores: a pace kept in Redis reads back as
folded, and a stored file's columns are sampled through its row index."""

import csv
import uuid

from textmill_coordinator.adapters.column_lengths import ColumnLengths
from textmill_infra import blobs
from textmill_runs.pace import ShardPace
from textmill_storage import ShardPaces
from textmill_tabular import build_row_index

TENANT = "acme"


async def test_a_pace_folds_shards_and_reads_back_by_key(redis):
    # Given a hash of its own, so that the running stack's paces are left alone
    key = f"test:shard-paces:{uuid.uuid4().hex}"
    paces = ShardPaces(redis, key=key)
    try:
        # When a 2-s shard of 20,000 cells and then one of 10,000 are folded in, and a
        # 0.1-s one that says mostly its fixed costs
        await paces.observe("sentiment@5", 20_000, 2.0)
        await paces.observe("sentiment@5", 10_000, 2.0)
        await paces.observe("sentiment@5", 10, 0.1)

        # Then the pace is the two shards' average, newer weighing a half; others unknown
        read = await paces.get(["sentiment@5", "keywords@5"])
        assert read == {"sentiment@5": ShardPace((1e-4 + 2e-4) / 2, 2)}
        assert await paces.get([]) == {}
    finally:
        await redis.delete(key)


async def test_a_stored_files_columns_are_sampled_through_its_row_index(
    scratch_db, sync_db, tmp_path
):
    # Given a stored file of 10,000 rows whose notes are empty in every other row
    path = tmp_path / "notes.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "note"])
        for i in range(10_000):
            writer.writerow([i, f"title {i:05d}", "" if i % 2 else "n" * 40])
    doc = await blobs.save_file(scratch_db, path, filename=path.name, metadata={"tenant": TENANT})
    index = build_row_index(path, every=512)

    # When its columns are measured
    lengths = ColumnLengths(sync_db).measure(TENANT, str(doc["_id"]), index, ["title", "note"])

    # Then a few windows of rows were read, not the file, and the lengths are the texts'
    title, note = lengths["title"], lengths["note"]
    assert title.rows == note.rows == 512
    assert (title.cells, title.chars_per_cell) == (512, 11.0)
    assert (note.cell_share, note.chars_per_cell) == (0.5, 40.0)

"""ShardRows against the real store: a shard's column read with its siblings in one pass,
the siblings' shards then served without reading the file again, and the same rows as a
read of their own."""

import csv
import tracemalloc

import pytest

from textmill_infra import blobs
from textmill_storage.collections import ROW_INDEXES
from textmill_storage.row_indexes import row_index_document as row_index_doc
from textmill_tabular import build_row_index
from textmill_worker.adapters.rows import ShardRows, SiblingValues

ROWS = 5_000
HEADER = ["id", "title", "rating", "review"]

TENANT = "acme"


@pytest.fixture
async def stored_file(scratch_db, tmp_path) -> str:
    """A CSV of ROWS rows (a blank line and a quoted multi-line review among them), stored
    with its row index as an upload stores it."""
    path = tmp_path / "reviews.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(ROWS):
            review = f"review {i}, line one\nline two" if i % 997 == 0 else f"review {i}"
            writer.writerow([i, f"title {i}", i % 5, review])
            if i == 10:
                f.write("\n")
    return await store(scratch_db, path)


@pytest.fixture
async def long_texts_file(scratch_db, tmp_path) -> str:
    """2,000 rows whose reviews have 1,000 characters each: ~2 MB of values."""
    path = tmp_path / "long.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(2_000):
            writer.writerow([i, f"title {i}", i % 5, f"{i:05d}" + "x" * 995])
    return await store(scratch_db, path)


async def store(scratch_db, path) -> str:
    """Stored with its row index, as an upload stores a file."""
    doc = await blobs.save_file(scratch_db, path, filename=path.name, metadata={"tenant": TENANT})
    file_id = str(doc["_id"])
    index = build_row_index(path, every=512)
    await scratch_db[ROW_INDEXES].insert_one(row_index_doc(file_id, index.to_json(), HEADER))
    return file_id


class Watched(SiblingValues):
    """SiblingValues that count the shards they could not serve: each one read the file."""

    reads = 0

    def pop(self, key):
        found = super().pop(key)
        self.reads += found is None
        return found


def read_all(shard_rows: ShardRows, *args, **kwargs) -> tuple[int, list[tuple[int, str]]]:
    position, rows = shard_rows.open(*args, **kwargs)
    return position, [(record, values[0]) for record, values in rows]


def test_a_sibling_shard_is_served_from_the_first_pass(sync_db, stored_file):
    # Given a worker's rows
    kept = Watched(1 << 24)
    rows = ShardRows(sync_db, kept)
    # When the title shard [1000, 3000) is read with the review as its sibling
    position, titles = read_all(rows, TENANT, stored_file, "title", 1000, 3000, siblings=["review"])
    # And then the review shard of the same rows
    review_position, reviews = read_all(rows, TENANT, stored_file, "review", 1000, 3000)
    # Then the file was read once, and each shard has its own column's rows
    assert kept.reads == 1
    assert (position, review_position) == (1, 3)
    fresh = ShardRows(sync_db, SiblingValues(1 << 24))
    assert titles == read_all(fresh, TENANT, stored_file, "title", 1000, 3000)[1]
    assert reviews == read_all(fresh, TENANT, stored_file, "review", 1000, 3000)[1]
    assert reviews[0] == (1000, "review 1000") and reviews[-1][0] == 2999
    assert (1994, "review 1994, line one\nline two") in reviews


def test_a_resumed_sibling_shard_starts_at_its_checkpoint(sync_db, stored_file):
    kept = Watched(1 << 24)
    rows = ShardRows(sync_db, kept)
    read_all(rows, TENANT, stored_file, "title", 0, 2000, siblings=["review", "rating"])
    # When the review shard resumes from its checkpoint at 1200
    _, reviews = read_all(rows, TENANT, stored_file, "review", 0, 2000, offset=1200)
    # Then it gets rows [1200, 2000) without reading the file
    assert kept.reads == 1
    assert [record for record, _ in reviews] == list(range(1200, 2000))
    assert reviews[0][1] == "review 1200"
    # And the other sibling is still kept for its own shard
    _, ratings = read_all(rows, TENANT, stored_file, "rating", 0, 2000)
    assert kept.reads == 1 and ratings[7] == (7, "2")


def test_a_pass_stopped_early_or_resumed_keeps_nothing(sync_db, stored_file):
    kept = SiblingValues(1 << 24)
    rows = ShardRows(sync_db, kept)
    # Given a pass closed before its last row (a cancelled run, a failed store)
    _, partial = rows.open(TENANT, stored_file, "title", 0, 2000, siblings=["review"])
    next(partial), partial.close()
    # And a resumed pass, which does not see the shard's first rows
    read_all(rows, TENANT, stored_file, "title", 2000, 4000, offset=2500, siblings=["review"])
    # Then no sibling values were kept
    assert kept.size == 0
    assert kept.pop((stored_file, "review", 0, 2000)) is None
    assert kept.pop((stored_file, "review", 2000, 4000)) is None


def test_the_shards_own_column_among_its_siblings_is_read_once(sync_db, stored_file):
    kept = SiblingValues(1 << 24)
    _, titles = read_all(
        ShardRows(sync_db, kept),
        TENANT,
        stored_file,
        "title",
        0,
        1000,
        siblings=["title", "review"],
    )
    assert titles[:2] == [(0, "title 0"), (1, "title 1")]
    assert kept.pop((stored_file, "title", 0, 1000)) is None
    assert kept.pop((stored_file, "review", 0, 1000)) is not None


def test_siblings_past_the_budget_are_neither_kept_nor_held_during_the_pass(
    sync_db, long_texts_file
):
    """Given siblings whose values over the shard pass the cache's budget (~2 MB against
    64 KB), when the title shard is read to its end, then nothing is kept, and the pass
    never held them all: its memory peak stays well under what they take."""
    kept = Watched(64 * 1024)
    rows = ShardRows(sync_db, kept)
    read_all(
        rows, TENANT, long_texts_file, "title", 0, 2_000
    )  # a read: the file's chunks in memory
    tracemalloc.start()
    try:
        position, titles = rows.open(
            TENANT, long_texts_file, "title", 0, 2_000, siblings=["review"]
        )
        count = sum(1 for _ in titles)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (position, count) == (1, 2_000)
    assert kept.size == 0
    assert peak < 1_000_000, f"the pass held {peak:,} bytes at its peak"
    _, reviews = read_all(rows, TENANT, long_texts_file, "review", 0, 2_000)
    assert kept.reads == 3 and reviews[1_999] == (1_999, "01999" + "x" * 995)


def test_the_siblings_that_fit_are_kept_when_others_do_not(sync_db, long_texts_file):
    """Given a shard whose siblings are short titles (~130 KB over its rows) and long
    reviews (~2 MB), against a budget of 512 KB, when it is read to its end, then the
    titles are kept for their shard and the reviews, dropped as they passed the budget,
    are read again by theirs."""
    kept = Watched(512 * 1024)
    rows = ShardRows(sync_db, kept)
    read_all(rows, TENANT, long_texts_file, "rating", 0, 2_000, siblings=["title", "review"])
    _, titles = read_all(rows, TENANT, long_texts_file, "title", 0, 2_000)
    assert kept.reads == 1 and titles[7] == (7, "title 7")
    _, reviews = read_all(rows, TENANT, long_texts_file, "review", 0, 2_000)
    assert kept.reads == 2 and reviews[7] == (7, "00007" + "x" * 995)

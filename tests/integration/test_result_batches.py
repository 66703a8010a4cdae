"""Result batches in the real store: written once by the worker and read back by the
gateway (`ResultBatches`), including batches too large for one document."""

import random
import uuid

import pydantic_core
import pytest

from textmill_runs import result_part_id
from textmill_storage import ResultBatches
from textmill_storage.collections import RESULTS
from textmill_storage.result_batches import batch_documents as result_batch_docs

MB = 1024 * 1024


def cells_of(records: range, text_chars: int, seed: int = 1) -> list[dict]:
    """One cell result per record carrying `text_chars` of incompressible text (like a pii
    chain's redacted copy of a long text): hex noise, which zlib shrinks only by half."""
    noise = random.Random(seed)
    return [
        {
            "record": r,
            "status": "ok",
            "reason": None,
            "chains": {"pii": {"redacted": noise.randbytes(text_chars // 2).hex()}},
        }
        for r in records
    ]


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex


async def test_a_batch_past_the_document_limit_is_stored_and_read_back_whole(scratch_db, run_id):
    # Given 1,000 cells whose compressed results (~18 MB) pass BSON's 16 MB document limit
    cells = cells_of(range(1_000), 36_000)
    raw = pydantic_core.to_json(cells)
    doc, parts = result_batch_docs(run_id, "body", 0, 0, 1_000, raw)
    assert sum(len(d["cells"]) for d in [doc, *parts]) > 16 * MB
    # When the worker writes the batch and the gateway reads its records
    stored = await ResultBatches(scratch_db).write(run_id, "body", 0, list(range(1_000)), raw)
    read = await ResultBatches(scratch_db).cells_between(run_id, 0, 0, 1_000)
    # Then it was stored, in several documents, and every cell reads back as written
    assert stored is True
    assert await scratch_db[RESULTS].count_documents({"run_id": run_id}) > 2
    assert [read[r] for r in range(1_000)] == cells


async def test_a_batch_in_parts_is_written_once(scratch_db, run_id):
    # Given a batch in parts, already stored
    raw = pydantic_core.to_json(cells_of(range(1_000), 20_000))
    shards = ResultBatches(scratch_db)
    assert await shards.write(run_id, "body", 0, list(range(1_000)), raw) is True
    documents = await scratch_db[RESULTS].count_documents({"run_id": run_id})
    # When a redelivered shard writes it again
    again = await shards.write(run_id, "body", 0, list(range(1_000)), raw)
    # Then nothing more is written
    assert again is False
    assert await scratch_db[RESULTS].count_documents({"run_id": run_id}) == documents


async def test_a_write_cut_short_is_completed_by_the_redo(scratch_db, run_id):
    # Given a batch in parts whose write stopped after its parts, before its own document
    cells = cells_of(range(1_000, 2_000), 20_000, seed=2)
    raw = pydantic_core.to_json(cells)
    _, parts = result_batch_docs(run_id, "body", 0, 1_000, 1_000, raw)
    for part in parts:
        await scratch_db[RESULTS].insert_one(part)
    runs = ResultBatches(scratch_db)
    # Then the batch is not there yet for readers
    assert await runs.cells_between(run_id, 0, 1_000, 2_000) == {}
    # When the redelivered shard writes it
    stored = await ResultBatches(scratch_db).write(
        run_id, "body", 0, list(range(1_000, 2_000)), raw
    )
    # Then it is stored and reads back whole
    assert stored is True
    read = await runs.cells_between(run_id, 0, 1_000, 2_000)
    assert [read[r] for r in range(1_000, 2_000)] == cells


async def test_a_batch_that_lost_a_part_fails_loudly(scratch_db, run_id):
    # Given a stored batch in parts, one of which is gone
    raw = pydantic_core.to_json(cells_of(range(1_000), 20_000))
    await ResultBatches(scratch_db).write(run_id, "body", 0, list(range(1_000)), raw)
    doc, _ = result_batch_docs(run_id, "body", 0, 0, 1_000, raw)
    await scratch_db[RESULTS].delete_one({"_id": result_part_id(doc["_id"], 1)})
    # When the gateway reads it
    # Then it says which batch and part are missing rather than give back cells cut short
    with pytest.raises(LookupError, match=f"{doc['_id']}.* part 1"):
        await ResultBatches(scratch_db).cells_between(run_id, 0, 0, 1_000)


async def test_a_batch_read_once_is_kept_decoded_and_a_batch_not_stored_is_not(scratch_db, run_id):
    # Given a gateway's store of results that keeps decoded batches, and one batch stored
    cells = cells_of(range(1_000), 20)
    writer, reader = ResultBatches(scratch_db), ResultBatches(scratch_db, kept_bytes=8 * MB)
    await writer.write(run_id, "body", 0, list(range(1_000)), pydantic_core.to_json(cells))
    # When its records are read (the next batch, not stored yet, with them), and the batch
    # is then gone from the store
    first = await reader.cells_between(run_id, 0, 0, 1_100)
    await scratch_db[RESULTS].delete_many({"run_id": run_id})
    # Then a second read is the same, from the batch kept, and a reader keeping none sees
    # the batch gone
    assert await reader.cells_between(run_id, 0, 0, 1_100) == first
    assert [first[r] for r in range(1_000)] == cells
    assert await writer.cells_between(run_id, 0, 0, 1_000) == {}
    # ...and the batch that was not stored when it was first read is read when it is
    await writer.write(run_id, "body", 0, [1_000], pydantic_core.to_json(cells_of([1_000], 20)))
    assert 1_000 in await reader.cells_between(run_id, 0, 0, 1_100)

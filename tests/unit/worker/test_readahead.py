"""Reading a shard's rows ahead of the store: batches come out in file order with their
results, reading errors reach the caller, and closing stops the reader cleanly."""

import asyncio
from collections.abc import Iterator

import pytest

from textmill_worker.adapters.readahead import ReadAhead, take_rows


def rows(count: int, fail_at: int | None = None) -> Iterator[tuple[int, list[str]]]:
    for record in range(count):
        if record == fail_at:
            raise ValueError(f"row {record} is malformed")
        yield record, [f"text {record}"]


async def upper(records: list[int], texts: list[str | None]) -> list[dict]:
    await asyncio.sleep(0.001 * (len(texts) % 3))  # batches finish out of order
    return [{"record": r, "text": (t or "").upper()} for r, t in zip(records, texts, strict=True)]


async def drain(reader: ReadAhead) -> list[tuple[list[int], list[dict]]]:
    batches = []
    while (batch := await reader.next()) is not None:
        batches.append(batch)
    return batches


def test_take_rows_splits_records_from_values():
    source = rows(5)
    assert take_rows(source, 3) == ([0, 1, 2], ["text 0", "text 1", "text 2"])
    assert take_rows(source, 3) == ([3, 4], ["text 3", "text 4"])
    assert take_rows(source, 3) == ([], [])


@pytest.mark.parametrize("depth", [1, 2, 5])
async def test_batches_come_in_file_order_with_their_results(depth):
    reader = ReadAhead(rows(10), batch_rows=4, depth=depth, analyse=upper)
    batches = await drain(reader)
    await reader.close()
    assert [records for records, _ in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[2][1] == [{"record": 8, "text": "TEXT 8"}, {"record": 9, "text": "TEXT 9"}]


async def test_no_rows_means_no_batch():
    reader = ReadAhead(rows(0), batch_rows=4, depth=2, analyse=upper)
    assert await reader.next() is None
    await reader.close()


async def test_a_reading_error_reaches_the_caller_after_the_rows_before_it():
    reader = ReadAhead(rows(10, fail_at=6), batch_rows=4, depth=2, analyse=upper)
    first = await reader.next()
    assert first is not None and first[0] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="row 6 is malformed"):
        await reader.next()
    await reader.close()


async def test_closing_early_stops_reading_and_cancels_batches_in_flight():
    started: list[asyncio.Future] = []

    async def slow(records: list[int], texts: list[str | None]) -> list[dict]:
        started.append(asyncio.get_running_loop().create_future())
        await started[-1]  # never resolved: only cancellation ends it
        return []

    consumed = 0

    def counting_rows() -> Iterator[tuple[int, list[str]]]:
        nonlocal consumed
        for record, values in rows(1000):
            consumed += 1
            yield record, values

    reader = ReadAhead(counting_rows(), batch_rows=10, depth=2, analyse=slow)
    await asyncio.sleep(0.05)  # the reader fills the queue and blocks
    await asyncio.wait_for(reader.close(), timeout=5)
    assert consumed <= 40, "the reader went on reading after it was stopped"
    await asyncio.sleep(0)
    assert all(f.cancelled() or f.done() for f in started)

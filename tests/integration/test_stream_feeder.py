"""The gateway's stream feeder through the real Kafka and Redis: result batches reach a run's
stream once each, as published; poison records are parked and do not stop the batch."""

import asyncio
import json
import time
import uuid
import zlib

import pydantic_core

from tests.integration.conftest import records
from textmill_contracts.events import ResultBatch
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS


def _batch(run_id: str, column: str, first: int, count: int) -> bytes:
    cells = [
        {"record": r, "status": "ok", "reason": None, "chains": {"stats": {"words": r}}}
        for r in range(first, first + count)
    ]
    return ResultBatch.encode(
        pydantic_core.to_json(cells),
        run_id=run_id,
        tenant="nobody",
        shard_id=f"{run_id}:00000",
        column=column,
        worker="test",
    )


async def _stream(redis, run_id: str, expected: int, timeout: float = 30.0) -> list[dict]:
    """The run stream's entries once there are `expected` of them (or at the timeout)."""
    key = f"textmill:stream:{run_id}"
    deadline = time.monotonic() + timeout
    while True:
        entries = await redis.xrange(key)
        if len(entries) >= expected or time.monotonic() > deadline:
            return entries
        await asyncio.sleep(0.05)


async def test_results_are_streamed_once_per_batch_and_poison_is_parked(
    producer, consumer_factory, redis
):
    run_id = f"test-{uuid.uuid4().hex}"
    dead_letters = await consumer_factory(TOPICS.dead_letters)
    headers = [(MESSAGE_TYPE_HEADER, ResultBatch.schema_name.encode())]
    column = 'body "quoted" \\ café'
    first = _batch(run_id, column, 0, 3)
    # Given a valid batch, a poison record, the same batch published again by a redone
    # shard (a new message id) and a second batch, all in one partition (same key)
    for body in (
        first,
        f'{{"run_id": "{run_id}", "results": "not a list"}}'.encode(),
        _batch(run_id, column, 0, 3),
        _batch(run_id, column, 1000, 2),
    ):
        await producer.send_and_wait(TOPICS.results, body, key=run_id.encode(), headers=headers)
    # Then the stream holds the two distinct batches, in order, exactly as published
    entries = await _stream(redis, run_id, expected=2)
    try:
        assert len(entries) == 2
        assert [entry_id for entry_id, _ in entries] == [b"1-1", b"2-1"]
        fields = entries[0][1]
        assert fields[b"type"] == b"results" and fields[b"codec"] == b"zlib"
        assert zlib.decompress(fields[b"data"]) == first
        second = json.loads(zlib.decompress(entries[1][1][b"data"]))
        assert [c["record"] for c in second["results"]] == [1000, 1001]
        assert second["column"] == column
        assert int(await redis.get(f"textmill:stream:{run_id}:cells")) == 5
        # And the poison record is on the dead-letter topic, with where it came from
        parked = await records(dead_letters, lambda r: run_id.encode() in r.value)
        poison = [r for r in parked if run_id.encode() in r.value]
        assert poison, "the poison record did not reach the dead-letter topic"
        assert dict(poison[0].headers)["x-original-topic"].decode() == TOPICS.results
    finally:
        base = f"textmill:stream:{run_id}"
        await redis.delete(base, f"{base}:messages", f"{base}:batches", f"{base}:cells")

"""Each run's live stream and its cancel fence against the real Redis: sequencing,
deduplication, replay, compression, expiry. Each test has a run id of its own."""

import asyncio
import base64
import json
import os
import uuid
import zlib

import pytest

from textmill_contracts.events import TERMINAL_STATUSES
from textmill_gateway.adapters.streams import (
    RunStreams,
    StreamGone,
    StreamMessage,
    is_terminal_run_message,
)
from textmill_storage import CancelFence

TTL_SECONDS, RETAIN_SECONDS = 900, 120


@pytest.fixture
async def run_id(redis):
    run = f"test-{uuid.uuid4().hex}"
    yield run
    keys = [k async for k in redis.scan_iter(match=f"textmill:*:{run}*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def streams(redis) -> RunStreams:
    return RunStreams(redis, ttl_seconds=TTL_SECONDS, retain_seconds=RETAIN_SECONDS)


async def _replay(streams: RunStreams, run_id: str, after: int = 0) -> list[StreamMessage]:
    """Everything the stream holds after `after`, up to the first idle wait."""
    seen = []
    async for message in streams.read(run_id, after, block_ms=50):
        if message is None:
            return seen
        seen.append(message)
    raise AssertionError("read() ended instead of waiting")


def _run_json(status: str, cells_done: int = 0) -> str:
    return json.dumps({"status": status, "cells_done": cells_done})


def _results_json(column: str, first: int, count: int) -> bytes:
    cells = [
        {"record": r, "status": "ok", "reason": None, "chains": {"stats": {"chars": r}}}
        for r in range(first, first + count)
    ]
    return json.dumps({"column": column, "results": cells}).encode()


# ---- appending -----------------------------------------------------------------------------


async def test_messages_get_sequence_numbers_one_two_three_in_order(streams, run_id):
    seqs = [await streams.append(run_id, f"m{i}", "run", _run_json("running", i)) for i in range(3)]
    assert seqs == [1, 2, 3]
    assert await streams.exists(run_id)
    replayed = await _replay(streams, run_id)
    assert [(m.seq, m.type, json.loads(m.data)["cells_done"]) for m in replayed] == [
        (1, "run", 0),
        (2, "run", 1),
        (3, "run", 2),
    ]


async def test_a_message_seen_twice_is_appended_once(streams, run_id):
    """Given a Kafka message delivered twice (at-least-once), then the second append
    returns 0 and the stream holds it once."""
    assert await streams.append(run_id, "m1", "run", _run_json("queued")) == 1
    assert await streams.append(run_id, "m1", "run", _run_json("queued")) == 0
    assert await streams.append(run_id, "m2", "run", _run_json("running")) == 2
    assert [m.seq for m in await _replay(streams, run_id)] == [1, 2]


async def test_a_result_batch_streamed_before_is_dropped_under_a_new_message_id(streams, run_id):
    """Given a batch streamed once, when a redone shard publishes the same batch again
    under a new message id, then it is dropped and its cells count once."""
    first = _results_json("review", 0, 1_000)
    assert await streams.append_results(run_id, "m1", "review\x1f0", 1_000, first) == 1
    assert await streams.append_results(run_id, "m2", "review\x1f0", 1_000, first) == 0
    assert await streams.append_results(run_id, "m1", "review\x1f1000", 1_000, first) == 0
    second = _results_json("review", 1_000, 250)
    assert await streams.append_results(run_id, "m3", "review\x1f1000", 250, second) == 2
    assert await streams.append_results(run_id, "m4", "title\x1f0", 7, b"{}") == 3
    assert await streams.cells_streamed(run_id) == 1_257
    assert [m.seq for m in await _replay(streams, run_id)] == [1, 2, 3]


async def test_a_run_nobody_streamed_has_no_stream_and_no_cells(streams, run_id):
    assert not await streams.exists(run_id)
    assert await streams.cells_streamed(run_id) == 0


# ---- reading -------------------------------------------------------------------------------


async def test_reading_after_n_replays_exactly_what_came_after_n(streams, run_id):
    for i in range(1, 6):
        await streams.append(run_id, f"m{i}", "run", _run_json("running", i))
    for after in range(0, 7):
        assert [m.seq for m in await _replay(streams, run_id, after)] == list(range(after + 1, 6))


async def test_a_reader_waits_for_live_messages_after_an_idle_none(streams, run_id):
    """Given a reader at the end of the stream, when it has waited once and a message is
    then appended, then the reader yields it next."""
    await streams.append(run_id, "m1", "run", _run_json("queued"))
    reader = streams.read(run_id, 0, block_ms=50)
    try:
        assert (await anext(reader)).seq == 1
        assert await anext(reader) is None
        await streams.append(run_id, "m2", "run", _run_json("running"))
        message = await asyncio.wait_for(anext(reader), timeout=2)
        assert message is not None
        assert (message.seq, json.loads(message.data)["status"]) == (2, "running")
    finally:
        await reader.aclose()


async def test_results_are_stored_compressed_and_read_back_as_their_json(redis, streams, run_id):
    body = _results_json("review", 0, 500)
    await streams.append_results(run_id, "m1", "review\x1f0", 500, body)
    await streams.append(run_id, "m2", "run", _run_json("running"))
    [(_, stored), (_, plain)] = await redis.xrange(f"textmill:stream:{run_id}")
    assert stored[b"codec"] == b"zlib"
    assert stored[b"type"] == b"results"
    assert stored[b"data"] != body
    assert len(stored[b"data"]) < len(body)
    assert zlib.decompress(stored[b"data"]) == body
    assert plain[b"codec"] == b""
    [results, run] = await _replay(streams, run_id)
    assert (results.type, results.data) == ("results", body.decode())
    assert (run.type, run.data) == ("run", _run_json("running"))


async def test_hostile_json_text_is_passed_through_unchanged(streams, run_id):
    text = json.dumps(
        {"status": "running", "note": 'quote " \\ newline\n café 日本語 🫖'}, ensure_ascii=False
    )
    await streams.append(run_id, "m1", "run", text)
    await streams.append_results(run_id, "m2", "c\x1f0", 1, text.encode())
    assert [m.data for m in await _replay(streams, run_id)] == [text, text]


# ---- expiry --------------------------------------------------------------------------------


async def _ttls(redis, run_id: str) -> list[int]:
    base = f"textmill:stream:{run_id}"
    keys = [base, f"{base}:messages", f"{base}:batches", f"{base}:cells"]
    return [await redis.ttl(key) for key in keys]


async def test_a_live_run_stream_lives_ttl_seconds(redis, streams, run_id):
    await streams.append_results(run_id, "m1", "c\x1f0", 3, b"{}")
    await streams.append(run_id, "m2", "run", _run_json("running"))
    assert all(TTL_SECONDS - 5 <= ttl <= TTL_SECONDS for ttl in await _ttls(redis, run_id))


async def test_a_final_message_keeps_the_stream_only_retain_seconds(redis, streams, run_id):
    """Given a running run's stream, when its final update is appended, then every key of
    the stream expires `retain_seconds` from now instead of `ttl_seconds`."""
    await streams.append_results(run_id, "m1", "c\x1f0", 3, b"{}")
    await streams.append(run_id, "m2", "run", _run_json("running"))
    await streams.append(run_id, "m3", "run", _run_json("completed"), final=True)
    assert all(RETAIN_SECONDS - 5 <= ttl <= RETAIN_SECONDS for ttl in await _ttls(redis, run_id))


async def test_results_arriving_after_the_final_message_do_not_extend_the_stream(
    redis, streams, run_id
):
    """Given a stream whose run has ended, when a late result batch and a late update
    arrive, then they are streamed and the stream still expires `retain_seconds` after the
    end, not `ttl_seconds` after them."""
    await streams.append(run_id, "m1", "run", _run_json("completed"), final=True)
    assert await streams.append_results(run_id, "m2", "c\x1f0", 3, b"{}") == 2
    assert await streams.append(run_id, "m3", "run", _run_json("completed")) == 3
    assert all(RETAIN_SECONDS - 5 <= ttl <= RETAIN_SECONDS for ttl in await _ttls(redis, run_id))


async def test_a_reader_has_had_everything_once_the_run_ended_and_nothing_is_after_it(
    streams, run_id
):
    """Given an ended run whose final update (seq 2) was followed by a late result batch
    (seq 3), when readers stand at each place, then only one at or past the last message
    has had everything: the final update need not be the last message."""
    await streams.append(run_id, "m1", "run", _run_json("running"))
    assert not await streams.ended_by(run_id, 1)  # not ended yet
    await streams.append(run_id, "m2", "run", _run_json("completed"), final=True)
    await streams.append_results(run_id, "m3", "c\x1f0", 3, b"{}")
    assert [await streams.ended_by(run_id, seq) for seq in (1, 2, 3, 50)] == [
        False,
        False,
        True,
        True,
    ]


async def test_a_reader_at_the_end_of_an_ended_run_stops_instead_of_waiting(streams, run_id):
    """Given an ended run's stream with a late result after its final update, when one
    reader resumes before the end and one at it, then the first gets what it missed and
    both stop, rather than wait for messages that will not come."""
    await streams.append(run_id, "m1", "run", _run_json("completed"), final=True)
    await streams.append_results(run_id, "m2", "c\x1f0", 3, b"{}")
    before = [m async for m in streams.read(run_id, 1, block_ms=50)]
    at_end = [m async for m in streams.read(run_id, 2, block_ms=50)]
    assert [m.seq for m in before] == [2] and at_end == []


async def test_what_follows_the_final_status_is_read_to_its_end_and_no_further(streams, run_id):
    """Given an ended run whose final update (seq 1) was followed by a late result batch,
    when a live reader that has just passed on the final update reads the rest, then it
    gets the late batch and stops, rather than waiting for the stream to expire."""
    await streams.append(run_id, "m1", "run", _run_json("completed"), final=True)
    await streams.append_results(run_id, "m2", "c\x1f0", 3, b"{}")
    late = [m async for m in streams.rest(run_id, 1, wait_ms=50)]
    assert [m.seq for m in late] == [2]
    assert [m async for m in streams.rest(run_id, 2, wait_ms=50)] == []


# ---- ended streams within a budget ---------------------------------------------------------


@pytest.fixture
def namespace() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
async def budgeted(redis, namespace):
    """Streams in a namespace of their own with a budget of 3 KB for ended streams, so
    that no other test's streams count or get deleted."""
    yield lambda budget=3_000: RunStreams(
        redis,
        ttl_seconds=TTL_SECONDS,
        retain_seconds=RETAIN_SECONDS,
        retain_bytes=budget,
        namespace=namespace,
    )
    keys = [k async for k in redis.scan_iter(match=f"{namespace}:*")]
    if keys:
        await redis.delete(*keys)


def _noise(stored_bytes: int) -> bytes:
    """Text that zlib cannot shrink much: stored, it takes about `stored_bytes`."""
    return base64.b64encode(os.urandom(stored_bytes))


async def _ended_run(streams: RunStreams, run_id: str, data: bytes) -> None:
    await streams.append_results(run_id, f"{run_id}-r", "c\x1f0", 1, data)
    await streams.append(run_id, f"{run_id}-f", "run", _run_json("completed"), final=True)


async def test_ended_streams_past_the_budget_go_oldest_first(budgeted):
    """Given a budget of 3 KB and ended streams of ~1 KB each (results of random text),
    when a fourth run ends, then the stream that ended first is deleted and the other three
    stay, as does a live run's stream, which the budget does not count."""
    streams = budgeted()
    live = "live"
    await streams.append_results(live, "l1", "c\x1f0", 1, _noise(5_000))
    for run in ("a", "b", "c", "d"):
        await _ended_run(streams, run, _noise(900))
    assert [await streams.exists(run) for run in ("a", "b", "c", "d")] == [
        False,
        True,
        True,
        True,
    ]
    assert await streams.exists(live)


async def test_an_ended_run_counted_once_however_often_its_final_update_comes(budgeted):
    """Given a run whose final update is delivered three times (at-least-once), then its
    bytes count once: two more such runs still fit the budget."""
    streams = budgeted()
    await _ended_run(streams, "a", _noise(900))
    for n in range(3):
        await streams.append("a", f"again-{n}", "run", _run_json("completed"), final=True)
    await _ended_run(streams, "b", _noise(900))
    assert await streams.exists("a") and await streams.exists("b")


async def test_a_stream_larger_than_the_whole_budget_goes_when_it_ends(budgeted):
    streams = budgeted()
    await _ended_run(streams, "small", _noise(900))
    await _ended_run(streams, "huge", _noise(10_000))
    assert not await streams.exists("huge")
    assert not await streams.exists("small")  # older, deleted first


async def test_ended_streams_that_expired_by_themselves_are_forgotten(redis, budgeted, namespace):
    """Given an ended stream whose keys expired (deleted here, as its TTL would), when the
    next run ends, then the bookkeeping of ended streams holds that one only: it does not
    grow by the runs of every hour."""
    streams = budgeted()
    await _ended_run(streams, "a", _noise(900))
    await redis.delete(*[k async for k in redis.scan_iter(match=f"{namespace}:stream:a*")])
    await _ended_run(streams, "b", _noise(900))
    assert await redis.zrange(f"{namespace}:streams:ended", 0, -1) == [b"b"]


async def test_a_message_after_its_stream_was_deleted_does_not_bring_it_back(budgeted):
    """Given an ended run whose stream the budget deleted, when a late result batch or a
    repeated final update arrives, then it is dropped: the stream is not started again
    (at seq 1, outside the budget, for 24 h), and it still reads as deleted."""
    streams = budgeted()
    await _ended_run(streams, "a", _noise(2_900))
    await _ended_run(streams, "b", _noise(2_900))  # a goes
    assert await streams.deleted("a") and not await streams.deleted("b")
    assert await streams.append_results("a", "late", "c\x1f1000", 1, b"{}") == 0
    assert await streams.append("a", "again", "run", _run_json("completed"), final=True) == 0
    assert not await streams.exists("a") and await streams.deleted("a")


async def test_a_reader_of_a_stream_deleted_before_it_came_gets_stream_gone(budgeted):
    streams = budgeted()
    await _ended_run(streams, "a", _noise(2_900))
    await _ended_run(streams, "b", _noise(2_900))  # a goes
    async with asyncio.timeout(5):  # and not keep-alives forever
        with pytest.raises(StreamGone):
            async for _ in streams.read("a", 5, block_ms=50):
                pass


async def test_a_reader_of_a_stream_that_never_appears_gives_up_when_told(budgeted):
    """Given an ended run with no stream yet (the gateway's feed behind), then a reader
    waits for it until `appear_by`, and then gets StreamGone rather than waiting forever."""
    streams = budgeted()
    loop = asyncio.get_running_loop()
    appear_by = loop.time() + 0.3
    idle = 0
    async with asyncio.timeout(5):
        with pytest.raises(StreamGone):
            async for message in streams.read("never", 0, block_ms=50, appear_by=appear_by):
                assert message is None
                idle += 1
    assert idle >= 1 and loop.time() > appear_by  # it waited, and gave up only then


async def test_a_reader_of_a_deleted_stream_gets_stream_gone(budgeted):
    """Given a client replaying an ended run's stream, when the budget deletes that stream,
    then the reader raises StreamGone at its next idle wait instead of waiting forever."""
    streams = budgeted()
    await _ended_run(streams, "a", _noise(900))
    reader = streams.read("a", 0, block_ms=50)
    assert (await anext(reader)).seq == 1
    await _ended_run(streams, "b", _noise(2_900))  # a and b pass 3 KB: a goes
    seen = []
    with pytest.raises(StreamGone):
        async for message in reader:
            seen.append(message)
    assert all(message is None or message.seq == 2 for message in seen)


async def test_a_reader_waits_for_a_stream_that_is_not_there_yet(budgeted):
    """A run's stream appears with its first message: before it, a reader only waits."""
    streams = budgeted()
    reader = streams.read("later", 0, block_ms=50)
    assert await anext(reader) is None
    assert await anext(reader) is None
    await streams.append("later", "m1", "run", _run_json("queued"))
    assert (await anext(reader)).seq == 1


# ---- terminal messages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "status", "terminal"),
    [
        ("run", "completed", True),
        ("run", "failed", True),
        ("run", "cancelled", True),
        ("run", "running", False),
        ("run", "queued", False),
        ("results", "completed", False),
    ],
)
def test_only_a_run_message_with_a_terminal_status_ends_a_stream(
    type_: str, status: str, terminal: bool
) -> None:
    message = StreamMessage(seq=1, type=type_, data=_run_json(status))
    assert is_terminal_run_message(message, TERMINAL_STATUSES) is terminal


def test_a_run_message_without_a_status_is_not_terminal() -> None:
    message = StreamMessage(seq=1, type="run", data='{"cells_done": 3}')
    assert not is_terminal_run_message(message, TERMINAL_STATUSES)


# ---- the cancel fence ----------------------------------------------------------------------


@pytest.fixture
def gate(redis) -> CancelFence:
    return CancelFence(redis)


async def test_a_writer_enters_an_open_fence_and_leaving_balances_it(redis, gate, run_id):
    writers = f"textmill:run:{run_id}:writers"
    assert await gate.enter(run_id) is True
    assert await gate.enter(run_id) is True
    assert int(await redis.get(writers)) == 2
    await gate.leave(run_id)
    await gate.leave(run_id)
    assert not await redis.exists(writers)
    assert not await gate.is_cancelled(run_id)
    assert await gate.cancel(run_id, wait_seconds=1) is True


async def test_after_a_cancel_no_writer_may_enter(gate, run_id):
    assert await gate.cancel(run_id, wait_seconds=1) is True
    assert await gate.is_cancelled(run_id)
    assert await gate.enter(run_id) is False
    assert await gate.enter(run_id) is False


async def test_a_cancel_waits_for_the_writer_inside_to_leave(gate, run_id):
    """Given a writer inside the fence, when the run is cancelled, then the cancel is not
    acknowledged until the writer leaves, and no new writer gets in meanwhile."""
    assert await gate.enter(run_id)
    cancelling = asyncio.create_task(gate.cancel(run_id, wait_seconds=10))
    try:
        await asyncio.sleep(0.1)
        assert not cancelling.done()
        assert await gate.is_cancelled(run_id)
        assert await gate.enter(run_id) is False
        await gate.leave(run_id)
        assert await asyncio.wait_for(cancelling, timeout=2) is True
    finally:
        cancelling.cancel()


async def test_a_cancel_gives_up_on_a_writer_that_never_leaves(gate, run_id):
    assert await gate.enter(run_id)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await gate.cancel(run_id, wait_seconds=0.2) is False
    assert 0.2 <= loop.time() - started < 2
    assert await gate.is_cancelled(run_id)


async def test_only_the_cancelled_run_is_fenced(gate, run_id):
    other = f"{run_id}-other"  # its keys are cleaned up with the run's
    await gate.cancel(run_id, wait_seconds=1)
    assert not await gate.is_cancelled(other)
    assert await gate.enter(other) is True
    await gate.leave(other)

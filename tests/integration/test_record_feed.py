"""`RecordFeed` against the real Kafka: records handed over in order, offsets committed only
past what the handler returned from, a failing handler handed the same records again, and a
stopped feed's unhandled records handed to the next member of its group."""

import asyncio
import uuid
from collections.abc import Callable

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from textmill_infra import feed as feed_module
from textmill_infra.feed import RecordFeed


@pytest.fixture
async def admin(settings):
    client = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def topic(admin):
    """A topic of its own, with two partitions, deleted afterwards."""
    name = f"textmill.test.feed.{uuid.uuid4().hex[:8]}"
    await admin.create_topics([NewTopic(name, 2, 1)])
    yield name
    await admin.delete_topics([name])


async def _send(producer, topic: str, values: list[bytes], partition: int = 0) -> None:
    for value in values:
        await producer.send_and_wait(topic, value, partition=partition)


async def _committed(admin, group: str, topic: str) -> dict[int, int]:
    offsets = await admin.list_consumer_group_offsets(group)
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


async def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _feed(settings, topic: str, group: str, handle, **kwargs) -> RecordFeed:
    return RecordFeed(
        settings, topic=topic, group_id=group, handle=handle, client_id="test-feed", **kwargs
    )


async def test_records_are_handed_over_in_order_and_committed_once_handled(
    settings, producer, admin, topic
):
    group = f"test-feed-{uuid.uuid4().hex[:8]}"
    seen: list[tuple[int, bytes]] = []

    async def handle(records: list[ConsumerRecord]) -> None:
        seen.extend((r.partition, r.value) for r in records)

    # Given records already on both partitions before the group exists
    await _send(producer, topic, [b"a0", b"a1", b"a2"], partition=0)
    await _send(producer, topic, [b"b0", b"b1"], partition=1)
    feed = _feed(settings, topic, group, handle)
    assert not await feed.ready()
    await feed.start()
    try:
        # When more arrive while it runs
        await _send(producer, topic, [b"a3"], partition=0)
        await _until(lambda: len(seen) == 6)
        # Then every record is handed over once, each partition in order (a new group
        # starts from the earliest record)
        assert [v for p, v in seen if p == 0] == [b"a0", b"a1", b"a2", b"a3"]
        assert [v for p, v in seen if p == 1] == [b"b0", b"b1"]
    finally:
        await feed.stop()
    # And the group's offsets stand past every handled record
    assert await _committed(admin, group, topic) == {0: 4, 1: 2}
    assert not await feed.ready()


async def test_a_failing_handler_is_handed_the_same_records_again_before_any_later_one(
    settings, producer, admin, topic
):
    group = f"test-feed-{uuid.uuid4().hex[:8]}"
    calls: list[list[bytes]] = []
    failures = 2

    async def handle(records: list[ConsumerRecord]) -> None:
        nonlocal failures
        calls.append([r.value for r in records])
        if b"poison-ish" in calls[-1] and failures:
            failures -= 1
            raise ConnectionError("Redis is away")

    feed = _feed(settings, topic, group, handle, retry_delays=(0.05,))
    await feed.start()
    try:
        # Given a handler that fails twice on a record (a store that is away, say)
        await _send(producer, topic, [b"first", b"poison-ish"])
        await _until(lambda: failures == 0 and b"poison-ish" in calls[-1])
        await _send(producer, topic, [b"after"])
        await _until(lambda: b"after" in calls[-1])
    finally:
        await feed.stop()
    handed = [value for call in calls for value in call]
    # Then the record is handed over until the handler returns, nothing after it first ...
    assert handed.count(b"poison-ish") == 3
    assert handed.index(b"after") > max(i for i, v in enumerate(handed) if v == b"poison-ish")
    # ... and once it has, the offset moves past it and the next record
    assert (await _committed(admin, group, topic))[0] == 3


async def test_records_a_stopped_feed_did_not_finish_go_to_the_next_member(
    settings, producer, admin, topic
):
    group = f"test-feed-{uuid.uuid4().hex[:8]}"
    handled: list[bytes] = []
    stuck = asyncio.Event()

    async def hangs_on_two(records: list[ConsumerRecord]) -> None:
        for record in records:
            if record.value == b"2":
                stuck.set()
                await asyncio.Event().wait()  # until cancelled by stop()
            handled.append(record.value)

    # Given a feed stopped while its handler is inside record 2
    await _send(producer, topic, [b"0", b"1"])
    first = _feed(settings, topic, group, hangs_on_two)
    await first.start()
    try:
        await _until(lambda: handled == [b"0", b"1"])
        await _send(producer, topic, [b"2", b"3"])
        await asyncio.wait_for(stuck.wait(), 20)
    finally:
        await first.stop()
    # Then only what its handler returned from is committed
    assert (await _committed(admin, group, topic)).get(0) == 2

    # When another member of the group starts, it is handed record 2 on: none is lost
    again: list[bytes] = []

    async def collect(records: list[ConsumerRecord]) -> None:
        again.extend(r.value for r in records)

    second = _feed(settings, topic, group, collect)
    await second.start()
    try:
        await _until(lambda: again == [b"2", b"3"])
    finally:
        await second.stop()
    assert (await _committed(admin, group, topic)).get(0) == 4


async def test_a_rebalance_loses_nothing_and_leaves_every_offset_committed(
    settings, producer, admin, topic
):
    group = f"test-feed-{uuid.uuid4().hex[:8]}"
    handled: dict[str, list[tuple[int, bytes]]] = {"a": [], "b": []}

    def collector(name: str):
        async def handle(records: list[ConsumerRecord]) -> None:
            await asyncio.sleep(0.05)  # a handler that takes a moment, as appends do
            handled[name].extend((r.partition, r.value) for r in records)

        return handle

    # Given one member that has handled records on both partitions
    first = [(p, f"{p}-{i}".encode()) for p in (0, 1) for i in range(3)]
    for partition, value in first:
        await producer.send_and_wait(topic, value, partition=partition)
    a = _feed(settings, topic, group, collector("a"))
    await a.start()
    b = _feed(settings, topic, group, collector("b"))
    try:
        await _until(lambda: len(handled["a"]) == 6)
        # When a second member joins (the partitions are shared out again) and more arrive
        await b.start()
        await _until(lambda: len(a._kafka.assignment()) == 1 and len(b._kafka.assignment()) == 1)
        later = [(p, f"{p}-{i}".encode()) for p in (0, 1) for i in range(3, 6)]
        for partition, value in later:
            await producer.send_and_wait(topic, value, partition=partition)
        everything = set(first + later)
        await _until(lambda: set(handled["a"] + handled["b"]) >= everything)
    finally:
        await a.stop()
        await b.stop()
    # Then every record was handed to a member, each partition's records in order within
    # each member, and the group's offsets stand past all of them
    for name in ("a", "b"):
        for partition in (0, 1):
            values = [v for p, v in handled[name] if p == partition]
            assert values == sorted(values, key=lambda v: int(v.split(b"-")[1]))
    # ... the records the first member had handled before the rebalance were committed
    # then, so the second member was not handed them again
    assert not set(first) & set(handled["b"])
    assert await _committed(admin, group, topic) == {0: 6, 1: 6}


async def test_a_partition_the_feed_no_longer_holds_does_not_fail_the_others_commit(
    settings, admin, topic
):
    group = f"test-feed-{uuid.uuid4().hex[:8]}"
    feed = _feed(settings, topic, group, _ignore)
    await feed.start()
    try:
        await _until(lambda: len(feed._kafka.assignment()) == 2)
        # Given handled offsets of a partition it holds and of one a rebalance moved away
        feed._handled = {TopicPartition(topic, 1): 0, TopicPartition("elsewhere", 0): 7}
        await feed.flush()
    finally:
        await feed.stop()
    # Then the partition it holds is committed all the same
    assert await _committed(admin, group, topic) == {1: 0}


async def test_a_feed_that_can_no_longer_poll_is_not_ready(settings, topic, caplog):
    feed = _feed(settings, topic, f"test-feed-{uuid.uuid4().hex[:8]}", _ignore)
    await feed.start()
    try:
        # Given its consumer stopped under it (a fatal Kafka error, say)
        await feed._kafka.stop()
        # Then readiness fails, so that it is restarted, and the log says why
        await _until(lambda: feed._loop_task.done())
        assert not await feed.ready()
        assert "feed stopped polling" in caplog.text
    finally:
        await feed.stop()


async def test_a_kafka_error_while_polling_is_logged_and_the_feed_polls_again(
    settings, producer, topic, monkeypatch, caplog
):
    monkeypatch.setattr(feed_module, "POLL_ERROR_PAUSE_SECONDS", 0.05)
    seen: list[bytes] = []

    async def handle(records: list[ConsumerRecord]) -> None:
        seen.extend(r.value for r in records)

    feed = _feed(settings, topic, f"test-feed-{uuid.uuid4().hex[:8]}", handle)
    await feed.start()
    try:
        # Given a poll that fails once (the broker refused a fetch, say)
        poll, failed = feed._kafka.getmany, []

        async def fails_once(*args, **kwargs):
            if not failed:
                failed.append(True)
                raise KafkaError("fetch refused")
            return await poll(*args, **kwargs)

        monkeypatch.setattr(feed._kafka, "getmany", fails_once)
        await _until(lambda: bool(failed))
        # Then the feed is still ready and hands over what comes next
        await _send(producer, topic, [b"after the error"])
        await _until(lambda: seen == [b"after the error"])
        assert await feed.ready()
        assert "feed poll failed; polling again" in caplog.text
    finally:
        await feed.stop()


async def _ignore(records: list[ConsumerRecord]) -> None:
    return None

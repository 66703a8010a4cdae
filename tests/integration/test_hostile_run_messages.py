"""Malformed, empty and hostile messages on the run topics, through the real Kafka and the
running coordinator, workers and gateway: each is dead-lettered with its reason (or has no
effect), and the service behind it keeps working: the run in flight completes."""

import asyncio
import json
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect

from tests.e2e.data import reviews_csv
from tests.integration.conftest import records
from textmill_contracts import ProfileRequested
from textmill_contracts.commands import AnalyzeRequested, ShardAssigned
from textmill_contracts.events import RunCancelled, RunUpdated, ShardProgress
from textmill_contracts.topics import TOPICS
from textmill_gateway.handlers import CATCH_UP_SECONDS

TERMINAL = {"completed", "failed", "cancelled"}


@pytest.fixture
async def gateway(settings, admin_key):
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{settings.gateway_port}",
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=30,
    ) as client:
        yield client


async def start_run(gateway: httpx.AsyncClient, rows: int, chains: list[str]) -> str:
    content = reviews_csv(rows, seed=uuid.uuid4().int % 1_000_000)
    stored = (await gateway.post("/api/v2/files", files={"file": ("r.csv", content)})).json()
    body = {"file_id": stored["id"], "columns": ["body"], "chains": chains}
    started = await gateway.post("/api/v2/analyze", json=body)
    assert started.status_code == 202, started.text
    return started.json()["run_id"]


async def finished(gateway: httpx.AsyncClient, run_id: str, timeout: float = 90) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        run = (await gateway.get(f"/api/v2/runs/{run_id}")).json()
        if run["status"] in TERMINAL:
            return run
        await asyncio.sleep(0.3)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout}s")


def progress(run_id: str, shard_id: str, **fields) -> bytes:
    event = ShardProgress(
        run_id=run_id, shard_id=shard_id, column="body", worker="forger", offset=10, cells=10
    )
    return event.model_copy(update=fields).model_dump_json().encode()


async def dead_lettered(
    consumer, topic: str, bodies: list[bytes], timeout: float = 20
) -> dict[bytes, str]:
    """The reasons the dead-letter topic gives for `bodies` from `topic`, once all are there
    (or after `timeout` seconds)."""
    reasons: dict[bytes, str] = {}

    def park(record) -> bool:
        headers = dict(record.headers)
        if headers.get("x-original-topic") == topic.encode() and record.value in bodies:
            reasons[record.value] = headers["x-dead-letter-reason"].decode()
        return len(reasons) == len(set(bodies))

    await records(consumer, park, timeout)
    return reasons


async def test_progress_naming_no_shard_of_its_run_is_dead_lettered_and_the_run_completes(
    gateway, producer, consumer_factory
):
    """Given a run under way, when progress events arrive that name no shard of it (no
    number, not a number, a shard it was not planned with, another run's shard), then
    each is dead-lettered and the run completes with its own progress, whole and exact."""
    dead_letters = await consumer_factory(TOPICS.dead_letters)
    run_id = await start_run(gateway, 3_000, ["stats"])
    forged = [
        progress(run_id, "no-number"),
        progress(run_id, f"{run_id}:seven"),
        progress(run_id, f"{run_id}:00999", done=True),
        progress(run_id, f"{uuid.uuid4().hex}:00000", done=True),
    ]
    for body in forged:
        await producer.send_and_wait(TOPICS.shard_progress, body, key=run_id.encode())
    run = await finished(gateway, run_id)
    assert run["status"] == "completed", run
    assert run["cells_done"] == run["cells_total"] == 3_000
    reasons = await dead_lettered(dead_letters, TOPICS.shard_progress, forged)
    assert set(reasons) == set(forged), "not every forged event was dead-lettered"
    assert all("shard" in reason for reason in reasons.values())


POISON = [b"", b"not json at all \xff\xfe", b"[]", b'{"schema_version": "9.0"}', b"{" * 10_000]


@pytest.mark.parametrize(
    "topic",
    [
        TOPICS.analyze_requested,
        TOPICS.shards,
        TOPICS.shard_progress,
        TOPICS.run_control,
        TOPICS.analyze_texts,
        TOPICS.runs,
        TOPICS.heartbeats,
    ],
)
async def test_bodies_that_can_never_be_valid_are_dead_lettered(
    producer, consumer_factory, topic: str
):
    """Given an empty body, bytes that are not JSON, JSON of the wrong shape, an unknown
    major version and 10,000 open braces, when each is published on a topic a service
    consumes, then each is parked with its reason, and none holds up the topic."""
    dead_letters = await consumer_factory(TOPICS.dead_letters)
    marker = uuid.uuid4().hex
    bodies = [*POISON, f'{{"marker": "{marker}"}}'.encode()]
    for body in bodies:
        await producer.send_and_wait(topic, body, key=marker.encode())
    reasons = await dead_lettered(dead_letters, topic, bodies)
    assert set(reasons) == set(bodies), f"not dead-lettered: {set(bodies) - set(reasons)}"
    assert all(reason for reason in reasons.values())


async def test_valid_messages_about_runs_and_shards_that_do_not_exist_hold_nothing_up(
    gateway, producer, settings
):
    """Given, on every partition of each run topic, a well-formed message about a run or a
    shard that does not exist (a plan, a shard, progress, a cancel), when a run is made,
    then it completes: each of those was passed over, none retried forever ahead of it."""
    ghost = uuid.uuid4().hex
    messages = {
        TOPICS.analyze_requested: AnalyzeRequested(
            run_id=ghost, tenant="nobody", file_id="0" * 24, columns=["body"], chains=["stats"]
        ),
        TOPICS.shards: ShardAssigned(
            run_id=ghost,
            shard_id=f"{ghost}:00000",
            tenant="nobody",
            file_id="0" * 24,
            column="body",
            start=0,
            end=1_000,
            chains=["stats"],
        ),
        TOPICS.shard_progress: ShardProgress(
            run_id=ghost, shard_id=f"{ghost}:00000", column="body", worker="w", offset=1, cells=1
        ),
        TOPICS.run_control: RunCancelled(run_id=ghost, tenant="nobody"),
    }
    for topic, message in messages.items():
        body = message.model_dump_json().encode()
        for partition in range(settings.kafka_topic_partitions):
            await producer.send_and_wait(topic, body, partition=partition)
    run_id = await start_run(gateway, 2_000, ["stats"])
    run = await finished(gateway, run_id)
    assert run["status"] == "completed" and run["cells_done"] == 2_000, run


@pytest.mark.parametrize(
    ("command", "partitions"),
    [
        ({"chains": ["no-such-chain"]}, None),
        ({"reply_to": "not a topic name!"}, None),
        ({"reply_to": "x" * 300}, None),
        # Kafka takes the producer's metadata wait (15 s) to say that it has no such topic:
        # on one partition only, or the test would wait that long for each.
        ({"reply_to": "textmill.no-such-topic"}, [0]),
    ],
    ids=["unknown-chain", "bad-reply-topic", "long-reply-topic", "missing-reply-topic"],
)
async def test_quick_analyses_that_cannot_be_answered_are_dead_lettered(
    gateway, producer, consumer_factory, settings, command, partitions
):
    """Given quick analyses asking for a chain no worker has, or a reply on a topic that
    cannot or does not exist, when they are published, then each is parked with its reason
    (not retried forever, holding up the partition), and a client's own is answered."""
    dead_letters = await consumer_factory(TOPICS.dead_letters)
    bodies = []
    for partition in partitions or range(settings.kafka_topic_partitions):
        fields = {"correlation_id": uuid.uuid4().hex, "reply_to": TOPICS.replies}
        request = {**fields, "texts": ["hi"], "chains": ["stats"], **command}
        body = json.dumps(request).encode()
        bodies.append(body)
        await producer.send_and_wait(TOPICS.analyze_texts, body, partition=partition)
    reasons = await dead_lettered(dead_letters, TOPICS.analyze_texts, bodies, timeout=40)
    assert set(reasons) == set(bodies), f"{len(bodies) - len(reasons)} not dead-lettered"
    answered = await gateway.post(
        "/api/v2/analyze/text", json={"texts": ["great stuff"], "chains": ["sentiment"]}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["results"][0]["chains"]["sentiment"]["label"] == "positive"


async def test_a_profile_request_with_no_reply_topic_is_dead_lettered(producer, consumer_factory):
    """Given a profile request whose reply topic does not exist in Kafka, then it is parked
    with its reason after the producer's metadata wait, not retried forever."""
    dead_letters = await consumer_factory(TOPICS.dead_letters)
    request = ProfileRequested(
        correlation_id=uuid.uuid4().hex,
        reply_to="textmill.no-such-topic",
        tenant="nobody",
        file_id="0" * 24,
        sha256="0",
    )
    body = request.model_dump_json().encode()
    await producer.send_and_wait(TOPICS.profile_requested, body, partition=0)
    reasons = await dead_lettered(dead_letters, TOPICS.profile_requested, [body], timeout=40)
    assert "no reply topic 'textmill.no-such-topic'" in reasons[body]


async def test_a_forged_completion_of_an_unknown_run_holds_up_no_real_run(
    gateway, producer, settings
):
    """Given, on every partition of the run-updates topic, a run that no gateway saw start
    reported completed with a billion cells done, when a real run completes, then its
    stream ends without waiting out the catch-up for the forged runs' results (30 s each,
    which no result would ever end)."""
    for partition in range(settings.kafka_topic_partitions):
        forged = RunUpdated(
            run_id=uuid.uuid4().hex,
            tenant="nobody",
            status="completed",
            cells_done=10**9,
            cells_total=10**9,
            columns={},
        )
        await producer.send_and_wait(
            TOPICS.runs, forged.model_dump_json().encode(), partition=partition
        )
    run_id = await start_run(gateway, 2_000, ["stats"])
    url = f"ws://127.0.0.1:{settings.gateway_port}/api/v2/runs/{run_id}/stream"
    key = gateway.headers["authorization"].split(" ", 1)[1]
    async with asyncio.timeout(CATCH_UP_SECONDS * 0.8):
        async with ws_connect(f"{url}?api_key={key}", max_size=None) as socket:
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "run" and message["data"]["status"] in TERMINAL:
                    break
    assert message["data"]["status"] == "completed"

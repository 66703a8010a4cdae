"""Delivery semantics through the real Kafka and the running services."""

import asyncio
import json
import uuid

from tests.integration.conftest import records
from textmill_contracts import ProfileRequested
from textmill_contracts.topics import MESSAGE_TYPE_HEADER, TOPICS
from textmill_coordinator.adapters.liveness import PREFIX


async def test_poison_command_is_dead_lettered_and_the_profiler_keeps_working(
    producer, consumer_factory
):
    # Given consumers of the dead-letter and reply topics
    dead_letters = await consumer_factory(TOPICS.dead_letters)
    replies = await consumer_factory(TOPICS.replies)
    marker = uuid.uuid4().hex
    # When a command that can never be valid is published, followed by a valid one
    await producer.send_and_wait(TOPICS.profile_requested, f'{{"garbage": "{marker}"}}'.encode())
    valid = ProfileRequested(
        correlation_id=marker,
        reply_to=TOPICS.replies,
        tenant="nobody",
        file_id="0" * 24,
        sha256="0",
    )
    await producer.send_and_wait(TOPICS.profile_requested, valid.model_dump_json().encode())
    # Then the poison is parked with its reason and origin
    parked = await records(dead_letters, lambda r: marker.encode() in r.value)
    poison = [r for r in parked if marker.encode() in r.value]
    assert poison, "the poison message did not reach the dead-letter topic"
    headers = dict(poison[0].headers)
    assert headers["x-original-topic"].decode() == TOPICS.profile_requested
    assert b"ProfileRequested" in headers["x-dead-letter-reason"]
    # And the valid command behind it is still answered
    answered = await records(replies, lambda r: marker.encode() in r.value)
    reply = next(r for r in answered if marker.encode() in r.value)
    assert dict(reply.headers)[MESSAGE_TYPE_HEADER] == b"profile.failed"
    assert json.loads(reply.value)["code"] == "file_not_found"


async def test_redelivered_command_keeps_one_profile(
    producer, consumer_factory, mongo, settings, admin_key
):
    # Given a file uploaded through the gateway
    import httpx

    from tests.e2e.data import reviews_csv

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{settings.gateway_port}",
        headers={"Authorization": f"Bearer {admin_key}"},
    ) as client:
        # content of its own, so that no cached profile of the same content answers
        content = reviews_csv(30, seed=uuid.uuid4().int % 1_000_000)
        stored = (await client.post("/api/v2/files", files={"file": ("r.csv", content)})).json()
    replies = await consumer_factory(TOPICS.replies)
    correlation = uuid.uuid4().hex
    command = ProfileRequested(
        correlation_id=correlation,
        reply_to=TOPICS.replies,
        tenant=stored["tenant"],
        file_id=stored["id"],
        sha256=stored["sha256"],
    )
    # When the same command is delivered twice
    for _ in range(2):
        await producer.send_and_wait(TOPICS.profile_requested, command.model_dump_json().encode())
    # Then both are answered
    seen: list = []

    def both_answered(_record) -> bool:
        seen.append(_record)
        return sum(correlation.encode() in r.value for r in seen) >= 2

    await records(replies, both_answered)
    assert sum(correlation.encode() in r.value for r in seen) == 2
    # And exactly one profile is stored for the file
    db = mongo[settings.mongo_db]
    assert await db.profiles.count_documents({"file_id": stored["id"]}) == 1


async def test_every_service_heartbeats_into_the_coordinators_liveness_table(redis):
    # Given the running stack
    # When a few heartbeat periods pass
    services: set[str] = set()
    for _ in range(20):
        keys = [k async for k in redis.scan_iter(match=PREFIX + "*")]
        values = [json.loads(v) for v in await redis.mget(keys)] if keys else []
        services = {v["service"] for v in values if v}
        if len(services) == 5:
            break
        await asyncio.sleep(0.5)
    # Then every service is alive in the table
    assert services == {"gateway", "profiler", "estimator", "coordinator", "worker"}


async def test_deleting_a_file_drops_its_cached_and_stored_profiles(
    redis, mongo, settings, admin_key
):
    import httpx

    from tests.e2e.data import reviews_csv
    from textmill_profiler.domain import PROFILER_VERSION
    from textmill_storage.profile_cache import NAMESPACE

    base = f"http://127.0.0.1:{settings.gateway_port}"
    headers = {"Authorization": f"Bearer {admin_key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        # Given a profiled file (content unique to this test)
        content = reviews_csv(20, seed=uuid.uuid4().int % 10_000)
        files = {"file": ("r.csv", content, "text/csv")}
        stored = (await client.post("/api/v2/files", files=files)).json()
        assert (await client.post("/api/v2/profile", json={"file_id": stored["id"]})).is_success
        key = f"{NAMESPACE}entry:{stored['tenant']}:{stored['sha256']}:{PROFILER_VERSION}"
        db = mongo[settings.mongo_db]
        assert await redis.exists(key)
        # When the file is deleted
        assert (await client.delete(f"/api/v2/files/{stored['id']}")).status_code == 204
    # Then the profiler drops the cached entry and the stored profile
    for _ in range(40):
        gone = not await redis.exists(key)
        if gone and await db.profiles.count_documents({"file_id": stored["id"]}) == 0:
            break
        await asyncio.sleep(0.25)
    assert not await redis.exists(key)
    assert await db.profiles.count_documents({"file_id": stored["id"]}) == 0

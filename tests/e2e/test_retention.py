"""Retention on the real stack: the cleanup job removes a tenant's files and ended runs
(results, shards, live stream in Redis) once the tenant's age has passed, in bounded
batches, and leaves fresh ones whole."""

import asyncio
from datetime import timedelta

import pytest
from pymongo import MongoClient

from tests.e2e.conftest import upload
from tests.e2e.data import reviews_csv
from tests.e2e.runs import wait_for
from textmill_contracts.envelope import utc_now
from textmill_gateway.adapters.retention import LOCK_KEY, RetentionSweep, Swept
from textmill_gateway.adapters.streams import RunStreams
from textmill_gateway.domain.retention import RetentionPolicy
from textmill_infra.blobs import file_query
from textmill_infra.clients import MONGO_OPTIONS, database, make_mongo, make_redis
from textmill_infra.settings import Settings

DAY = 24 * 3600


def completed_run(client, rows: int) -> tuple[str, str]:
    stored = upload(client, "reviews.csv", reviews_csv(rows=rows))
    assert stored.status_code == 201, stored.text
    file_id = stored.json()["id"]
    started = client.post(
        "/api/v2/analyze", json={"file_id": file_id, "columns": ["body"], "chains": ["sentiment"]}
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    wait_for(client, run_id, {"completed"})
    return file_id, run_id


async def sweep(policy: RetentionPolicy, *, held_by: str | None = None) -> Swept | None:
    """One sweep of the real store and Redis by `policy`, in batches of 2, as the job makes
    it (taking the lock; `held_by`: another replica holds it for the while)."""
    settings = Settings()
    mongo, redis = make_mongo(settings), make_redis(settings)
    try:
        job = RetentionSweep(
            database(mongo, settings), redis, RunStreams(redis), None, policy, batch=2
        )
        if held_by is not None:
            assert await redis.set(LOCK_KEY, held_by, nx=True, px=30_000)
            try:
                return await job.sweep_once(utc_now(), lock_seconds=60)
            finally:
                await redis.delete(LOCK_KEY)
        for _ in range(60):
            if (swept := await job.sweep_once(utc_now(), lock_seconds=60)) is not None:
                return swept
            await asyncio.sleep(0.5)  # the stack's own gateway is sweeping: after it
        raise AssertionError("the cleanup lock stayed taken for 30 s")
    finally:
        await redis.aclose()
        await mongo.close()


async def stream_keys(run_id: str) -> list[bytes]:
    redis = make_redis(Settings())
    try:
        return [key async for key in redis.scan_iter(match=f"textmill:stream:{run_id}*")]
    finally:
        await redis.aclose()


@pytest.fixture
def store():
    settings = Settings()
    client = MongoClient(settings.mongo_url, **MONGO_OPTIONS)
    yield client[settings.mongo_db]
    client.close()


def test_expired_files_and_runs_go_and_fresh_ones_stay(alice, store):
    # Given a tenant kept 7 days, with a file and run of 8 days ago and a fresh file and run
    old_file, old_run = completed_run(alice, rows=2_500)  # 3 result batches
    new_file, new_run = completed_run(alice, rows=20)
    eight_days_ago = utc_now() - timedelta(days=8)
    store["runs"].update_one(
        {"_id": old_run}, {"$set": {"created_at": eight_days_ago, "finished_at": eight_days_ago}}
    )
    store["fs.files"].update_one(file_query(old_file), {"$set": {"uploadDate": eight_days_ago}})
    assert asyncio.run(stream_keys(old_run)), "the old run's stream is in Redis before"
    # When the cleanup job sweeps with the tenant's age of 7 days (30 for everyone else)
    swept = asyncio.run(sweep(RetentionPolicy(seconds=30 * DAY, by_tenant={alice.tenant: 7 * DAY})))
    # Then the old run and file are gone: to the API, in the store and in Redis
    assert swept is not None and swept.runs >= 1 and swept.files >= 1
    assert alice.get(f"/api/v2/runs/{old_run}").status_code == 404
    assert alice.get(f"/api/v2/files/{old_file}").status_code == 404
    assert store["results"].count_documents({"run_id": old_run}) == 0
    assert store["shards"].count_documents({"run_id": old_run}) == 0
    assert store["run_ends"].count_documents({"_id": old_run}) == 0
    assert asyncio.run(stream_keys(old_run)) == []
    # And the fresh ones are whole: the run, its results, its file, its stream
    assert alice.get(f"/api/v2/runs/{new_run}").json()["status"] == "completed"
    assert len(alice.get(f"/api/v2/runs/{new_run}/results").json()["items"]) == 20
    assert alice.get(f"/api/v2/files/{new_file}").status_code == 200
    assert asyncio.run(stream_keys(new_run))


def test_a_sweep_waits_its_turn_while_another_replica_sweeps(alice, store):
    # Given an expired file, and another replica holding the cleanup lock
    file_id = upload(alice, "old.csv", reviews_csv(rows=3)).json()["id"]
    store["fs.files"].update_one(
        file_query(file_id), {"$set": {"uploadDate": utc_now() - timedelta(days=2)}}
    )
    policy = RetentionPolicy(seconds=30 * DAY, by_tenant={alice.tenant: DAY})
    # When this replica's job comes round
    swept = asyncio.run(sweep(policy, held_by="another-replica"))
    # Then it sweeps nothing, and the file stays until a sweep of its own
    assert swept is None
    assert alice.get(f"/api/v2/files/{file_id}").status_code == 200
    assert asyncio.run(sweep(policy)).files >= 1
    assert alice.get(f"/api/v2/files/{file_id}").status_code == 404


def test_an_old_file_a_kept_run_reads_stays_until_its_runs_go(alice, store):
    # Given a file uploaded 8 days ago, analysed by a run that ended just now
    file_id, run_id = completed_run(alice, rows=20)
    eight_days_ago = utc_now() - timedelta(days=8)
    store["fs.files"].update_one(file_query(file_id), {"$set": {"uploadDate": eight_days_ago}})
    policy = RetentionPolicy(seconds=30 * DAY, by_tenant={alice.tenant: 7 * DAY})
    # When the cleanup job sweeps with an age of 7 days
    asyncio.run(sweep(policy))
    # Then the file stays, and the run's results and export still read it
    assert alice.get(f"/api/v2/files/{file_id}").status_code == 200
    assert len(alice.get(f"/api/v2/runs/{run_id}/results").json()["items"]) == 20
    assert alice.get(f"/api/v2/runs/{run_id}/export?format=csv").status_code == 200
    # And once the run has expired too, both go
    store["runs"].update_one({"_id": run_id}, {"$set": {"finished_at": eight_days_ago}})
    asyncio.run(sweep(policy))
    assert alice.get(f"/api/v2/runs/{run_id}").status_code == 404
    assert alice.get(f"/api/v2/files/{file_id}").status_code == 404

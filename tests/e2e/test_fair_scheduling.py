"""Fair scheduling on the running stack: a small run of another tenant, started while a
large run is under way, has its shard served before the large run's remaining ones; and
a high-priority run before a normal one. Order only, read from the store's release
records (`shard_releases`) and the runs' ends: no wall-clock bound."""

import time
from datetime import datetime

import pytest
import redis
from pymongo import MongoClient

from tests.e2e.conftest import new_tenant_client
from tests.e2e.data import reviews_csv
from tests.e2e.runs import start_run, wait_for
from textmill_infra.settings import Settings
from textmill_runs import shard_id
from textmill_storage.shard_paces import KEY

# The large run: keywords, shards of ~1.5 s (1,000 rows at the planned speed), twenty. The
# small runs: sentiment, one shard that takes a fraction of a second.
LARGE_ROWS, SMALL_ROWS = 20_000, 1_000
LARGE_CHAINS, SMALL_CHAINS = ["keywords"], ["sentiment"]
# A busy machine stretches each shard several times over: order is asserted, not time.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def db():
    settings = Settings()
    with MongoClient(settings.mongo_url, tz_aware=True) as client:
        yield client[settings.mongo_db]


def releases(db, run_id: str) -> dict[int, datetime]:
    """When each of the run's released shards went out, by shard number."""
    planned = (db.runs.find_one({"_id": run_id}, {"shards": 1}) or {}).get("shards", {})
    found = {int(n): db.shard_releases.find_one({"_id": shard_id(run_id, int(n))}) for n in planned}
    return {n: doc["released_at"] for n, doc in found.items() if doc is not None}


def queued_at(db, run_id: str) -> datetime:
    return db.runs.find_one({"_id": run_id}, {"queued_at": 1})["queued_at"]


def released_after(db, run_ids: list[str], since: datetime) -> list[datetime]:
    """When the shards of `run_ids` released after `since` went out."""
    return [at for run_id in run_ids for at in releases(db, run_id).values() if at > since]


def ahead_of(first: datetime, others: list[datetime]) -> int:
    """How many of `others` went out before `first`. One may: a release round already
    under way as the run was queued had chosen it without seeing the run."""
    return sum(1 for at in others if at < first)


def wait_for_release_after(db, run_id: str, since: datetime) -> datetime:
    """The first release of a shard of `run_id` after `since` (the run goes on after)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if after := [at for at in releases(db, run_id).values() if at > since]:
            return min(after)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} released no shard after {since}")


def wait_until_under_way(client, db, run_id: str) -> dict:
    """The run once a shard of it is out and several are not released yet."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = client.get(f"/api/v2/runs/{run_id}").json()
        planned = (db.runs.find_one({"_id": run_id}, {"shards": 1}) or {}).get("shards", {})
        if planned and releases(db, run_id) and run["status"] in {"queued", "running"}:
            assert len(planned) - len(releases(db, run_id)) >= 3, "the large run is too small"
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never got under way")


@pytest.fixture
def planned_speed():
    """Keywords' shards planned at the chains' planned speed (2,000 rows), not at a pace
    earlier tests taught (faster texts would make the large run a few large shards)."""
    client = redis.Redis.from_url(Settings().redis_url)
    learnt = {k: v for k, v in client.hgetall(KEY).items() if k.startswith(b"keywords@")}
    try:
        if learnt:
            client.hdel(KEY, *learnt)
        yield
    finally:
        if learnt:  # what the stack had learnt, back (the large run's shards taught it too)
            client.hset(KEY, mapping=learnt)
        client.close()


@pytest.fixture
def large_run(admin, db, planned_speed):
    with new_tenant_client(admin) as client:
        run_id = start_run(client, reviews_csv(LARGE_ROWS, seed=21), ["body"], LARGE_CHAINS)
        wait_until_under_way(client, db, run_id)
        yield client, run_id
        client.post(f"/api/v2/runs/{run_id}/cancel")  # not to hold the workers after the test


def test_a_small_run_of_another_tenant_is_served_before_a_large_runs_remaining_shards(
    admin, db, large_run
):
    # Given tenant A's large run under way, several of its shards not released yet
    a, large = large_run

    # When tenant B starts a one-shard run
    with new_tenant_client(admin) as b:
        small = start_run(b, reviews_csv(SMALL_ROWS, seed=22), ["body"], SMALL_CHAINS)
        finished = wait_for(b, small, {"completed", "failed", "cancelled"})

    # Then B's run completed while A's was still under way
    assert finished["status"] == "completed", finished
    assert a.get(f"/api/v2/runs/{large}").json()["status"] in {"queued", "running"}
    # And B's shard went out before the shards of A's released since B's run was queued
    [small_out] = releases(db, small).values()
    later = wait_for_release_after(db, large, small_out)
    assert ahead_of(small_out, released_after(db, [large], queued_at(db, small))) <= 1
    assert later > small_out


def test_a_high_priority_run_is_served_before_a_normal_run_queued_earlier(admin, db, large_run):
    # Given tenant A's large run under way, and a normal run of tenant B queued behind it
    _, large = large_run
    with new_tenant_client(admin) as b, new_tenant_client(admin) as c:
        stored = reviews_csv(SMALL_ROWS, seed=23)
        normal = start_run(b, stored, ["body"], SMALL_CHAINS)

        # When tenant C then starts a high-priority run
        uploaded = c.post("/api/v2/files", files={"file": ("r.csv", stored, "text/csv")})
        started = c.post(
            "/api/v2/analyze",
            json={
                "file_id": uploaded.json()["id"],
                "columns": ["body"],
                "chains": SMALL_CHAINS,
                "priority": "high",
            },
        )
        assert started.status_code == 202, started.text
        high = started.json()["run_id"]
        for client, run_id in ((c, high), (b, normal)):
            assert wait_for(client, run_id, {"completed", "failed"})["status"] == "completed"

        # Then each says its priority
        assert c.get(f"/api/v2/runs/{high}").json()["priority"] == "high"
        assert b.get(f"/api/v2/runs/{normal}").json()["priority"] == "normal"
    # And the normal runs' shards released since it was queued went out after its shard
    [high_out] = releases(db, high).values()
    assert ahead_of(high_out, released_after(db, [large, normal], queued_at(db, high))) <= 1


def test_another_tenant_s_estimate_waits_for_a_share_of_a_large_run_not_all_it_has_left(
    admin, large_run
):
    # Given tenant A's large run under way
    with new_tenant_client(admin) as b:
        # When tenant B estimates a one-shard run at A's priority and at a lower one
        uploaded = b.post(
            "/api/v2/files", files={"file": ("r.csv", reviews_csv(SMALL_ROWS, 24), "text/csv")}
        )
        body = {"file_id": uploaded.json()["id"], "columns": ["body"], "chains": SMALL_CHAINS}
        normal, low = (
            b.post("/api/v2/estimate", json={**body, "priority": priority}).json()["assumptions"]
            for priority in ("normal", "low")
        )
    # Then at A's priority B's run waits for a share of A's (tenants take turns), and at a
    # lower one for all A has left, which is more
    assert normal["backlog_seconds"] < low["backlog_seconds"]
    assert normal["backlog_cells"] < low["backlog_cells"]


def test_an_unknown_priority_is_refused_naming_the_field(client):
    uploaded = client.post("/api/v2/files", files={"file": ("r.csv", reviews_csv(10), "text/csv")})
    refused = client.post(
        "/api/v2/analyze",
        json={"file_id": uploaded.json()["id"], "columns": ["body"], "priority": "urgent"},
    )
    assert refused.status_code == 400, refused.text
    assert "priority" in refused.text


def test_high_priority_is_refused_to_an_analyst_for_a_large_run_and_nothing_starts(admin):
    limit = Settings().high_priority_max_cells
    with new_tenant_client(admin) as analyst, new_tenant_client(admin, role="admin") as boss:
        stored = reviews_csv(limit // 2 + 1, seed=5)  # two text columns: just over the limit
        asked = {"columns": ["title", "body"], "chains": SMALL_CHAINS, "priority": "high"}
        for caller in (analyst, boss):
            caller.file_id = caller.post(  # type: ignore[attr-defined]
                "/api/v2/files", files={"file": ("r.csv", stored, "text/csv")}
            ).json()["id"]

        # When an analyst asks high for it, it is refused, saying the limit
        refused = analyst.post("/api/v2/analyze", json={"file_id": analyst.file_id, **asked})
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "forbidden"
        assert f"{limit:,}" in refused.json()["detail"]
        # And no run was started
        assert analyst.get("/api/v2/runs").json()["items"] == []
        # While an admin may, and normal stays open to the analyst
        granted = boss.post("/api/v2/analyze", json={"file_id": boss.file_id, **asked})
        assert granted.status_code == 202, granted.text
        boss.post(f"/api/v2/runs/{granted.json()['run_id']}/cancel")
        normal = analyst.post(
            "/api/v2/analyze", json={"file_id": analyst.file_id, **asked, "priority": "normal"}
        )
        assert normal.status_code == 202, normal.text
        analyst.post(f"/api/v2/runs/{normal.json()['run_id']}/cancel")

"""Shards sized from measured pace on the running stack: a run is planned from the pace kept
in Redis for its chains and texts, and its full shards teach that pace as they complete."""

import csv
import io
import json

import pytest
import redis
from pymongo import MongoClient

from tests.e2e.conftest import new_tenant_client
from tests.e2e.runs import start_run, wait_for
from textmill_infra.settings import Settings
from textmill_runs.pace import ShardPace, pace_key
from textmill_storage.shard_paces import KEY

ROWS = 5_000
# 150 characters (the 128-255 bucket): YAKE takes a millisecond or so on such a text, so a
# shard of 3,000 lasts well over the 0.25 s a shard must last to count.
TEXT = ("a kettle that boils fast, pours well and keeps the tea hot for hours " * 3)[:150]
CHAINS = ["keywords"]


@pytest.fixture
def stores():
    settings = Settings()
    with MongoClient(settings.mongo_url, tz_aware=True) as mongo:
        client = redis.Redis.from_url(settings.redis_url)
        try:
            yield mongo[settings.mongo_db], client
        finally:
            client.close()


def texts_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "note"])
    writer.writerows([i, TEXT] for i in range(rows))
    return out.getvalue().encode()


def test_a_run_is_planned_from_the_pace_of_its_chains_on_its_texts(admin, stores):
    # Given a pace of 2,000 cells/s kept for these chains on texts of this length
    db, paces = stores
    key = pace_key(CHAINS, len(TEXT))
    saved = paces.hget(KEY, key)
    paces.hset(KEY, key, json.dumps(ShardPace(1 / 2_000, 1).as_dict()))
    try:
        # When a run of 5,000 such rows is started and completes
        with new_tenant_client(admin) as client:
            run_id = start_run(client, texts_csv(ROWS), ["note"], CHAINS)
            assert wait_for(client, run_id, {"completed", "failed"})["status"] == "completed"

        # Then its shards are the 3,000 rows that pace gets through in 1.5 s (the last cut)
        shards = db.runs.find_one({"_id": run_id}, {"shards": 1})["shards"]
        assert sorted(s["total"] for s in shards.values()) == [2_000, 3_000]
        # And its full shard taught the pace it ran at; the last, cut one did not
        learnt = ShardPace.from_dict(json.loads(paces.hget(KEY, key)))
        assert learnt.shards == 2 and learnt.seconds_per_cell != 1 / 2_000
    finally:
        if saved is None:
            paces.hdel(KEY, key)
        else:
            paces.hset(KEY, key, saved)

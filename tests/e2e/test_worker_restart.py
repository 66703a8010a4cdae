"""A worker killed mid-shard: its shard resumes from the checkpoint and every cell is stored
exactly once. Kills a real worker process of the local stack and starts it again."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from pymongo import MongoClient

from tests.e2e.data import reviews_csv
from tests.e2e.runs import all_results, start_run, wait_for
from textmill_infra.settings import Settings
from textmill_runs import shard_id

ROOT = Path(__file__).resolve().parents[2]
# Sentiment shards are 30,000 rows, 30 stored batches: about 1.5 s of work on two cores,
# most of it part-way with a checkpoint past the start (it moves every 0.25 s at most).
ROWS = 45_000


def worker_pid(instance_id: str) -> int:
    for pid_file in (ROOT / ".local" / "run").glob("worker*.pid"):
        if instance_id.endswith(f"-{pid_file.stem}-local"):
            return int(pid_file.read_text())
    raise AssertionError(f"no local worker process for {instance_id}")


def run_shards(db, run_id: str) -> list[dict]:
    """The run's shards as stored, each read by `_id` (the run's document lists them): a
    query by `run_id` scans every shard ever stored on FerretDB (~285 ms with 7,400), and
    a shard of this run is done in about a second."""
    planned = (db.runs.find_one({"_id": run_id}, {"shards": 1}) or {}).get("shards", {})
    found = (db.shards.find_one({"_id": shard_id(run_id, int(n))}) for n in planned)
    return [doc for doc in found if doc is not None]


def kill_a_worker_mid_shard(db, run_id: str) -> dict | None:
    """Wait for a shard with a checkpoint past its start, SIGKILL the worker holding it and
    return the shard as it was then; None if no shard was seen part-way before every shard
    was done, or if the shard was done before the kill landed (the workers read ahead of
    their checkpoints, so a shard may finish in the meantime)."""
    deadline, shard = time.monotonic() + 90, None
    while shard is None:
        assert time.monotonic() < deadline, "the run's shards neither moved nor finished"
        shards = run_shards(db, run_id)
        if shards and all(doc["done"] for doc in shards):
            return None
        for doc in shards:
            if not doc["done"] and doc["offset"] > doc["start"] and doc.get("worker"):
                shard = doc
        time.sleep(0.02)
    os.killpg(worker_pid(shard["worker"]), signal.SIGKILL)
    time.sleep(0.5)
    # Nobody else takes the shard over before the group rebalances: what is stored now is
    # what the killed worker stored.
    finished = db.shards.find_one({"_id": shard["_id"]})["done"]
    subprocess.run(
        [sys.executable, "deploy/local/stack.py", "up"], cwd=ROOT, check=True, capture_output=True
    )
    return None if finished else shard


def test_a_killed_worker_resumes_its_shard_from_the_checkpoint(alice):
    settings = Settings()
    db = MongoClient(settings.mongo_url)[settings.mongo_db]
    for _ in range(3):
        # Given a run split into shards of many batches
        run_id = start_run(alice, reviews_csv(ROWS, seed=21), ["body"], ["sentiment"])
        # When a shard has stored part of its rows (a checkpoint) and the worker holding it
        # is killed without warning, then started again
        shard = kill_a_worker_mid_shard(db, run_id)
        # Then the run completes ...
        run = wait_for(alice, run_id, {"completed", "failed", "cancelled"}, timeout=300)
        assert run["status"] == "completed", run
        # ... and every cell is stored exactly once
        keys = Counter(r["record"] for r in all_results(alice, run_id))
        assert len(keys) == ROWS and max(keys.values()) == 1
        if shard is not None:
            break
    assert shard is not None, "the kill never landed mid-shard in three runs"
    # ... and the killed shard was resumed from a checkpoint, not redone from its start
    resumed = db.shards.find_one({"_id": shard["_id"]})
    assert resumed["done"] and resumed.get("resumed_from", 0) >= shard["offset"]

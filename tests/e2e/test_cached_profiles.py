"""A cached profile answered by the gateway from the profile cache, without the profiler:
the same answer as the profiler's, never an entry of a profiler version other than the one
the running profiler recorded, and still answered while the profiler is stopped."""

import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from tests.e2e.conftest import upload
from tests.e2e.data import reviews_csv
from textmill_infra.settings import Settings
from textmill_storage.profile_cache import NAMESPACE

ROOT = Path(__file__).resolve().parents[2]
VERSION_KEY = NAMESPACE + "version"


def gateway_hits(client: httpx.Client) -> float:
    """The profile cache hits the gateway answered itself (its /metrics)."""
    text = client.get("/metrics").text
    found = re.search(r'^textmill_profile_cache_lookups_total\{outcome="hit"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def store() -> redis.Redis:
    client = redis.Redis.from_url(Settings().redis_url)
    yield client
    client.close()


@pytest.fixture
def profiled(alice) -> tuple[str, dict]:
    """A file of content unique to the test, profiled by the profiler (so cached)."""
    content = reviews_csv(60, seed=uuid.uuid4().int % 100_000)
    file_id = upload(alice, "reviews.csv", content).json()["id"]
    first = alice.post("/api/v2/profile", json={"file_id": file_id})
    assert first.status_code == 200, first.text
    return file_id, first.json()


def test_a_cached_profile_is_answered_by_the_gateway_as_the_profiler_answered_it(
    alice, admin, profiled
):
    file_id, first = profiled
    hits = gateway_hits(admin)
    # When the profiled file is profiled again
    again = alice.post("/api/v2/profile", json={"file_id": file_id})
    # Then the gateway answered it from the cache, the same answer as the profiler's
    assert again.status_code == 200 and again.json() == first
    assert gateway_hits(admin) == hits + 1


def test_no_entry_of_another_profiler_version_than_the_recorded_one_is_served(
    alice, admin, profiled, store
):
    file_id, first = profiled
    current = store.get(VERSION_KEY)
    assert current.decode() == first["profiler_version"]
    try:
        # Given a profiler of a newer version recorded (its cache holds nothing of the file)
        store.set(VERSION_KEY, "99.0.0-e2e")
        hits = gateway_hits(admin)
        # When the file is profiled
        answer = alice.post("/api/v2/profile", json={"file_id": file_id})
        # Then the gateway did not serve the older version's entry: the profiler answered
        assert answer.status_code == 200 and answer.json() == first
        assert gateway_hits(admin) == hits
    finally:
        store.set(VERSION_KEY, current)
    # ...and with the running profiler's version recorded again, the gateway answers it
    assert alice.post("/api/v2/profile", json={"file_id": file_id}).json() == first
    assert gateway_hits(admin) == hits + 1


def stack(command: str, part: str) -> None:
    subprocess.run(
        [sys.executable, "deploy/local/stack.py", command, part],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def test_a_cached_profile_is_answered_while_the_profiler_is_stopped(alice, profiled):
    file_id, first = profiled
    stack("stop", "profiler")
    try:
        # When the cached file is profiled with no profiler running
        answer = alice.post("/api/v2/profile", json={"file_id": file_id})
        # Then the gateway answered it all the same
        assert answer.status_code == 200 and answer.json() == first
    finally:
        stack("start", "profiler")

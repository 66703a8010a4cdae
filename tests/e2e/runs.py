"""Helpers of the run tests: start a run, wait for it, read its stream and its results."""

import json
import time

import httpx
from websockets.sync.client import connect

from tests.e2e.conftest import upload

TERMINAL = {"completed", "failed", "cancelled"}


def start_run(client: httpx.Client, content: bytes, columns: list[str], chains: list[str]) -> str:
    stored = upload(client, "reviews.csv", content)
    assert stored.status_code == 201, stored.text
    started = client.post(
        "/api/v2/analyze",
        json={"file_id": stored.json()["id"], "columns": columns, "chains": chains},
    )
    assert started.status_code == 202, started.text
    return started.json()["run_id"]


def wait_for(client: httpx.Client, run_id: str, statuses: set[str], timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/v2/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout}s: {run}")


def all_results(client: httpx.Client, run_id: str) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v2/runs/{run_id}/results", params=params)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def ws_url(client: httpx.Client, run_id: str, from_seq: int = 0) -> str:
    base = str(client.base_url).replace("http://", "ws://").rstrip("/")
    key = client.headers["authorization"].split(" ", 1)[1]
    return f"{base}/api/v2/runs/{run_id}/stream?api_key={key}&from_seq={from_seq}"


def read_stream(
    url: str,
    *,
    stop_after_results: int | None = None,
    timeout: float = 240,
    max_size: int | None = 2**20,
):
    """(messages read, whether the stream ended with a terminal run message). `max_size`:
    the largest message taken (websockets' default), None for any."""
    messages = []
    results = 0
    with connect(url, open_timeout=10, close_timeout=5, max_size=max_size) as socket:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(socket.recv(timeout=60))
            if message["type"] == "keep-alive":
                continue
            messages.append(message)
            if message["type"] == "results":
                results += 1
                if stop_after_results is not None and results >= stop_after_results:
                    return messages, False
            if message["type"] == "run" and message["data"]["status"] in TERMINAL:
                return messages, True
    raise AssertionError("the stream did not end in time")

"""The Grafana dashboard's queries against the real Prometheus of the local stack: after a
small analysis (profiled twice, estimated, run, streamed, read), every panel's query
evaluates without error and returns something."""

import json
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import upload
from tests.e2e.data import reviews_csv
from tests.e2e.runs import read_stream, wait_for, ws_url
from textmill_infra.settings import Settings

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy/grafana/textmill.json"


def queries() -> list[tuple[str, str]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(p["title"], t["expr"]) for p in panels for t in p.get("targets", [])]


def evaluate(expr: str) -> tuple[str, list]:
    answer = httpx.get(
        f"http://127.0.0.1:{Settings().prometheus_port}/api/v1/query",
        params={"query": expr},
        timeout=10,
    ).json()
    return answer["status"], answer.get("data", {}).get("result", [])


def test_every_panel_query_returns_data_after_a_small_analysis(local_stack, client):
    # Given a small analysis: a file profiled twice (a cache miss, then a hit), estimated,
    # run with two chains, followed over a websocket, then read
    stored = upload(client, "reviews.csv", reviews_csv(rows=300))
    assert stored.status_code == 201, stored.text
    file_id = stored.json()["id"]
    for _ in range(2):
        assert client.post("/api/v2/profile", json={"file_id": file_id}).status_code == 200
    ask = {"file_id": file_id, "columns": ["body"], "chains": ["sentiment", "stats"]}
    assert client.post("/api/v2/estimate", json=ask).status_code == 200
    started = client.post("/api/v2/analyze", json=ask)
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    _, ended = read_stream(ws_url(client, run_id))
    assert ended
    wait_for(client, run_id, {"completed"})
    assert client.get(f"/api/v2/runs/{run_id}/results", params={"limit": 10}).status_code == 200
    # When Prometheus has scraped every service a few times since (every 5 s locally)
    deadline, failing = time.monotonic() + 90, queries()
    while failing and time.monotonic() < deadline:
        time.sleep(3)
        failing = [(title, expr) for title, expr in failing if not all(_answered(expr))]
    # Then every panel's query evaluates and returns at least one series
    assert not failing, "\n".join(f"{t}: {e} -> {evaluate(e)}" for t, e in failing)


def _answered(expr: str) -> tuple[bool, bool]:
    status, result = evaluate(expr)
    return status == "success", bool(result)

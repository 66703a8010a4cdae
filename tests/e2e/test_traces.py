"""One trace along the whole path, in the real Jaeger of the local stack: a request sent
with a known `traceparent` → the gateway → Kafka → the coordinator → a shard → a worker →
its result batch → the gateway's stream."""

import secrets
import time

import httpx
import pytest

from tests.e2e.conftest import upload
from tests.e2e.data import reviews_csv
from tests.e2e.runs import wait_for
from textmill_infra.settings import Settings

WANTED = {
    ("textmill-gateway", "POST /api/v2/analyze"),
    ("textmill-coordinator", "textmill.commands.analyze.v1 process"),
    ("textmill-worker", "textmill.commands.shard.v1 process"),
    ("textmill-worker", "textmill.events.results.v1 publish"),
    ("textmill-gateway", "textmill.events.results.v1 process"),
}


def spans_of(trace_id: str, timeout: float = 60) -> list[tuple[str, str]]:
    """(service, operation) of every span Jaeger holds for the trace, once it holds those
    `WANTED` (each service exports its spans every second, on its own)."""
    query = f"http://127.0.0.1:{Settings().jaeger_query_port}/api/traces/{trace_id}"
    deadline, spans = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        answer = httpx.get(query, timeout=10)
        if answer.status_code == 200 and answer.json()["data"]:
            trace = answer.json()["data"][0]
            services = {key: p["serviceName"] for key, p in trace["processes"].items()}
            spans = [(services[s["processID"]], s["operationName"]) for s in trace["spans"]]
            if WANTED <= set(spans):
                return spans
        time.sleep(1)
    return spans


def test_a_request_is_one_trace_across_gateway_coordinator_and_worker(local_stack, client):
    if not Settings().tracing:
        pytest.skip("TEXTMILL_TRACING is off: no Jaeger in this stack")
    # Given a file
    stored = upload(client, "reviews.csv", reviews_csv(rows=20))
    assert stored.status_code == 201, stored.text
    # When an analysis is asked for with a trace id of the caller's
    trace_id = secrets.token_hex(16)
    started = client.post(
        "/api/v2/analyze",
        json={"file_id": stored.json()["id"], "columns": ["body"], "chains": ["sentiment"]},
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )
    assert started.status_code == 202, started.text
    wait_for(client, started.json()["run_id"], {"completed"})
    # Then Jaeger holds one trace under that id, from the request to the stream
    spans = spans_of(trace_id)
    services = {service for service, _ in spans}
    assert {"textmill-gateway", "textmill-coordinator", "textmill-worker"} <= services, spans
    assert WANTED <= set(spans), WANTED - set(spans)
    # And the store and Redis calls within it are spans of their own
    assert any(
        op.startswith("textmill.") and op.split(".")[1] in {"find", "insert", "update"}
        for _, op in spans
    )
    assert any(op in {"EVALSHA", "EXISTS", "GET"} for _, op in spans)


def test_the_access_log_names_the_request_its_trace_and_tenant(local_stack, client):
    import json
    from pathlib import Path

    # Given a request with a request id and a trace id of the caller's
    trace_id, request_id = secrets.token_hex(16), f"access-{secrets.token_hex(6)}"
    answer = client.get(
        "/api/v2/files",
        headers={
            "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
            "x-request-id": request_id,
        },
    )
    assert answer.status_code == 200
    # Then the gateway's log has one access line for it, with its route, status and size
    log = Path(__file__).resolve().parents[2] / ".local" / "logs" / "gateway.log"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in log.read_text().splitlines() if request_id in line]
        access = [line for line in lines if line.get("event") == "request"]
        if access:
            break
        time.sleep(0.2)
    assert len(access) == 1, lines
    line = access[0]
    assert line["trace_id"] == trace_id and len(line["span_id"]) == 16
    assert line["route"] == "/api/v2/files" and line["method"] == "GET" and line["status"] == 200
    assert line["bytes"] == len(answer.content) and line["duration_ms"] >= 0
    assert line["tenant"].startswith("t-")

"""Health, readiness, metrics and the OpenAPI document of every running service."""

import httpx
import pytest

from textmill_infra.settings import DEFAULT_HTTP_PORTS, Settings


@pytest.mark.parametrize("service", list(DEFAULT_HTTP_PORTS))
def test_every_service_is_alive_ready_and_exports_metrics(local_stack, service):
    base = f"http://127.0.0.1:{Settings().port_for(service)}"
    assert httpx.get(f"{base}/healthz").json()["status"] == "alive"
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) >= {"kafka", "mongo"}
    metrics = httpx.get(f"{base}/metrics")
    assert metrics.status_code == 200
    assert "process_cpu_seconds_total" in metrics.text


def test_gateway_serves_its_openapi_document(gateway_url):
    document = httpx.get(f"{gateway_url}/schema/openapi.json").json()
    assert {"/api/v2/files", "/api/v2/profile", "/api/v2/keys"} <= set(document["paths"])
    assert "ApiKey" in document["components"]["securitySchemes"]


def test_gateway_metrics_name_their_charset_once(gateway_url):
    content_type = httpx.get(f"{gateway_url}/metrics").headers["content-type"]
    assert content_type.startswith("text/plain") and content_type.count("charset=") == 1


def test_gateway_records_request_latency_by_route_and_status(gateway_url):
    # Given a request the gateway refuses
    httpx.get(f"{gateway_url}/api/v2/files")
    # Then its route and status are counted and timed
    text = httpx.get(f"{gateway_url}/metrics").text
    assert 'textmill_http_request_duration_seconds_bucket{app_name="textmill-gateway"' in text
    assert 'path="/api/v2/files",status_code="401"' in text


@pytest.mark.parametrize("service", list(DEFAULT_HTTP_PORTS))
def test_every_service_logs_json_lines(local_stack, service):
    import json
    from pathlib import Path

    # Given the service's log since its last start (the stack appends across restarts)
    log = Path(__file__).resolve().parents[2] / ".local" / "logs" / f"{service}.log"
    lines = log.read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if "Started server process" in line]
    recent = [line for line in lines[starts[-1] if starts else 0 :] if line.strip()]
    # Then every line is one JSON object naming the service
    assert recent
    for line in recent:
        record = json.loads(line)
        assert record["service"] == service, line

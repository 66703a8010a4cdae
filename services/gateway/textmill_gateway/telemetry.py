"""The gateway's HTTP traces and metrics, from Litestar's own plugins.

Traces: `OpenTelemetryPlugin` opens a server span per request (joining the caller's trace
when it sends a `traceparent`); FastStream's middleware carries it on into Kafka. Metrics:
Litestar's Prometheus middleware counts requests and times them by route template and
status (`textmill_http_requests_total`, `textmill_http_request_duration_seconds`). It keeps
its metrics in prometheus_client's global registry; `/metrics` serves the service's own,
so they are handed to it by a collector.
"""

from collections.abc import Iterator

from litestar.middleware.base import DefineMiddleware
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

# Probes and scrapes: neither traced nor counted (they would drown the API's figures).
UNOBSERVED = ["^/healthz$", "^/readyz$", "^/metrics$"]
LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]


class LitestarHttpMetrics(Collector):
    """What Litestar's Prometheus middleware has recorded so far."""

    def collect(self) -> Iterator[Metric]:
        for metric in list(PrometheusMiddleware._metrics.values()):
            yield from metric.collect()


def http_metrics(registry: CollectorRegistry) -> DefineMiddleware:
    registry.register(LitestarHttpMetrics())
    return PrometheusConfig(
        app_name="textmill-gateway",
        prefix="textmill_http",
        group_path=True,  # the route's template, not the path: bounded label values
        buckets=LATENCY_BUCKETS,
        exclude=UNOBSERVED,
    ).middleware


def http_tracing() -> OpenTelemetryPlugin:
    # No span per ASGI send/receive: a stream sends thousands of messages.
    return OpenTelemetryPlugin(
        OpenTelemetryConfig(exclude=UNOBSERVED, exclude_spans=["receive", "send"])
    )

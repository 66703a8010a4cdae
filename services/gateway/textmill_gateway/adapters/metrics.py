"""The gateway's stream metrics: clients following a run's stream, and how long a result
batch takes from its worker's publish to the run's stream (what a live client then reads at
once). HTTP counts and latencies come from Litestar's Prometheus plugin (`telemetry.py`)."""

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Gauge, Histogram


class StreamMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.connections = Gauge(
            "textmill_stream_connections",
            "Clients following a run's live stream, by transport",
            ["transport"],
            registry=registry,
        )
        self.latency = Histogram(
            "textmill_stream_latency_seconds",
            "From a worker's publish of a result batch to its append to the run's stream",
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        for transport in ("sse", "websocket"):
            self.connections.labels(transport)

    @contextmanager
    def following(self, transport: str) -> Iterator[None]:
        gauge = self.connections.labels(transport)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

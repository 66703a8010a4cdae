"""The profiler's metrics: profile requests by how they were answered, and how long each
took. The cache's own (lookups by outcome: its hit ratio; evictions; bytes) are
`textmill_storage.profile_cache`'s."""

from prometheus_client import CollectorRegistry, Counter, Histogram

# How a profile request was answered: from the cache, from the stored profile, computed
# from the file, or refused (a missing or unreadable file).
OUTCOMES = ("cached", "stored", "computed", "failed")


class ProfilerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "textmill_profile_requests",
            "Profile requests answered, by how",
            ["outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "textmill_profile_seconds",
            "Time to answer a profile request, by how it was answered",
            ["outcome"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        for outcome in OUTCOMES:
            self.requests.labels(outcome)
            self.latency.labels(outcome)

    def answered(self, outcome: str, seconds: float) -> None:
        self.requests.labels(outcome).inc()
        self.latency.labels(outcome).observe(seconds)

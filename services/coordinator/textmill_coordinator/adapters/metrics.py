"""The coordinator's metrics: runs as they move to running and as they end, by their
chains (`sentiment+pii`: the combination a run asked for) and status; the runs under way;
the shards it releases to the workers, its release rounds and the stalled shards its sweep
finds. Each move is counted by the replica that made it, so the sum over replicas counts
each run once (a cancel, which the gateway moves first, is counted as its event is
handled: twice only if the event is delivered twice)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from textmill_runs import Run

COUNTED = ("running", "completed", "failed", "cancelled")


class CoordinatorMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.runs = Counter(
            "textmill_runs",
            "Runs started (running) and ended, by their chains and status",
            ["chains", "status"],
            registry=registry,
        )
        self.active = Gauge(
            "textmill_runs_active", "Runs under way, as the sweep last saw them", registry=registry
        )
        self.stalled = Counter(
            "textmill_stalled_shards",
            "Shards the sweep published again: claimed, and not moved for a while",
            registry=registry,
        )
        self.released = Counter(
            "textmill_released_shards",
            "Shards released to the workers (each once, by one replica)",
            registry=registry,
        )
        self.release_rounds = Histogram(
            "textmill_release_round_seconds",
            "Release rounds of this replica (each reads every run under way) and their time",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=registry,
        )

    def moved(self, run: Run, status: str) -> None:
        if status in COUNTED:
            self.runs.labels("+".join(run.chains), status).inc()

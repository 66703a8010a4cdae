"""The coordinator's metrics: runs as they move to running and as they end, by their
chains (`sentiment+pii`: the combination a run asked for) and status. Each move is counted
by the replica that made it, so the sum over replicas counts each run once (a cancel, which
the gateway moves first, is counted as its event is handled: twice only if the event is
delivered twice)."""

from prometheus_client import CollectorRegistry, Counter

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

    def moved(self, run: Run, status: str) -> None:
        if status in COUNTED:
            self.runs.labels("+".join(run.chains), status).inc()

"""The estimator's metrics: estimates made (by the source of their costs) and how long they
took, and the error of every run's estimate once it has completed."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class EstimatorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.estimates = Counter(
            "textmill_estimates",
            "Estimates made, by where the costs came from",
            ["source"],
            registry=registry,
        )
        self.latency = Histogram(
            "textmill_estimate_seconds",
            "Time to make an estimate",
            registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.errors = Histogram(
            "textmill_estimate_error_ratio",
            "|actual ÷ estimated − 1| of each completed run's estimate",
            registry=registry,
            buckets=(0.02, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0),
        )
        self.last_error = Gauge(
            "textmill_estimate_last_error_ratio",
            "actual ÷ estimated − 1 of the latest completed run",
            registry=registry,
        )
        self.held = Counter(
            "textmill_estimate_interval",
            "Completed runs by whether the interval held",
            ["held"],
            registry=registry,
        )

    def outcome(self, error: float, held: bool) -> None:
        self.errors.observe(abs(error))
        self.last_error.set(error)
        self.held.labels("yes" if held else "no").inc()

"""What the estimates of ended runs came to: their errors (actual ÷ estimated − 1), which
make the interval, and the fixed costs of a run (its planning and the dispatch of its first
shard), learnt from the time the runs took to start: the median of the latest, which a few
runs that waited on something the backlog did not show (a burst of tests, a restart) do
not move."""

import statistics
from dataclasses import dataclass, field

KEPT = 100  # the latest errors kept
FIXED_KEPT = 25  # the latest fixed costs kept
DEFAULT_OVERHEAD = 0.1  # seconds: a run's fixed costs before any run has ended
MAX_OVERHEAD = 10.0


@dataclass
class Outcomes:
    errors: list[float] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  # the runs counted, latest last
    fixed: list[float] = field(default_factory=list)  # the latest runs' fixed costs
    sizes: list[float] = field(default_factory=list)  # each error's estimated seconds

    def errors_near(self, estimated: float, *, at_least: int) -> list[float]:
        """The errors of runs estimated within 4 times `estimated` either way, or, while they
        are fewer than `at_least`, all of them: a 0.1 s run is 50 % off from a few waits in
        the pipeline, which says nothing of a minute's run."""
        sized = zip(self.errors[-len(self.sizes) :], self.sizes, strict=True) if self.sizes else []
        near = [e for e, size in sized if estimated / 4 <= size <= estimated * 4]
        return near if len(near) >= at_least else self.errors

    @property
    def overhead(self) -> float:
        return statistics.median(self.fixed) if self.fixed else DEFAULT_OVERHEAD

    def record(
        self, run_id: str, estimated: float, actual: float, fixed_seconds: float
    ) -> float | None:
        """Count an ended run once (`fixed_seconds`: what it took to start, beyond waiting
        for other runs); its error, or None when it was counted before."""
        if run_id in self.runs:
            return None
        error = actual / estimated - 1 if estimated > 0 else 0.0
        self.errors = [*self.errors, round(error, 4)][-KEPT:]
        self.sizes = [*self.sizes, round(estimated, 4)][-KEPT:]
        self.runs = [*self.runs, run_id][-KEPT:]
        beyond = round(min(MAX_OVERHEAD, max(0.0, fixed_seconds)), 4)
        self.fixed = [*self.fixed, beyond][-FIXED_KEPT:]
        return error

    def as_dict(self) -> dict:
        return {"errors": self.errors, "runs": self.runs, "fixed": self.fixed, "sizes": self.sizes}

    @classmethod
    def from_dict(cls, data: dict) -> "Outcomes":
        # A document of the first build kept one moving average, `overhead`.
        old = data.get("overhead")
        fixed = data.get("fixed", [old] if old is not None else [])
        return cls(
            errors=data.get("errors", []),
            runs=data.get("runs", []),
            fixed=fixed,
            sizes=data.get("sizes", []),
        )

"""What the estimates of ended runs came to: their errors (actual ÷ estimated − 1), which
make the interval, and a run's fixed costs (planning, the first shard's dispatch, the
results' last folds before it completes).

The fixed costs are learnt from short runs, whose shards are a small part of their time:
what a run took beyond its estimated shards and backlog (the estimate is kept beside the
actual) is its fixed costs, less a compute error small in seconds. Before any short run
has ended, from what runs took to start beyond their backlog, which misses the end. The
median of the latest, which a few runs that waited on something the backlog did not show
(a burst of tests, a restart) do not move.
"""

import statistics
from dataclasses import dataclass, field

KEPT = 100  # the latest errors kept
FIXED_KEPT = 25  # the latest fixed costs kept
DEFAULT_OVERHEAD = 0.1  # seconds: a run's fixed costs before any run has ended
MAX_OVERHEAD = 10.0
# A run is short when its shards were estimated at most this long: its compute error is
# then a few hundredths of a second, where a run's fixed costs are about a tenth.
SHORT_COMPUTE = 0.5


@dataclass
class Outcomes:
    errors: list[float] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  # the runs counted, latest last
    fixed: list[float] = field(default_factory=list)  # the latest runs' fixed costs
    sizes: list[float] = field(default_factory=list)  # each error's estimated seconds
    # the latest short runs' time beyond their estimated shards and backlog
    short: list[float] = field(default_factory=list)

    def errors_near(self, estimated: float, *, at_least: int) -> list[float]:
        """The errors of runs estimated within 4 times `estimated` either way, or, while they
        are fewer than `at_least`, all of them: a 0.1 s run is 50 % off from a few waits in
        the pipeline, which says nothing of a minute's run."""
        sized = zip(self.errors[-len(self.sizes) :], self.sizes, strict=True) if self.sizes else []
        near = [e for e, size in sized if estimated / 4 <= size <= estimated * 4]
        return near if len(near) >= at_least else self.errors

    @property
    def overhead(self) -> float:
        """A run's fixed costs: as short runs show them whole, else as runs' starts did."""
        if self.short:
            return statistics.median(self.short)
        return statistics.median(self.fixed) if self.fixed else DEFAULT_OVERHEAD

    def record(
        self,
        run_id: str,
        estimated: float,
        actual: float,
        fixed_seconds: float,
        *,
        compute_seconds: float | None = None,
        backlog_seconds: float = 0.0,
    ) -> float | None:
        """Count an ended run once (`fixed_seconds`: what it took to start, beyond waiting
        for other runs; `compute_seconds` and `backlog_seconds`: its estimate's shards and
        backlog); its error, or None when it was counted before."""
        if run_id in self.runs:
            return None
        error = actual / estimated - 1 if estimated > 0 else 0.0
        self.errors = [*self.errors, round(error, 4)][-KEPT:]
        self.sizes = [*self.sizes, round(estimated, 4)][-KEPT:]
        self.runs = [*self.runs, run_id][-KEPT:]
        self.fixed = [*self.fixed, _bounded(fixed_seconds)][-FIXED_KEPT:]
        if compute_seconds is not None and compute_seconds <= SHORT_COMPUTE:
            beyond = actual - compute_seconds - backlog_seconds
            self.short = [*self.short, _bounded(beyond)][-FIXED_KEPT:]
        return error

    def as_dict(self) -> dict:
        return {
            "errors": self.errors,
            "runs": self.runs,
            "fixed": self.fixed,
            "sizes": self.sizes,
            "short": self.short,
        }

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
            short=data.get("short", []),
        )


def _bounded(seconds: float) -> float:
    return round(min(MAX_OVERHEAD, max(0.0, seconds)), 4)

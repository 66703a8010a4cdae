"""What the estimates of ended runs came to: their errors (actual ÷ estimated − 1), which
make the interval, and the fixed costs of a run (its planning and the dispatch of its first
shard), learnt from the time the runs took to start."""

from dataclasses import dataclass, field

KEPT = 100  # the latest errors kept
DEFAULT_OVERHEAD = 0.1  # seconds: a run's fixed costs before any run has ended
LEARNING = 0.2  # the weight of the newest run in the fixed costs
MAX_OVERHEAD = 10.0


@dataclass
class Outcomes:
    errors: list[float] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  # the runs counted, latest last
    overhead: float = DEFAULT_OVERHEAD

    def record(
        self, run_id: str, estimated: float, actual: float, fixed_seconds: float
    ) -> float | None:
        """Count an ended run once (`fixed_seconds`: what it took to start, beyond waiting
        for other runs); its error, or None when it was counted before."""
        if run_id in self.runs:
            return None
        error = actual / estimated - 1 if estimated > 0 else 0.0
        self.errors = [*self.errors, round(error, 4)][-KEPT:]
        self.runs = [*self.runs, run_id][-KEPT:]
        beyond = min(MAX_OVERHEAD, max(0.0, fixed_seconds))
        self.overhead = round((1 - LEARNING) * self.overhead + LEARNING * beyond, 4)
        return error

    def as_dict(self) -> dict:
        return {"errors": self.errors, "runs": self.runs, "overhead": self.overhead}

    @classmethod
    def from_dict(cls, data: dict) -> "Outcomes":
        return cls(**data)

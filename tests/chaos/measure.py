"""What a faulted run's progress samples say: when it moved again after a fault, and
whether it ever went backwards. Pure functions over (time, cells done) samples."""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

# Progress published before a fault still lands for a moment after it (workers publish
# every 0.5 s, the coordinator folds and the gateway is polled every 0.25 s): movement
# within this much of the fault is not a recovery.
SETTLE = 1.0


@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic()
    done: int


def done_at(samples: Sequence[Sample], at: float) -> int:
    """Cells done as last seen at or before `at` (0 before the first sample)."""
    seen = [s.done for s in samples if s.at <= at]
    return seen[-1] if seen else 0


def moved_again(samples: Sequence[Sample], since: float, settle: float = 0.0) -> float | None:
    """Seconds from `since` to the first sample past `since + settle` that shows more cells
    done than were then; None if progress never moved again."""
    floor = done_at(samples, since + settle)
    for sample in samples:
        if sample.at > since + settle and sample.done > floor:
            return sample.at - since
    return None


def went_backwards(samples: Sequence[Sample]) -> bool:
    return any(later.done < earlier.done for earlier, later in pairwise(samples))

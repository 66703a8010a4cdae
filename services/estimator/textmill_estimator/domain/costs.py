"""The cost model: what a chain's time costs per cell as a function of the cell's length, and
what a worker layout turns that time into in a shard's wall time.

- `ChainCost`: µs per cell = a + b·L + q·L², L the cell's characters in thousands (YAKE and
  lingua grow with length far faster than VADER), fitted on the seconds each chain ran in the
  completed shards (and in calibration runs on sampled cells), its prior the planner's
  speed of the chain (`textmill_runs.plan.CHAIN_CELLS_PER_SECOND`); times what the cells
  near the load's length really cost over what the fit says they cost (`anchors`): one
  curve through observations at a few lengths misses each of them (a calibration on titles
  after shards of reviews: 17 µs a cell measured, 40 fitted), the ratio at each length
  observed does not.
- `LayoutCost`: a shard's wall seconds = α·C + β·rows/10⁴ + γ, C its chains' seconds, on
  a worker with P chain processes (α: what P processes and the cores' contention make of
  C; β: reading, storing and publishing rows; γ: a shard's start and end), fitted on
  completed shards, each missed by a share of its time (relative least squares).
"""

import itertools
import math
from dataclasses import dataclass, field, replace

from textmill_contracts.events import ShardCosts
from textmill_estimator.domain.fitting import LeastSquares
from textmill_runs.plan import CHAIN_CELLS_PER_SECOND, TARGET_SHARD_SECONDS

MICRO = 1e6
CHAIN_STRENGTH = 0.01  # of the prior, against observations weighing cells / 1,000
LAYOUT_STRENGTH = 0.05  # against a shard of the planner's length, weighing 1
MIN_SHARD_SECONDS = 0.05  # a shard's weight is at most that of one this long
MAX_CELL_WEIGHT = 20.0
# A chain's history covers a column when it holds this much weight (thousands of cells) of
# cells within a length bucket (a power of 2 of characters) of the column's mean length.
COVERED_WEIGHT = 0.05
# Each observation of a length bucket, what the bucket held before weighs this much less:
# the latest shards say most of what cells of that length cost now.
BUCKET_DECAY = 0.9
MIN_RATIO, MAX_RATIO = 0.05, 20.0


@dataclass(frozen=True)
class CellLoad:
    """Cells to analyse: how many and how long."""

    cells: float
    chars: float
    chars_squared: float

    def scaled(self, factor: float) -> "CellLoad":
        return CellLoad(self.cells * factor, self.chars * factor, self.chars_squared * factor)

    def plus(self, other: "CellLoad") -> "CellLoad":
        return CellLoad(
            self.cells + other.cells,
            self.chars + other.chars,
            self.chars_squared + other.chars_squared,
        )


NO_CELLS = CellLoad(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Observed:
    """What a chain ran over cells of one length bucket, and for how long (decayed sums)."""

    load: CellLoad
    seconds: float

    def plus(self, load: CellLoad, seconds: float) -> "Observed":
        return Observed(
            self.load.scaled(BUCKET_DECAY).plus(load), self.seconds * BUCKET_DECAY + seconds
        )

    def as_dict(self) -> dict:
        load = self.load
        return {
            "cells": load.cells,
            "chars": load.chars,
            "chars_squared": load.chars_squared,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Observed":
        load = CellLoad(data["cells"], data["chars"], data["chars_squared"])
        return cls(load, data["seconds"])


@dataclass
class ChainModel:
    """A chain's fit, the completed shards folded into it, and what it cost by length
    bucket: the fit extrapolates poorly to lengths it has not seen (one shard of 2 KB texts
    says little of the chain's cost on tweets) and misses the lengths it has."""

    fit: LeastSquares
    shards: int = 0
    buckets: dict[int, Observed] = field(default_factory=dict)

    def observe(self, load: "CellLoad", seconds: float, *, shard: bool) -> None:
        if load.cells <= 0:
            return
        observe_chain(self.fit, load, seconds)
        bucket = length_bucket(load)
        before = self.buckets.get(bucket, Observed(NO_CELLS, 0.0))
        self.buckets[bucket] = before.plus(load, seconds)
        self.shards += shard

    def covers(self, load: "CellLoad") -> bool:
        """Whether cells of `load`'s mean length have been seen (an empty load needs none)."""
        if load.cells <= 0:
            return True
        bucket = length_bucket(load)
        near = (self.buckets.get(b) for b in (bucket - 1, bucket, bucket + 1))
        seen = sum(observed.load.cells for observed in near if observed is not None)
        return seen / 1_000 >= COVERED_WEIGHT

    def cost(self) -> "ChainCost":
        """The fit, with what the observed lengths really cost over what it says they cost."""
        shape = ChainCost.of(self.fit)
        anchors = []
        for observed in self.buckets.values():
            fitted = shape.seconds(observed.load)
            if observed.load.cells > 0 and fitted > 0 and observed.seconds > 0:
                ratio = min(MAX_RATIO, max(MIN_RATIO, observed.seconds / fitted))
                anchors.append((_log_length(observed.load), math.log(ratio)))
        return replace(shape, anchors=tuple(sorted(anchors)))


def length_bucket(load: "CellLoad") -> int:
    """The power of 2 of the load's mean characters a cell (16-31 characters: 4)."""
    return int(_log_length(load))


def _log_length(load: "CellLoad") -> float:
    return math.log2(max(1.0, load.chars / load.cells))


def chain_prior(chain: str) -> LeastSquares:
    speed = CHAIN_CELLS_PER_SECOND.get(chain, min(CHAIN_CELLS_PER_SECOND.values()))
    return LeastSquares(prior=[MICRO / speed, 0.0, 0.0], strength=[CHAIN_STRENGTH] * 3)


def layout_prior(chain_processes: int) -> LeastSquares:
    return LeastSquares(
        prior=[1.0 / max(1, chain_processes), 0.25, 0.05], strength=[LAYOUT_STRENGTH] * 3
    )


def observe_chain(fit: LeastSquares, load: CellLoad, seconds: float) -> None:
    """Fold in the `seconds` a chain ran over `load`, as µs per cell."""
    if load.cells <= 0:
        return
    x = _per_cell(load)
    fit.observe(x, seconds * MICRO / load.cells, min(load.cells / 1_000, MAX_CELL_WEIGHT))


def observe_layout(fit: LeastSquares, costs: ShardCosts) -> None:
    """Fold in a shard's wall seconds, weighed by the inverse of their square: the fit then
    misses each shard by a share of its time, where by seconds a 20 s shard's noise set
    γ (2.4 s on a busy machine, for shards of 0.3 s) and a run's last, short shard, and a
    short run's only one, were estimated several times over. A shard of the planner's
    length (`TARGET_SHARD_SECONDS`) weighs 1."""
    seconds = max(costs.seconds, MIN_SHARD_SECONDS)
    weight = (TARGET_SHARD_SECONDS / seconds) ** 2
    fit.observe([costs_cpu(costs), costs.rows / 1e4, 1.0], costs.seconds, weight)


def costs_cpu(costs: ShardCosts) -> float:
    return sum(costs.chain_seconds.values())


def shard_load(costs: ShardCosts) -> CellLoad:
    return CellLoad(costs.cells, costs.chars, costs.chars_squared)


@dataclass(frozen=True)
class ChainCost:
    a: float  # µs per cell
    b: float  # µs per cell per thousand characters
    q: float  # µs per cell per million characters squared
    # (log2 of a length bucket's mean characters, log of its observed ÷ fitted seconds), by
    # length: between two, the ratio is interpolated; beyond the ends, the nearest one's.
    anchors: tuple[tuple[float, float], ...] = ()

    @classmethod
    def of(cls, fit: LeastSquares) -> "ChainCost":
        return cls(*fit.coefficients())

    def seconds(self, load: CellLoad) -> float:
        """The chain's seconds over `load`."""
        us = self.a * load.cells + self.b * load.chars / 1e3 + self.q * load.chars_squared / 1e6
        return max(0.0, us) / MICRO * self.ratio(load)

    def ratio(self, load: CellLoad) -> float:
        if not self.anchors or load.cells <= 0:
            return 1.0
        x, anchors = _log_length(load), self.anchors
        if x <= anchors[0][0]:
            return math.exp(anchors[0][1])
        for (x0, r0), (x1, r1) in itertools.pairwise(anchors):
            if x <= x1:
                share = (x - x0) / (x1 - x0) if x1 > x0 else 1.0
                return math.exp(r0 + share * (r1 - r0))
        return math.exp(anchors[-1][1])


@dataclass(frozen=True)
class LayoutCost:
    alpha: float
    beta: float
    gamma: float

    @classmethod
    def of(cls, fit: LeastSquares) -> "LayoutCost":
        return cls(*fit.coefficients())

    def seconds(self, cpu: float, rows: float) -> float:
        """A shard's wall seconds for `cpu` seconds of chains over `rows` rows."""
        return self.alpha * cpu + self.beta * rows / 1e4 + self.gamma


def _per_cell(load: CellLoad) -> list[float]:
    return [1.0, load.chars / load.cells / 1e3, load.chars_squared / load.cells / 1e6]

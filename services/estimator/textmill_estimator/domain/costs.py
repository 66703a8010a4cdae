"""The chains' cost model: what a chain's time costs per cell as a function of the cell's
length (what a worker layout makes of that time: `layouts.py`).

`ChainCost`: µs per cell = a + b·L + q·L², L the cell's characters in thousands (YAKE and
lingua grow with length far faster than VADER), fitted on the seconds each chain ran in the
completed shards (and in calibration runs on sampled cells), its prior the planner's
speed of the chain (`textmill_runs.plan.CHAIN_CELLS_PER_SECOND`); times what the cells
near the load's length really cost over what the fit says they cost (`anchors`): one
curve through observations at a few lengths misses each of them (a calibration on titles
after shards of reviews: 17 µs a cell measured, 40 fitted), the ratio at each length
observed does not. A length only calibrated costs what the calibration measured over
`calibration_bias`: how far calibrations have read over what shards of the same chain
and length then took.

One model of a chain serves every worker layout, in the terms of the layout it first learnt
from: each layout runs the chains at a pace of its own (`layouts.LayoutPace`), and what its
shards and calibrations measure is folded in divided by that pace.
"""

import itertools
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from textmill_contracts.events import ShardCosts
from textmill_estimator.domain.fitting import LeastSquares
from textmill_runs.plan import CHAIN_CELLS_PER_SECOND

MICRO = 1e6
CHAIN_STRENGTH = 0.01  # of the prior, against observations weighing cells / 1,000
MAX_CELL_WEIGHT = 20.0
# A chain's history covers a column when it holds this much weight (thousands of cells) of
# cells whose mean length is within `COVERED_OCTAVES` of the column's (0.5: 1.41 times
# either way). A bucket's neighbour covered it before, up to twice or half the length: the
# fit's shape, held by its prior, then put keywords on 80-character tweets at the cost of
# 250-character reviews, twice what they took (make bench-estimate, pass 1: +79 to +101 %).
COVERED_WEIGHT = 0.05
COVERED_OCTAVES = 0.5
# Each observation of a length bucket, what the bucket held before weighs this much less:
# the latest shards say most of what cells of that length cost now.
BUCKET_DECAY = 0.9
MIN_RATIO, MAX_RATIO = 0.05, 20.0
MAX_BIAS = 4.0  # a calibration's bias is held within 1/4 to 4 times


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
    bucket, in shards (`buckets`) and in calibration runs (`calibrated`): the fit
    extrapolates poorly to lengths it has not seen (one shard of 2 KB texts says little of
    the chain's cost on tweets) and misses the lengths it has."""

    fit: LeastSquares
    shards: int = 0
    buckets: dict[int, Observed] = field(default_factory=dict)
    calibrated: dict[int, Observed] = field(default_factory=dict)

    def observe(self, load: "CellLoad", seconds: float, *, shard: bool) -> None:
        if load.cells <= 0:
            return
        observe_chain(self.fit, load, seconds)
        kept = self.buckets if shard else self.calibrated
        bucket = length_bucket(load)
        kept[bucket] = kept.get(bucket, Observed(NO_CELLS, 0.0)).plus(load, seconds)
        self.shards += shard

    def covers(self, load: "CellLoad") -> bool:
        """Whether cells of about `load`'s mean length have been seen, in shards or
        calibrations (an empty load needs none)."""
        return load.cells <= 0 or _seen_near(load, self.buckets, self.calibrated)

    def shard_seconds(self, load: "CellLoad") -> float | None:
        """What the shards say `load` costs, when they have seen cells of about its length
        (calibrations left out); else None."""
        if load.cells <= 0 or not _seen_near(load, self.buckets):
            return None
        return self._sharded().seconds(load)

    def _sharded(self) -> "ChainCost":
        return ChainModel(self.fit, self.shards, self.buckets).cost()

    def calibration_errors(self) -> list[float]:
        """For each length bucket calibrated where shards have seen that length or one beside
        it, the log of how far the calibrations' cost read over what the shards say those
        cells cost (a file's sample and its shards may fall either side of a bucket's edge)."""
        sharded = self._sharded()
        errors = []
        for bucket, calibrated in self.calibrated.items():
            near = (self.buckets.get(b) for b in range(bucket - 1, bucket + 2))
            if not any(observed and observed.load.cells > 0 for observed in near):
                continue
            fitted = sharded.seconds(calibrated.load)
            if calibrated.seconds > 0 and fitted > 0:
                errors.append(math.log(calibrated.seconds / fitted))
        return errors

    def cost(self, calibration_bias: float = 1.0) -> "ChainCost":
        """The fit, with what the observed lengths really cost over what it says they cost:
        as shards took them, else as calibrations measured them, divided by
        `calibration_bias` (`calibration_bias()`)."""
        shape = ChainCost.of(self.fit)
        anchors = []
        for bucket in self.buckets.keys() | self.calibrated.keys():
            observed, scale = self.buckets.get(bucket), 1.0
            if observed is None or observed.load.cells <= 0:
                observed, scale = self.calibrated.get(bucket), 1.0 / calibration_bias
            ratio = _over_fit(shape, observed)
            if ratio is not None:
                ratio = min(MAX_RATIO, max(MIN_RATIO, ratio * scale))
                anchors.append((_log_length(observed.load), math.log(ratio)))
        return replace(shape, anchors=tuple(sorted(anchors)))

    def as_fields(self) -> dict:
        """As stored (a document's field names are strings)."""
        return {
            "fit": self.fit.as_dict(),
            "shards": self.shards,
            "buckets": {str(b): observed.as_dict() for b, observed in self.buckets.items()},
            "calibrated": {str(b): observed.as_dict() for b, observed in self.calibrated.items()},
        }

    @classmethod
    def from_fields(cls, doc: dict) -> "ChainModel":
        """(A model stored before the buckets has none: its chains are calibrated again; one
        stored before `calibrated` kept calibrations among its shards' buckets.)"""

        def observed(kept: dict) -> dict[int, Observed]:
            return {int(b): Observed.from_dict(o) for b, o in kept.items()}

        return cls(
            LeastSquares.from_dict(doc["fit"]),
            doc.get("shards", 0),
            observed(doc.get("buckets", {})),
            observed(doc.get("calibrated", {})),
        )


def calibration_bias(models: Iterable[ChainModel]) -> float:
    """How many times what a calibration measures reads over what the shards of the same
    chain and length then take: the median over every chain's buckets that both have seen,
    1 while none has. A calibration is a batch of 100 cells timed while its own estimate is
    served; the shards run for seconds, and on a quiet machine calibrations read 1.2 to 2
    times their cost, on a busy one 0.55-1.46 times (median 0.73)."""
    errors = [error for model in models for error in model.calibration_errors()]
    if not errors:
        return 1.0
    return min(MAX_BIAS, max(1 / MAX_BIAS, math.exp(statistics.median(errors))))


def _seen_near(load: CellLoad, *kept: dict[int, Observed]) -> bool:
    """Whether `kept` hold `COVERED_WEIGHT` of cells within `COVERED_OCTAVES` of `load`'s
    mean length."""
    length = _log_length(load)
    seen = sum(
        observed.load.cells
        for buckets in kept
        for observed in buckets.values()
        if observed.load.cells > 0 and abs(_log_length(observed.load) - length) <= COVERED_OCTAVES
    )
    return seen / 1_000 >= COVERED_WEIGHT


def _over_fit(shape: "ChainCost", observed: "Observed | None") -> float | None:
    """What `observed` took over what the fit `shape` says it takes, when both are known."""
    if observed is None or observed.load.cells <= 0 or observed.seconds <= 0:
        return None
    fitted = shape.seconds(observed.load)
    return observed.seconds / fitted if fitted > 0 else None


def length_bucket(load: "CellLoad") -> int:
    """The power of 2 of the load's mean characters a cell (16-31 characters: 4)."""
    return int(_log_length(load))


def _log_length(load: "CellLoad") -> float:
    return math.log2(max(1.0, load.chars / load.cells))


def chain_prior(chain: str) -> LeastSquares:
    speed = CHAIN_CELLS_PER_SECOND.get(chain, min(CHAIN_CELLS_PER_SECOND.values()))
    return LeastSquares(prior=[MICRO / speed, 0.0, 0.0], strength=[CHAIN_STRENGTH] * 3)


def observe_chain(fit: LeastSquares, load: CellLoad, seconds: float) -> None:
    """Fold in the `seconds` a chain ran over `load`, as µs per cell."""
    if load.cells <= 0:
        return
    x = _per_cell(load)
    fit.observe(x, seconds * MICRO / load.cells, min(load.cells / 1_000, MAX_CELL_WEIGHT))


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


def _per_cell(load: CellLoad) -> list[float]:
    return [1.0, load.chars / load.cells / 1e3, load.chars_squared / load.cells / 1e6]

"""What a worker layout makes of the chains' time, stored by its chain processes (a pool of P,
or 0: the chains in a thread of the worker) as `layout:<P>`.

- `LayoutCost`: a shard's wall seconds = α·C + β·rows/10⁴ + γ, C its chains' seconds, on
  a worker with P chain processes (α: what P processes and the cores' contention make of
  C; β: reading, storing and publishing rows; γ: a shard's start and end), fitted on
  completed shards, each missed by a share of its time (relative least squares).
- `LayoutPace`: how many times the shared chain model's seconds (`costs.ChainModel`) a
  chain takes on this layout. A chain in a worker's thread shares the interpreter with the
  worker's loop: with two worker processes it took 1.3-2 times its seconds in a pool
  process (titles, sentiment: 86-118 against 37-63 µs a cell), and a layout the history
  had not seen was estimated from the other's shards, under by 22-35 % until its own filled
  the model. One ratio a chain, learnt from the layout's first shard of that chain (of any
  chain meanwhile), carries every length the model knows to the new layout; a model by
  layout would have started each layout again from calibrations.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from textmill_contracts.events import ShardCosts
from textmill_estimator.domain.costs import ChainModel, shard_load
from textmill_estimator.domain.fitting import LeastSquares
from textmill_runs.plan import TARGET_SHARD_SECONDS

LAYOUT_STRENGTH = 0.05  # against a shard of the planner's length, weighing 1
MIN_SHARD_SECONDS = 0.05  # a shard's weight is at most that of one this long
# Each of a chain's shards, what its pace held before weighs this much less.
PACE_DECAY = 0.9
MAX_PACE = 4.0  # a pace is held within 1/4 to 4 times


@dataclass(frozen=True)
class LayoutCost:
    alpha: float
    beta: float
    gamma: float
    pace: Mapping[str, float] = field(default_factory=dict)  # by chain; 1 for one not named

    @classmethod
    def of(cls, fit: LeastSquares, pace: Mapping[str, float] | None = None) -> "LayoutCost":
        return cls(*fit.coefficients(), pace=pace or {})

    def chain_seconds(self, chain: str, seconds: float) -> float:
        """What `seconds` of `chain` by the shared model take on this layout."""
        return seconds * self.pace.get(chain, 1.0)

    def seconds(self, cpu: float, rows: float) -> float:
        """A shard's wall seconds for `cpu` seconds of chains (this layout's) over `rows`."""
        return self.alpha * cpu + self.beta * rows / 1e4 + self.gamma


@dataclass
class LayoutPace:
    """By chain, the seconds the layout's shards took (`reported`) and what the shared model
    said those cells cost as each shard came (`modelled`), decayed sums. A chain's pace is
    their ratio; for a chain the layout has not run, the ratio over every chain it has; 1
    while it has run none the model knew the length of (the layout the model first learns
    from stays at about 1)."""

    reported: dict[str, float] = field(default_factory=dict)
    modelled: dict[str, float] = field(default_factory=dict)

    def observe(self, chain: str, reported: float, modelled: float | None) -> None:
        if modelled is None or modelled <= 0 or reported <= 0:
            return
        self.reported[chain] = self.reported.get(chain, 0.0) * PACE_DECAY + reported
        self.modelled[chain] = self.modelled.get(chain, 0.0) * PACE_DECAY + modelled

    def of(self, chain: str) -> float:
        if chain in self.modelled:
            ratio = self.reported[chain] / self.modelled[chain]
        elif self.modelled:
            ratio = sum(self.reported.values()) / sum(self.modelled.values())
        else:
            return 1.0
        return min(MAX_PACE, max(1 / MAX_PACE, ratio))

    def shared_seconds(self, chain: str, seconds: float) -> float:
        """`seconds` of `chain` measured on this layout, in the shared model's terms."""
        return seconds / self.of(chain)


@dataclass
class LayoutModel:
    """A layout's fit and pace, as stored in one document."""

    fit: LeastSquares
    pace: LayoutPace = field(default_factory=LayoutPace)

    @classmethod
    def prior(cls, chain_processes: int) -> "LayoutModel":
        return cls(layout_prior(chain_processes))

    def observe(self, costs: ShardCosts, models: Mapping[str, ChainModel]) -> None:
        """Fold in a completed shard of this layout: its wall time, and each chain's seconds
        against what `models` (before the shard is folded into them) say its cells cost."""
        load = shard_load(costs)
        for chain, seconds in costs.chain_seconds.items():
            model = models.get(chain)
            if model is not None:
                self.pace.observe(chain, seconds, model.shard_seconds(load))
        observe_layout(self.fit, costs)

    def cost(self, chains: Iterable[str]) -> LayoutCost:
        return LayoutCost.of(self.fit, {chain: self.pace.of(chain) for chain in chains})

    def as_fields(self) -> dict:
        pace = {"reported": self.pace.reported, "modelled": self.pace.modelled}
        return {"fit": self.fit.as_dict(), "pace": pace}

    @classmethod
    def from_fields(cls, doc: dict) -> "LayoutModel":
        """(A layout stored before its pace has none: 1 until its next shard.)"""
        pace = doc.get("pace", {})
        return cls(
            LeastSquares.from_dict(doc["fit"]),
            LayoutPace(dict(pace.get("reported", {})), dict(pace.get("modelled", {}))),
        )


def layout_prior(chain_processes: int) -> LeastSquares:
    return LeastSquares(
        prior=[1.0 / max(1, chain_processes), 0.25, 0.05], strength=[LAYOUT_STRENGTH] * 3
    )


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

"""What analysing cells costs, as a worker measures it: the cells analysed, their length,
and the seconds each chain ran. Summed over a shard, it is the history the estimator fits its
cost model on; the worker's chain processes hand it back with each batch's results."""

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class CellCosts:
    cells: int = 0  # analysed, not skipped as empty
    chars: int = 0
    chars_squared: float = 0.0
    chain_seconds: dict[str, float] = field(default_factory=dict)

    def count(self, texts: Iterable[str]) -> None:
        """Count the texts analysed (each once, whatever the number of chains)."""
        for text in texts:
            n = len(text)
            self.cells += 1
            self.chars += n
            self.chars_squared += n * n

    def charge(self, chain: str, seconds: float) -> None:
        self.chain_seconds[chain] = self.chain_seconds.get(chain, 0.0) + seconds

    def add(self, other: "CellCosts") -> None:
        self.cells += other.cells
        self.chars += other.chars
        self.chars_squared += other.chars_squared
        for chain, seconds in other.chain_seconds.items():
            self.charge(chain, seconds)

    @property
    def cpu_seconds(self) -> float:
        return sum(self.chain_seconds.values())

"""What analysing cells costs, as a worker measures it: the cells analysed, their length,
and the seconds each chain ran. Summed over a shard, it is the history the estimator fits its
cost model on; the worker's chain processes hand it back with each batch's results."""

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class CellCosts:
    cells: int = 0  # analysed, not skipped as empty
    chars: int = 0
    tokens: int = 0  # ⌈characters ÷ 4⌉ a cell: what its analysis is charged
    chars_squared: float = 0.0
    chain_seconds: dict[str, float] = field(default_factory=dict)
    chain_failures: dict[str, int] = field(default_factory=dict)  # cells a chain failed on

    def count(self, texts: Iterable[str]) -> None:
        """Count the texts analysed (each once, whatever the number of chains)."""
        for text in texts:
            n = len(text)
            self.cells += 1
            self.chars += n
            self.tokens += (n + 3) // 4
            self.chars_squared += n * n

    def charge(self, chain: str, seconds: float) -> None:
        self.chain_seconds[chain] = self.chain_seconds.get(chain, 0.0) + seconds

    def fail(self, chain: str) -> None:
        self.chain_failures[chain] = self.chain_failures.get(chain, 0) + 1

    def add(self, other: "CellCosts") -> None:
        self.cells += other.cells
        self.chars += other.chars
        self.tokens += other.tokens
        self.chars_squared += other.chars_squared
        for chain, seconds in other.chain_seconds.items():
            self.charge(chain, seconds)
        for chain, failures in other.chain_failures.items():
            self.chain_failures[chain] = self.chain_failures.get(chain, 0) + failures

    @property
    def cpu_seconds(self) -> float:
        return sum(self.chain_seconds.values())

"""The worker's metrics, counted per result batch (1,000 cells), never per cell: cells by
chain and status, tokens and their cost by chain, shard durations, and how busy its chain
processes are (busy seconds ÷ processes ÷ wall seconds = utilisation)."""

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from textmill_runs.costs import CellCosts


class WorkerMetrics:
    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        price_per_1k_tokens: Callable[[str], float] = lambda chain: 0.0,
    ) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self._price = price_per_1k_tokens
        self.cells = Counter(
            "textmill_cells",
            "Cells analysed, by chain and status (ok, failed, skipped)",
            ["chain", "status"],
            registry=registry,
        )
        self.tokens = Counter(
            "textmill_tokens",
            "Tokens analysed (⌈characters ÷ 4⌉ a cell), by chain",
            ["chain"],
            registry=registry,
        )
        self.cost = Counter(
            "textmill_cost_dollars",
            "What the tokens analysed cost at the configured prices",
            ["chain"],
            registry=registry,
        )
        self.shards = Histogram(
            "textmill_shard_seconds",
            "A shard's time on this worker, from its claim to its last row, by outcome",
            ["outcome"],
            registry=registry,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
        )
        self.busy = Counter(
            "textmill_worker_busy_seconds",
            "Seconds the chain processes spent analysing (÷ processes ÷ time = utilisation)",
            registry=registry,
        )
        self.processes = Gauge(
            "textmill_worker_chain_processes",
            "Processes this worker runs its chains in",
            registry=registry,
        )

    def batch(self, chains: list[str], records: int, costs: CellCosts) -> None:
        skipped = records - costs.cells
        for chain in dict.fromkeys(chains):
            failed = costs.chain_failures.get(chain, 0)
            self.cells.labels(chain, "ok").inc(costs.cells - failed)
            if failed:
                self.cells.labels(chain, "failed").inc(failed)
            if skipped:
                self.cells.labels(chain, "skipped").inc(skipped)
            self.tokens.labels(chain).inc(costs.tokens)
            self.cost.labels(chain).inc(costs.tokens / 1000 * self._price(chain))
        self.busy.inc(costs.cpu_seconds)

    def shard_ended(self, seconds: float, outcome: str) -> None:
        self.shards.labels(outcome).observe(seconds)
